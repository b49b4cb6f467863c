"""Scoring documents with a model, batch by batch, into one row per paragraph."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from .io import BATCH_PARAGRAPHS, Document, iter_batches
from .labels import CONTENT, SPAM
from .scorer import LinearScorer

if TYPE_CHECKING:
    from .model import SpamClassifier


def score_documents(scorer: LinearScorer | SpamClassifier, documents: Iterable[Document],
                    batch_paragraphs: int = BATCH_PARAGRAPHS) -> Iterator[tuple[Document, np.ndarray]]:
    """Each document with the P(spam) of its paragraphs, scored in vectorised batches."""
    for batch in iter_batches(documents, batch_paragraphs):
        sizes = [len(doc.paragraphs) for doc in batch]
        starts = np.zeros(len(batch) + 1, dtype=np.int64)
        np.cumsum(sizes, out=starts[1:])
        scores = scorer.score_texts([p for doc in batch for p in doc.paragraphs], starts)
        for doc, start, end in zip(batch, starts[:-1].tolist(), starts[1:].tolist()):
            yield doc, scores[start:end]


def predict_rows(scorer: LinearScorer | SpamClassifier, documents: Iterable[Document], threshold: float | None = None,
                 batch_paragraphs: int = BATCH_PARAGRAPHS) -> Iterator[dict]:
    """``{doc_id, index, text, label, score}`` for every paragraph, in input order."""
    cut = scorer.threshold_ if threshold is None else threshold
    for doc, scores in score_documents(scorer, documents, batch_paragraphs):
        labels = np.where(scores >= cut, SPAM, CONTENT).tolist()
        for index, (text, label, score) in enumerate(zip(doc.paragraphs, labels, np.round(scores, 6).tolist())):
            yield {"doc_id": doc.id, "index": index, "text": text, "label": label, "score": score}
