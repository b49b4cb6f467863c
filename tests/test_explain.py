"""Explanations add up to the model's decision value; ``explain`` and ``info`` show the truth."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import spamfilter
from spamfilter.artifact import read_meta
from spamfilter.cli import app
from spamfilter.explain import explain, strongest_dense, strongest_ngrams
from spamfilter.features import shape_batch
from spamfilter.tables import read_corpus
from spamfilter.model import SpamClassifier
from spamfilter.normalize import normalize_text

from conftest import BOILERPLATE, EDITORIAL

DOCUMENT = [BOILERPLATE[0], BOILERPLATE[5], EDITORIAL[0], EDITORIAL[3],
            "Grab your FREE spins at the best casino today!!!", BOILERPLATE[6]]


@pytest.fixture(scope="module")
def model(tiny_model_dir):
    return spamfilter.load_model(tiny_model_dir)


def test_contributions_add_up_to_the_decision_value(model):
    explanations = explain(model, DOCUMENT)
    decisions = model.decision_function(DOCUMENT)
    probabilities = model.predict_proba(DOCUMENT)[:, 1]
    assert [e.index for e in explanations] == list(range(len(DOCUMENT)))
    for item, decision, probability in zip(explanations, decisions, probabilities):
        total = item.intercept + sum(c.contribution for c in item.contributions)
        assert total == pytest.approx(decision, rel=1e-9, abs=1e-9)
        assert item.decision == pytest.approx(decision, rel=1e-9, abs=1e-9)
        assert item.score == pytest.approx(probability, rel=1e-9, abs=1e-12)
        assert sum(item.by_group().values()) == pytest.approx(decision - item.intercept, abs=1e-9)
        assert {"ngrams", "layout", "context", "calibration"} <= set(item.by_group())


def test_context_depends_on_the_document(model):
    """The same paragraph alone and inside its page: same n-grams, different context and score."""
    alone = explain(model, [DOCUMENT[2]])[0]
    inside = explain(model, DOCUMENT)[2]
    assert alone.by_group()["context"] != pytest.approx(inside.by_group()["context"])
    assert alone.first_pass != pytest.approx(inside.first_pass)
    columns = [{c.column for c in item.contributions if c.group == "ngrams"} for item in (alone, inside)]
    assert columns[0] == columns[1]


def test_one_stage_model_contributions_are_weight_times_value(corpus_path):
    """Without the second stage and the calibration each contribution is the SGD weight times the feature value."""
    frame = read_corpus([str(corpus_path)])
    model = SpamClassifier(hash_bits=16, char_ngrams=(3, 4), context_pass=False, source_folds=0).fit(
        frame, frame["label"])
    classifier = model.pipeline_.named_steps["classifier"]
    for item, decision in zip(explain(model, DOCUMENT), model.decision_function(DOCUMENT)):
        assert item.intercept == pytest.approx(classifier.intercept_[0])
        assert item.intercept + sum(c.contribution for c in item.contributions) == pytest.approx(decision)
        assert item.first_pass == pytest.approx(decision)
        for c in item.contributions:
            assert c.group != "second pass"
            assert c.weight == classifier.coef_[0][c.column]


def test_hashed_columns_are_named_by_ngrams_of_the_paragraph(model):
    item = explain(model, DOCUMENT)[5]
    text = f" {normalize_text(DOCUMENT[5])} "
    shape = shape_batch([DOCUMENT[5]]).codes.tobytes().decode("utf-32-le")
    ngram_terms = [c for c in item.contributions if c.group == "ngrams"]
    assert ngram_terms and all(c.ngrams for c in ngram_terms)
    kinds = set()
    for c in ngram_terms:
        for kind, gram in c.ngrams:
            kinds.add(kind)
            assert gram in (shape if kind == "shape" else text)
    assert kinds == {"word", "char", "shape"}
    words = {gram for c in ngram_terms for kind, gram in c.ngrams if kind == "word"}
    assert {"copyright", "copyright 2024", "media. all"} <= words  # bigrams keep what lies between
    dense = [c for c in item.contributions if c.group != "ngrams"]
    assert all(c.name.startswith(("layout:", "context:", "second pass:", "calibration:")) for c in dense)
    ranked = [c.contribution for c in item.contributions]
    assert ranked == sorted(ranked, reverse=True)
    assert all(c.contribution > 0 for c in item.towards_spam(5))
    assert all(c.contribution < 0 for c in item.towards_content(5))


def test_strongest_features_have_signs_and_names(model):
    dense = strongest_dense(model, 5)
    assert all(f.weight > 0 for f in dense["spam"]) and all(f.weight < 0 for f in dense["content"])
    assert all(f.name.startswith(("layout:", "context:")) for f in dense["spam"] + dense["content"])
    ngrams = strongest_ngrams(model, 5)
    assert ngrams["spam"] and ngrams["content"]
    assert all(f.name.startswith('"') for f in ngrams["spam"])


def test_explain_command_json_matches_library(model, tiny_model_dir, tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("\n\n".join(DOCUMENT) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["explain", str(page), "--model", str(tiny_model_dir), "--json", "--top", "3"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["text"] for r in records] == DOCUMENT
    decisions = model.decision_function(DOCUMENT)
    for record, decision in zip(records, decisions):
        assert record["decision"] == pytest.approx(decision)
        assert len(record["towards_spam"]) <= 3 and len(record["towards_content"]) <= 3
        assert record["label"] == ("spam" if record["score"] >= model.threshold_ else "content")


def test_explain_command_reads_literal_text_as_a_table(tiny_model_dir):
    result = CliRunner().invoke(app, ["explain", "Home\n\n" + EDITORIAL[1], "--model", str(tiny_model_dir)])
    assert result.exit_code == 0, result.output
    assert "towards spam" in result.stdout and "towards content" in result.stdout
    assert "¶0" in result.stdout and "¶1" in result.stdout


def test_explain_command_reports_a_bad_model_dir(tmp_path):
    result = CliRunner().invoke(app, ["explain", "Home", "--model", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert "no such model directory" in result.output


def test_info_shows_what_meta_json_holds(tiny_model_dir):
    meta = read_meta(tiny_model_dir)
    result = CliRunner().invoke(app, ["info", "--model", str(tiny_model_dir)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"{meta['threshold']:.4f}" in out
    for name, version in meta["versions"].items():
        assert f"{name} {version}" in out
    assert f"{meta['training']['paragraphs']:,} paragraphs in {meta['training']['documents']:,} documents" in out
    for kind, count in meta["training"]["by_kind"].items():
        assert f"{kind} {count:,}" in out
    assert "strongest layout and context features" in out and "probe phrases" in out
    assert "calibration on out-of-source scores" in out and "calibration:log_tokens" in out
    threshold, precision, removed = spamfilter.load_scorer(tiny_model_dir).operating_point(0.9)
    assert "other thresholds (--min-precision)" in out
    assert f"{threshold:.4f}" in out and f"{precision:.3f}" in out and f"{removed:.2%}" in out


def test_info_json_is_the_card(tiny_model_dir):
    meta = read_meta(tiny_model_dir)
    result = CliRunner().invoke(app, ["info", "--model", str(tiny_model_dir), "--json", "--top", "4"])
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    for key in ("threshold", "versions", "training", "metrics", "parameters"):
        assert card[key] == meta[key]
    assert 0 < len(card["strongest"]["dense"]["spam"]) <= 4
    assert np.isfinite([f["weight"] for f in card["strongest"]["ngrams"]["content"]]).all()
    model = spamfilter.load_model(tiny_model_dir)
    assert [f["weight"] for f in card["strongest"]["calibration"]] == pytest.approx(list(model.calibration_))
    points = {point["min_precision"]: point for point in card["operating_points"]}
    assert set(points) == {0.9, 0.95, 0.98, 0.99}
    for level, point in points.items():
        assert point["spam_precision"] >= level
        assert point["threshold"] == model.scorer().operating_point(level)[0]


def test_explain_command_matches_predict_on_a_corpus(tiny_model_dir, corpus_path):
    """Every paragraph of a multi-document file is explained with the score ``predict`` gives it."""
    runner = CliRunner()
    explained = runner.invoke(app, ["explain", str(corpus_path), "--model", str(tiny_model_dir), "--json", "-k", "1"])
    predicted = runner.invoke(app, ["predict", str(corpus_path), "--model", str(tiny_model_dir)])
    assert explained.exit_code == 0 and predicted.exit_code == 0, explained.output + predicted.output
    rows = [json.loads(line) for line in predicted.stdout.splitlines()]
    records = json.loads(explained.stdout)
    assert [(r["doc_id"], r["index"]) for r in records] == [(r["doc_id"], r["index"]) for r in rows]
    assert [r["score"] for r in records] == pytest.approx([r["score"] for r in rows], abs=1e-6)


def test_explain_selected_rows_of_a_table(model, corpus_path):
    frame = read_corpus([str(corpus_path)])
    scores = model.score_paragraphs(frame)
    items = explain(model, frame, rows=[3, 17])
    assert [item.index for item in items] == [3, 17]
    assert [item.score for item in items] == pytest.approx(scores[[3, 17]])
