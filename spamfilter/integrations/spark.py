"""Cleaning a text column of a Spark DataFrame with ``mapInPandas``.

Each Arrow batch goes through :func:`spamfilter.integrations.pandas.clean_frame`; the
model is referenced by path and loaded once per Python worker process.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from . import missing_extra
from ..paragraphs import SplitMode
from .pandas import METADATA_COLUMNS, REMOVED_COLUMN, REMOVED_COLUMNS, ModelRef, clean_frame, model_reference, removed_frame

try:
    from pyspark.sql import DataFrame
    from pyspark.sql import types as T
except ImportError as error:  # pragma: no cover - depends on the environment
    raise missing_extra("PySpark", "spark", error) from error

_SPARK_TYPES = {"int64": T.LongType(), "float64": T.DoubleType(), "bool": T.BooleanType(), "object": T.StringType()}


@dataclass(frozen=True)
class _Cleaner:
    """The picklable per-batch function (holds the model path, not the model)."""

    text_column: str
    model: ModelRef
    threshold: float | None
    split: SplitMode
    with_removed: bool

    def __call__(self, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            yield clean_frame(batch, self.text_column, self.model, self.threshold, self.split, self.with_removed)


@dataclass(frozen=True)
class _Exploder:
    id_column: str

    def __call__(self, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            yield removed_frame(batch, self.id_column)


def clean_dataframe(sdf: DataFrame, text_column: str = "text", model: ModelRef = None,
                    threshold: float | None = None, split: SplitMode = "blank", with_removed: bool = False,
                    id_column: str | None = None):
    """``sdf`` with ``text_column`` cleaned and the ``spamfilter_*`` metadata columns added.

    With ``with_removed`` (which needs ``id_column`` to name the documents) returns
    ``(clean, removed)``; ``cache()`` the clean frame first if you use both, or the
    documents are scored twice.
    """
    if with_removed and id_column is None:
        raise ValueError("with_removed=True needs id_column: the column that identifies each document")
    if text_column not in sdf.columns:
        raise ValueError(f"no column {text_column!r}; columns are {sdf.columns}")
    model = model_reference(model)
    fields = list(sdf.schema.fields) + [T.StructField(name, _SPARK_TYPES[dtype], True)
                                        for name, dtype in METADATA_COLUMNS.items()]
    if with_removed:
        fields.append(T.StructField(REMOVED_COLUMN, T.StringType(), True))
    full = sdf.mapInPandas(_Cleaner(text_column, model, threshold, split, with_removed), T.StructType(fields))
    if not with_removed:
        return full
    removed_schema = T.StructType([T.StructField(name, _SPARK_TYPES[dtype], True)
                                   for name, dtype in REMOVED_COLUMNS.items()])
    removed = full.mapInPandas(_Exploder(id_column), removed_schema)
    return full.drop(REMOVED_COLUMN), removed
