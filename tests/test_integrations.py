"""pandas, Dask, Spark and datatrove adapters: same cleaning, lossless, model by path."""

from __future__ import annotations

import functools
import importlib
import os
import pickle
import shutil
import sys

import pandas as pd
import pytest

from conftest import EDITORIAL
from spamfilter.filtering import restore
from spamfilter.integrations import pandas as sf_pandas

THRESHOLD = 0.5  # the tiny model's own threshold is near 1


def texts() -> list[str]:
    return [
        "Home\n\n" + EDITORIAL[0] + "\n\n" + EDITORIAL[1] + "\n\nSubscribe to our newsletter\n",
        "  " + EDITORIAL[2] + "\r\n\r\nLog in",
        "Contact us\n\nRead more",
        "",
    ]


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"id": ["a", "b", "c", "d"], "text": texts(), "n": [1, 2, 3, 4]})


def assert_restores(clean: pd.DataFrame, removed: pd.DataFrame, originals: list[str]) -> None:
    clean = clean.sort_values("id")
    for doc_id, text, original in zip(clean["id"], clean["text"], originals):
        records = removed[removed["doc_id"] == doc_id].to_dict("records")
        records = [{**r, "separator_before": None if pd.isna(r["separator_before"]) else r["separator_before"]}
                   for r in records]
        assert restore(text, records) == original


def test_pandas_clean_frame_round_trip(frame, tiny_model_dir):
    clean = sf_pandas.clean_frame(frame, model=tiny_model_dir, threshold=THRESHOLD, with_removed=True)
    assert list(clean["n"]) == [1, 2, 3, 4]
    assert clean.loc[0, "text"] == EDITORIAL[0] + "\n\n" + EDITORIAL[1] + "\n"
    assert list(clean["spamfilter_removed"]) == [2, 1, 2, 0]
    assert list(clean["spamfilter_empty"]) == [False, False, True, True]
    assert clean["spamfilter_model"].iloc[0] == "tiny"
    removed = sf_pandas.removed_frame(clean, "id")
    assert list(removed.columns) == list(sf_pandas.REMOVED_COLUMNS)
    assert_restores(clean.drop(columns=[sf_pandas.REMOVED_COLUMN]), removed, texts())


def test_pandas_score_paragraphs_and_nulls(tiny_model_dir):
    table = pd.DataFrame({"doc_id": ["x", "x", "y"], "text": ["Home", EDITORIAL[3], "Log in"]})
    scored = sf_pandas.score_paragraphs(table, model=tiny_model_dir, threshold=THRESHOLD)
    assert list(scored["label"]) == ["spam", "content", "spam"]
    assert scored["score"].between(0, 1).all()
    cleaned = sf_pandas.clean_texts(pd.Series([None, "Home"], index=[10, 11]), model=tiny_model_dir,
                                    threshold=THRESHOLD)
    assert list(cleaned.index) == [10, 11] and cleaned.loc[10, "text"] is None and cleaned.loc[11, "text"] == ""


def test_pandas_callable_pickles_small_and_model_loads_once(tiny_model_dir):
    work = functools.partial(sf_pandas.clean_frame, model=str(tiny_model_dir), threshold=THRESHOLD)
    assert len(pickle.dumps(work)) < 1000
    first = sf_pandas.get_filter(str(tiny_model_dir), THRESHOLD)
    assert sf_pandas.get_filter(tiny_model_dir, THRESHOLD) is first  # cached per process


def test_missing_library_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    monkeypatch.delitem(sys.modules, "spamfilter.integrations.dask", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'spamfilter\[dask\]'"):
        importlib.import_module("spamfilter.integrations.dask")


def test_dask_clean_dataframe(frame, tiny_model_dir):
    dask = pytest.importorskip("dask", reason="Dask not installed (pip install 'spamfilter[dask]')")
    dd = pytest.importorskip("dask.dataframe")
    from spamfilter.integrations.dask import clean_dataframe

    ddf = dd.from_pandas(frame, npartitions=2)
    clean, removed = clean_dataframe(ddf, model=tiny_model_dir, threshold=THRESHOLD, with_removed=True, id_column="id")
    assert sf_pandas.REMOVED_COLUMN not in clean.columns
    clean_pd, removed_pd = dask.compute(clean, removed, scheduler="sync")
    assert list(clean_pd["spamfilter_removed"]) == [2, 1, 2, 0]
    assert_restores(clean_pd, removed_pd, texts())
    only = clean_dataframe(ddf, model=tiny_model_dir, threshold=THRESHOLD).compute(scheduler="sync")
    assert list(only.columns) == list(frame.columns) + list(sf_pandas.METADATA_COLUMNS)


@pytest.fixture(scope="session")
def spark():
    pytest.importorskip("pyspark", reason="PySpark not installed (pip install 'spamfilter[spark]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java (17+): no java on PATH and JAVA_HOME unset")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (SparkSession.builder.master("local[2]").appName("spamfilter-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.memory", "1g").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_clean_dataframe(spark, frame, tiny_model_dir):
    from spamfilter.integrations.spark import clean_dataframe

    sdf = spark.createDataFrame(frame)
    clean, removed = clean_dataframe(sdf, model=tiny_model_dir, threshold=THRESHOLD, with_removed=True, id_column="id")
    clean_pd = clean.toPandas()
    removed_pd = removed.toPandas()
    assert sorted(clean_pd["id"]) == ["a", "b", "c", "d"]
    assert dict(zip(clean_pd["id"], clean_pd["spamfilter_removed"])) == {"a": 2, "b": 1, "c": 2, "d": 0}
    assert_restores(clean_pd, removed_pd, texts())
    with pytest.raises(ValueError, match="needs id_column"):
        clean_dataframe(sdf, with_removed=True)


def test_datatrove_step(tiny_model_dir):
    pytest.importorskip("datatrove", reason="datatrove not installed (pip install 'spamfilter[datatrove]')")
    from datatrove.data import Document

    from spamfilter.integrations.datatrove import REMOVED_KEY, SpamfilterParagraphFilter

    documents = [Document(text=t, id=str(i)) for i, t in enumerate(texts())]
    step = SpamfilterParagraphFilter(model=tiny_model_dir, threshold=THRESHOLD, drop_empty=True, batch_size=3)
    step = pickle.loads(pickle.dumps(step))  # executors ship steps to workers
    out = list(step.run(iter(documents)))
    assert [d.id for d in out] == ["0", "1"]
    assert out[0].text == EDITORIAL[0] + "\n\n" + EDITORIAL[1] + "\n"
    assert out[0].metadata["spamfilter"]["removed"] == 2
    assert restore(out[0].text, out[0].metadata[REMOVED_KEY]) == texts()[0]
    stats = step.stats.to_dict() if hasattr(step.stats, "to_dict") else step.stats
    flat = str(stats)
    assert "paragraphs_removed" in flat and "dropped_empty" in flat
    assert step.stats["paragraphs_removed"].total == 5
