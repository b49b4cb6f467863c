"""The features of :mod:`spamfilter.features` as one sparse matrix: the scikit-learn transformer.

Training and explanations need the matrix itself; prediction does not (it sums the
weights straight from the text, see :mod:`spamfilter.scorer`), so this module is the
only one of the feature code that imports scipy, pandas and scikit-learn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from .features import (
    FEATURE_GROUPS,
    feature_texts,
    DEFAULT_CHAR_NGRAMS,
    DEFAULT_HASH_BITS,
    DEFAULT_WORD_NGRAMS,
    HashedBatch,
    HashedNgrams,
    dense_features,
    dense_names,
    document_batches,
    document_starts,
    hash_ngrams,
    layout_and_shapes,
    ngram_settings,
    text_keys,
)


def _ngram_parts(occurrences: HashedNgrams, n_rows: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(rows, columns, values)`` of each n-gram part, each kind scaled by 1/sqrt(its count in the row).

    The scaling makes long and short paragraphs comparable (like l2 normalisation of a
    count vector) without sorting to sum duplicate columns.
    """
    per_kind: dict[int, np.ndarray] = {}
    for rows, kind in zip(occurrences.rows, occurrences.kind):
        per_kind[kind] = per_kind.get(kind, 0) + np.bincount(rows, minlength=n_rows)
    scale = {kind: 1.0 / np.sqrt(np.maximum(total, 1)) for kind, total in per_kind.items()}
    return [(rows, columns, scale[kind][rows])
            for rows, columns, kind in zip(occurrences.rows, occurrences.columns, occurrences.kind)]


def _merge_parts(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n_rows: int, width: int) -> sp.csr_matrix:
    """One CSR matrix from parts that are each sorted by row, by a counting sort on rows.

    CSR does not need sorted columns within a row, so no general sort (or hstack) is needed.
    """
    counts = [np.bincount(rows, minlength=n_rows) for rows, _, _ in parts]
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(sum(counts, np.zeros(n_rows, dtype=np.int64)), out=indptr[1:])
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    values = np.empty(int(indptr[-1]), dtype=np.float64)
    filled = indptr[:-1].copy()
    for (rows, columns, data), count in zip(parts, counts):
        part_start = np.zeros(n_rows, dtype=np.int64)
        np.cumsum(count[:-1], out=part_start[1:])
        destination = filled[rows] + (np.arange(len(rows)) - part_start[rows])
        indices[destination] = columns
        values[destination] = data
        filled += count
    return sp.csr_matrix((values, indices, indptr), shape=(n_rows, width))


def as_paragraph_frame(X) -> pd.DataFrame:
    """Accept a DataFrame with a ``text`` column (and optional ``doc_id``) or a sequence of strings.

    A plain sequence is read as the paragraphs of one document, in order.
    """
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, str):
        raise TypeError("expected a sequence of paragraphs, got one string; wrap it in a list")
    return pd.DataFrame({"text": pd.Series(list(X), dtype=object)})  # object: any str, even a lone surrogate


class ParagraphFeatures(TransformerMixin, BaseEstimator):
    """Sparse features of each paragraph in its document (see the module docstring).

    Stateless: ``fit`` only records the output width, so the same settings always give
    the same columns, in training, in a worker process and in a later session.
    """

    def __init__(
        self,
        hash_bits: int = DEFAULT_HASH_BITS,
        char_ngrams: tuple[int, int] = DEFAULT_CHAR_NGRAMS,
        word_ngrams: tuple[int, int] = DEFAULT_WORD_NGRAMS,
        groups: tuple[str, ...] = FEATURE_GROUPS,
    ):
        self.hash_bits = hash_bits
        self.char_ngrams = char_ngrams
        self.word_ngrams = word_ngrams
        self.groups = groups

    def fit(self, X, y=None):
        unknown = set(self.groups) - set(FEATURE_GROUPS)
        if unknown:
            raise ValueError(f"unknown feature groups {sorted(unknown)}; choose from {FEATURE_GROUPS}")
        self.n_features_out_ = len(self.feature_blocks())
        return self

    def feature_blocks(self) -> list[str]:
        """Name of each dense column after the hashed block (for explanations)."""
        return dense_names(self.groups)

    def transform(self, X) -> sp.csr_matrix:
        """Features of every row, computed batch by batch (whole documents per batch)."""
        blocks = [_merge_parts(parts, n, width) for parts, n, width in self._batches(X)]
        if not blocks:
            return sp.csr_matrix((0, 2**self.hash_bits + len(self.feature_blocks())))
        return blocks[0] if len(blocks) == 1 else sp.vstack(blocks, format="csr")

    def _batches(self, X):
        """``(parts, rows, width)`` per batch: row-sorted ``(rows, columns, values)`` parts."""
        frame = as_paragraph_frame(X)
        doc_ids = frame["doc_id"].to_numpy() if "doc_id" in frame.columns else None
        all_texts = frame["text"].tolist()
        chars, words = ngram_settings(self.groups, self.char_ngrams, self.word_ngrams)
        for first, end, starts in document_batches(document_starts(doc_ids, len(frame))):
            texts = all_texts[first:end]
            n = len(texts)
            width = 2**self.hash_bits
            normalised = feature_texts(texts)
            batch = HashedBatch(normalised)
            layout, shapes = layout_and_shapes(texts, normalised, self.groups)
            parts = (_ngram_parts(hash_ngrams(batch, self.hash_bits, chars, words, shapes), n)
                     if chars or words or shapes is not None else [])
            tokens = batch.word_tokens() if "repetition" in self.groups else None
            dense = dense_features(layout, tokens, text_keys(normalised), starts, self.groups)
            if dense is not None:
                rows, columns = np.nonzero(dense)
                parts.append((rows, columns + width, dense[rows, columns]))
                width += dense.shape[1]
            yield parts, n, width
