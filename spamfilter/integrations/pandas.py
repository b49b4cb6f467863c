"""Batch functions over pandas objects: the per-partition work of the Dask and Spark adapters.

Each function takes ``model`` as a path (or None for the shipped model) and keeps one
:class:`~spamfilter.Filter` per process and settings, so a callable such as
``functools.partial(clean_frame, model="models/default")`` pickles as a few bytes and the
model is loaded once per worker process, on first use. Passing a fitted
:class:`~spamfilter.SpamClassifier` also works but ships the model with every task.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..features import document_starts
from ..filtering import CleanedText, Filter
from ..labels import CONTENT, SPAM
from ..model import SpamClassifier
from ..paragraphs import SplitMode
from ..scorer import LinearScorer

ModelRef = SpamClassifier | LinearScorer | Filter | str | Path | None

# Columns added by clean_texts / clean_frame, with their dtypes.
METADATA_COLUMNS: dict[str, str] = {
    "spamfilter_paragraphs": "int64",
    "spamfilter_kept": "int64",
    "spamfilter_removed": "int64",
    "spamfilter_mean_score": "float64",
    "spamfilter_empty": "bool",
    "spamfilter_model": "object",
}
# Optional column: the removed paragraphs of each row as a JSON list (see removed_frame).
REMOVED_COLUMN = "spamfilter_removed_paragraphs"
REMOVED_COLUMNS: dict[str, str] = {
    "doc_id": "object", "index": "int64", "text": "object", "score": "float64",
    "separator": "object", "separator_before": "object",
}


@functools.lru_cache(maxsize=8)
def _cached_filter(model: str | None, threshold: float | None, split: SplitMode) -> Filter:
    return Filter(model, threshold, split)


def model_reference(model: ModelRef) -> ModelRef:
    """What to put in a task: a path as a string (small to pickle), anything else unchanged."""
    return str(model) if isinstance(model, Path) else model


def get_filter(model: ModelRef = None, threshold: float | None = None, split: SplitMode = "blank") -> Filter:
    """The Filter for these settings; one per process for a path or the default model."""
    if isinstance(model, Filter):
        return model
    if isinstance(model, (SpamClassifier, LinearScorer)):
        return Filter(model, threshold, split)
    return _cached_filter(None if model is None else str(model), threshold, split)


def score_paragraphs(df: pd.DataFrame, text_column: str = "text", doc_id_column: str | None = "doc_id",
                     model: ModelRef = None, threshold: float | None = None) -> pd.DataFrame:
    """A copy of a paragraph table with ``score`` (P(spam)) and ``label`` columns.

    Rows of one document must be contiguous and in order (``doc_id_column`` gives the
    document context features; without it the whole frame is read as one document).
    """
    flt = get_filter(model, threshold)
    texts = df[text_column].fillna("").astype(str).tolist()
    doc_ids = df[doc_id_column].astype(str).to_numpy() if doc_id_column is not None and doc_id_column in df.columns \
        else None
    scores = flt.model.score_texts(texts, document_starts(doc_ids, len(texts)))
    out = df.copy()
    out["score"] = scores
    out["label"] = np.where(scores >= flt.cut, SPAM, CONTENT).astype(object)
    return out


def _metadata_frame(cleaned: list[CleanedText], name: str, index: pd.Index, with_removed: bool) -> pd.DataFrame:
    columns = {
        "spamfilter_paragraphs": [c.paragraphs for c in cleaned],
        "spamfilter_kept": [c.kept for c in cleaned],
        "spamfilter_removed": [len(c.removed) for c in cleaned],
        "spamfilter_mean_score": [np.nan if c.mean_score is None else c.mean_score for c in cleaned],
        "spamfilter_empty": [c.empty for c in cleaned],
        "spamfilter_model": [name] * len(cleaned),
    }
    frame = pd.DataFrame(columns, index=index).astype(METADATA_COLUMNS)
    if with_removed:
        frame[REMOVED_COLUMN] = [json.dumps([r.record("") for r in c.removed], ensure_ascii=False)
                                 for c in cleaned]
    return frame


def clean_texts(series: pd.Series, model: ModelRef = None, threshold: float | None = None,
                split: SplitMode = "blank", with_removed: bool = False) -> pd.DataFrame:
    """Clean each text of ``series``: a frame (same index) with ``text`` and the metadata
    columns (and the removed paragraphs as JSON when ``with_removed``). Nulls stay null."""
    flt = get_filter(model, threshold, split)
    missing = series.isna().to_numpy()
    cleaned = flt.clean_texts(series.fillna("").astype(str).tolist())
    texts = pd.Series([c.text for c in cleaned], index=series.index, dtype=object)
    texts[missing] = None
    out = _metadata_frame(cleaned, flt.model_name if len(cleaned) else "", series.index, with_removed)
    out.insert(0, "text", texts)
    return out


def clean_frame(df: pd.DataFrame, text_column: str = "text", model: ModelRef = None, threshold: float | None = None,
                split: SplitMode = "blank", with_removed: bool = False) -> pd.DataFrame:
    """A copy of ``df`` with ``text_column`` cleaned and the metadata columns appended."""
    cleaned = clean_texts(df[text_column], model, threshold, split, with_removed)
    out = df.copy()
    out[text_column] = cleaned["text"]
    for column in cleaned.columns[1:]:
        out[column] = cleaned[column]
    return out


def clean_frame_meta(df: pd.DataFrame, with_removed: bool = False) -> pd.DataFrame:
    """The empty frame with the columns and dtypes :func:`clean_frame` returns (no model needed)."""
    out = df.iloc[:0].copy()
    for column, dtype in METADATA_COLUMNS.items():
        out[column] = pd.Series(dtype=dtype)
    if with_removed:
        out[REMOVED_COLUMN] = pd.Series(dtype=object)
    return out


def removed_frame(cleaned: pd.DataFrame, id_column: str | None = None) -> pd.DataFrame:
    """One row per removed paragraph of a frame made by ``clean_frame(..., with_removed=True)``:
    ``doc_id`` (from ``id_column``, else the row index), index, text, score, separator(s).
    With the clean text these restore the original (:func:`spamfilter.filtering.restore`)."""
    ids = cleaned[id_column] if id_column is not None else cleaned.index.to_series()
    rows = []
    for doc_id, payload in zip(ids.tolist(), cleaned[REMOVED_COLUMN].tolist()):
        for record in json.loads(payload):
            record["doc_id"] = None if doc_id is None else str(doc_id)
            rows.append(record)
    frame = pd.DataFrame(rows, columns=list(REMOVED_COLUMNS))
    return frame.astype(REMOVED_COLUMNS)
