"""Cleaning a text column of a Dask DataFrame, partition by partition.

The model is referenced by path in the task graph and loaded once per worker process
(see :mod:`spamfilter.integrations.pandas`).
"""

from __future__ import annotations

import functools

from . import missing_extra
from ..paragraphs import SplitMode
from .pandas import REMOVED_COLUMN, REMOVED_COLUMNS, ModelRef, clean_frame, clean_frame_meta, model_reference, removed_frame

try:
    import dask.dataframe as dd
except ImportError as error:  # pragma: no cover - depends on the environment
    raise missing_extra("Dask", "dask", error) from error

import pandas as pd


def clean_dataframe(ddf: "dd.DataFrame", text_column: str = "text", model: ModelRef = None,
                    threshold: float | None = None, split: SplitMode = "blank", with_removed: bool = False,
                    id_column: str | None = None):
    """``ddf`` with ``text_column`` cleaned and the ``spamfilter_*`` metadata columns added.

    With ``with_removed`` returns ``(clean, removed)``, ``removed`` holding one row per
    removed paragraph (``doc_id`` from ``id_column``, else the index). Both derive from one
    cleaning pass: compute them together (``dask.compute(clean, removed)``) or ``persist``
    to avoid scoring twice.
    """
    model = model_reference(model)
    work = functools.partial(clean_frame, text_column=text_column, model=model, threshold=threshold,
                             split=split, with_removed=with_removed)
    full = ddf.map_partitions(work, meta=clean_frame_meta(ddf._meta, with_removed))
    if not with_removed:
        return full
    meta = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in REMOVED_COLUMNS.items()})
    removed = full.map_partitions(removed_frame, id_column=id_column, meta=meta)
    return full.drop(columns=[REMOVED_COLUMN]), removed
