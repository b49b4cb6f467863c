"""Every command on tmp_path with tiny fixtures, and the shipped model end to end (issue #2)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import spamfilter
from spamfilter.cli import app

from conftest import EDITORIAL, SEED_ARTICLE

PAGE = ["Home", "News", "Log in", EDITORIAL[0], EDITORIAL[5], EDITORIAL[2], "Read more", "Leave a comment"]
PAGE_LABELS = ["spam"] * 3 + ["content"] * 3 + ["spam"] * 2

runner = CliRunner()
TINY_ARGS = ["--seed", "0"]


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def page(tmp_path) -> Path:
    path = tmp_path / "page.txt"
    path.write_text("\n\n".join(PAGE) + "\n")
    return path


def test_train_writes_a_model_and_prints_metrics(corpus_path, tmp_path):
    result = run("train", corpus_path, "-o", tmp_path / "m", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "content / paragraph" in result.output and "model written to" in result.output
    assert spamfilter.load_model(tmp_path / "m").metadata_["training"]["documents"] == 40


def test_train_with_min_precision(corpus_path, tmp_path):
    result = run("train", corpus_path, "-o", tmp_path / "m", "--min-precision", "0.99")
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "m" / "meta.json").read_text())
    assert meta["metrics"]["overall"]["paragraph"]["spam"]["precision"] >= 0.99


def test_evaluate_prints_and_writes_json(corpus_path, tiny_model_dir, tmp_path):
    result = run("evaluate", corpus_path, "-m", tiny_model_dir, "--json", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    assert "by source:" in result.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["overall"]["paragraphs"] == 400
    assert set(report["by_source"]) == {"alpha", "beta"}


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_predict_to_file(page, tiny_model_dir, tmp_path, suffix):
    out = tmp_path / f"out{suffix}"
    result = run("predict", page, "-m", tiny_model_dir, "-o", out)
    assert result.exit_code == 0, result.output
    if suffix == ".jsonl":
        frame = pd.read_json(out, lines=True)
    elif suffix == ".csv":
        frame = pd.read_csv(out)
    else:
        frame = pd.read_parquet(out)
    assert list(frame.columns) == ["doc_id", "index", "text", "label", "score"]
    assert frame["label"].tolist() == PAGE_LABELS


def test_predict_to_stdout(page, tiny_model_dir):
    result = run("predict", page, "-m", tiny_model_dir)
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows][0] == "Home" and rows[0]["doc_id"] == "page.txt"


def test_predict_threshold_override(page, tiny_model_dir):
    result = run("predict", page, "-m", tiny_model_dir, "--threshold", "1.0")
    assert {json.loads(line)["label"] for line in result.stdout.splitlines()} == {"content"}


def test_min_precision_cuts_at_the_models_threshold_for_that_precision(corpus_path, tiny_model_dir, tmp_path):
    threshold, precision, _ = spamfilter.load_scorer(tiny_model_dir).operating_point(0.8)
    assert precision >= 0.8
    chosen = run("predict", corpus_path, "-m", tiny_model_dir, "--min-precision", "0.8")
    explicit = run("predict", corpus_path, "-m", tiny_model_dir, "--threshold", threshold)
    assert chosen.exit_code == 0, chosen.output
    rows = [json.loads(line) for line in chosen.stdout.splitlines()]
    assert chosen.stdout == explicit.stdout
    assert all((r["label"] == "spam") == (r["score"] >= threshold) for r in rows)
    own = [json.loads(line)["label"] for line in run("predict", corpus_path, "-m", tiny_model_dir).stdout.splitlines()]
    assert own != [r["label"] for r in rows]  # a different operating point from the model's own
    report = tmp_path / "report.json"
    assert run("evaluate", corpus_path, "-m", tiny_model_dir, "--min-precision", "0.8", "--json", report).exit_code == 0
    assert json.loads(report.read_text())["threshold"] == threshold


def test_threshold_and_min_precision_together_are_refused(page, tiny_model_dir):
    result = run("predict", page, "-m", tiny_model_dir, "--threshold", "0.5", "--min-precision", "0.9")
    assert result.exit_code == 1 and "give --threshold or --min-precision, not both" in result.stderr


@pytest.mark.parametrize("content, expected", [
    ('{"id": "a", "text": 5}\n', "bad.jsonl:1: field 'text' must be a string, got number"),
    ('{"id": "a"}\n{"id": "b", "text": "x"\n', "bad.jsonl:1: missing field 'text' (or 'paragraphs')"),
    ('{"text": "x"}\n{"id": "b", "text": "x"\n', "bad.jsonl:2: invalid JSON"),
    ('[1, 2]\n', "bad.jsonl:1: expected a JSON object per line, got list"),
    ('{"paragraphs": [{"text": "x", "label": "ad"}]}\n', "bad.jsonl:1: paragraph 0: unknown label 'ad'"),
])
def test_predict_bad_input_is_one_line(tmp_path, tiny_model_dir, content, expected):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    result = run("predict", path, "-m", tiny_model_dir)
    assert result.exit_code == 1
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_debug_shows_traceback(tmp_path, tiny_model_dir):
    path = tmp_path / "bad.jsonl"
    path.write_text("[]\n")
    result = run("predict", path, "-m", tiny_model_dir, "--debug")
    assert result.exit_code == 1 and "Traceback" in result.stderr


def test_train_bad_label_names_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("text,label\na,content\nb,adverts\n")
    result = run("train", path, "-o", tmp_path / "m")
    assert result.exit_code == 1
    assert "t.csv:3: unknown label 'adverts'; allowed: content, spam, boilerplate, promotion or null" in result.stderr


def test_missing_model_dir(page, tmp_path):
    result = run("predict", page, "-m", tmp_path / "nope")
    assert result.exit_code == 1
    assert "no such model directory (train one with 'spamfilter train')" in result.stderr


NEEDS_SEED_AND_MODEL = [
    pytest.mark.skipif(not SEED_ARTICLE.exists(), reason="needs ../shared/seeds"),
    pytest.mark.skipif(not (spamfilter.default_model_dir() / "meta.json").exists(), reason="no shipped model"),
]


def _seed_rows() -> list[dict]:
    result = run("predict", SEED_ARTICLE, "--split", "lines")
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@NEEDS_SEED_AND_MODEL[0]
@NEEDS_SEED_AND_MODEL[1]
def test_default_model_labels_exactly_the_injected_promotion():
    rows = _seed_rows()
    spam = [r["text"] for r in rows if r["label"] == "spam"]
    assert spam == ["AliDropship is the best solution for dropshipping", "Source link",
                    "Sell anywhere with AliDropship", "AliDropship is the best solution for dropshipping"]
    assert [r["index"] for r in rows if r["label"] == "spam"] == [0, 13, 14, 15]
    assert all(r["label"] == "content" for r in rows[1:-3])


def test_command_line_process_uses_one_blas_thread_unless_told_otherwise():
    code = ("import spamfilter.cli, numpy, threadpoolctl;"
            "print(max(p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas'))")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    one = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert one.stdout.strip() == "1"
    two = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**env, "OPENBLAS_NUM_THREADS": "2"})
    assert two.stdout.strip() == "2"


def test_min_precision_out_of_reach_is_one_clear_line(page, tiny_model_dir, monkeypatch):
    curve = np.array([[0.9, 0.5], [0.8, 0.6], [0.0, 1.0]])  # the best spam precision is 0.8
    original = spamfilter.artifact.load_scorer

    def with_curve(model):
        scorer = original(model)
        scorer.precision_curve = curve
        return scorer

    monkeypatch.setattr(spamfilter.artifact, "load_scorer", with_curve)
    result = run("predict", page, "-m", tiny_model_dir, "--min-precision", "0.95")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("error: --min-precision 0.95: no threshold reaches spam precision 0.95 on this "
                                     "model's held-out scores (the highest is 0.800); ask for less")
