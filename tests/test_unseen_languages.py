"""benchmarks/unseen_languages.py and its data: languages no training file holds."""

from __future__ import annotations

import collections
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_benchmark():
    spec = importlib.util.spec_from_file_location("_test_unseen", ROOT / "benchmarks" / "unseen_languages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_its_languages_are_in_no_training_file():
    records = [json.loads(line) for line in (ROOT / "datasets" / "unseen_languages.jsonl").open(encoding="utf-8")]
    trained = {json.loads(line)["lang"] for name in ("promotions", "hard_negatives", "editorial")
               for line in (ROOT / "datasets" / f"{name}.jsonl").open(encoding="utf-8")}
    languages = collections.Counter((r["lang"], r["kind"]) for r in records)
    assert {lang for lang, _ in languages} == {"hi", "th", "bn", "ta", "he", "sw"}
    assert not {lang for lang, _ in languages} & trained
    assert all(count == (4 if kind == "article" else 16) for (_, kind), count in languages.items())
    texts = [t for r in records for t in (r["paragraphs"] if r["kind"] == "article" else [r["text"]])]
    assert len(set(texts)) == len(texts) and all(t == t.strip() and t for t in texts)
    assert len({r["id"] for r in records}) == len(records)


class MarkedModel:
    """Flags a paragraph that holds "AD"."""

    threshold_ = 0.5

    def score_paragraphs(self, frame):
        return np.where(frame["text"].str.contains("AD"), 0.9, 0.1)


def test_figures_place_each_promotion_mid_article_and_at_the_end():
    benchmark = load_benchmark()
    articles = {"xx": [["h1", "p1", "p2", "AD p3", "p4"], ["h2", "q1"]]}
    promotions = {"xx": ["AD one", "two", "AD three", "four"]}
    frame = benchmark.documents(articles["xx"], promotions["xx"])
    middle = frame[frame["doc_id"] == "middle-0"]["text"].tolist()
    assert middle == ["h1", "p1", "p2", "AD one", "AD p3", "p4"]
    assert frame[frame["doc_id"] == "middle-1"]["text"].tolist() == ["h2", "two", "q1"]
    assert frame[frame["doc_id"] == "end-1"]["text"].tolist() == ["h2", "q1", "two"]
    figures = benchmark.figures(MarkedModel(), articles, promotions)
    assert frame[frame["doc_id"] == "paragraph-0-3"]["text"].tolist() == ["AD p3"]
    assert figures == {"xx": {"editorial": pytest.approx(1 / 7), "alone": pytest.approx(1 / 7), "middle": 0.5,
                              "end": 0.5}}


def test_the_shipped_model_keeps_the_editorial_text_of_languages_it_never_saw():
    # Guards the failures this data found: Korean prose shaped as a Chinese menu (70% of it
    # flagged), Thai paragraphs read as one-word lines (47%).
    from spamfilter.artifact import default_model_dir, load_model

    benchmark = load_benchmark()
    figures = benchmark.figures(load_model(default_model_dir()), *benchmark.read_records())
    assert max(f["editorial"] for f in figures.values()) <= 0.10, figures


def test_a_missing_model_is_one_line_naming_it(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "unseen_languages.py"), "--model",
                             str(tmp_path / "nope")], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"--model: {tmp_path / 'nope'}: no such model directory" in result.stderr
