"""Scoring documents with a model, batch by batch, into one row per paragraph."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from .io import BATCH_PARAGRAPHS, Document, documents_to_frame, iter_batches
from .labels import CONTENT, SPAM
from .model import SpamClassifier


def score_documents(model: SpamClassifier, documents: Iterable[Document],
                    batch_paragraphs: int = BATCH_PARAGRAPHS) -> Iterator[tuple[Document, np.ndarray]]:
    """Each document with the P(spam) of its paragraphs, scored in vectorised batches."""
    for batch in iter_batches(documents, batch_paragraphs):
        scores = model.score_paragraphs(documents_to_frame(batch))
        start = 0
        for doc in batch:
            end = start + len(doc.paragraphs)
            yield doc, scores[start:end]
            start = end


def predict_rows(model: SpamClassifier, documents: Iterable[Document], threshold: float | None = None,
                 batch_paragraphs: int = BATCH_PARAGRAPHS) -> Iterator[dict]:
    """``{doc_id, index, text, label, score}`` for every paragraph, in input order."""
    cut = model.threshold_ if threshold is None else threshold
    for doc, scores in score_documents(model, documents, batch_paragraphs):
        for index, (text, score) in enumerate(zip(doc.paragraphs, scores.tolist())):
            yield {"doc_id": doc.id, "index": index, "text": text,
                   "label": SPAM if score >= cut else CONTENT, "score": round(score, 6)}
