"""Training, saving, loading and the threshold (issue #2)."""

import numpy as np

import spamfilter
from spamfilter.model import choose_threshold

from conftest import EDITORIAL, TINY_PARAMS

PARAGRAPHS = ["Home", "News", "Log in", EDITORIAL[0], EDITORIAL[5], EDITORIAL[2], "Read more", "Leave a comment"]
LABELS = ["spam"] * 3 + ["content"] * 3 + ["spam"] * 2


def test_train_save_load_gives_identical_scores(tiny_model_dir, corpus_path):
    trained = spamfilter.train([str(corpus_path)], seed=0, **TINY_PARAMS).model
    loaded = spamfilter.load_model(tiny_model_dir)
    assert np.array_equal(trained.predict_proba(PARAGRAPHS), loaded.predict_proba(PARAGRAPHS))
    assert loaded.threshold_ == trained.threshold_ == loaded.metadata_["threshold"]


def test_training_is_deterministic_for_a_seed(corpus_path):
    a = spamfilter.train([str(corpus_path)], seed=3, **TINY_PARAMS).model
    b = spamfilter.train([str(corpus_path)], seed=3, **TINY_PARAMS).model
    coef = lambda m: m.pipeline_.named_steps["classifier"].coef_  # noqa: E731
    assert np.array_equal(coef(a), coef(b))
    assert a.threshold_ == b.threshold_


def test_min_precision_picks_lowest_threshold_reaching_it():
    labels = ["content", "spam", "content", "spam", "spam"]
    scores = [0.1, 0.4, 0.5, 0.7, 0.9]
    strict = choose_threshold(labels, scores, min_precision=1.0)
    assert 0.5 < strict <= 0.7  # only 0.7 and 0.9 (both spam) are cut: precision 1
    loose = choose_threshold(labels, scores, min_precision=0.75)
    assert 0.1 < loose <= 0.4  # 3 of the 4 cut are spam
    assert choose_threshold(["spam"] * 3, [0.1, 0.2, 0.3]) == 0.5


def test_min_precision_is_used_by_training(corpus_path):
    strict = spamfilter.train([str(corpus_path)], seed=0, min_precision=0.99, **TINY_PARAMS)
    assert strict.metrics["overall"]["paragraph"]["spam"]["precision"] >= 0.99


def test_model_labels_and_scores(tiny_model_dir):
    model = spamfilter.load_model(tiny_model_dir)
    scores = model.predict_proba(PARAGRAPHS)[:, 1]
    assert list(model.predict(PARAGRAPHS)) == LABELS
    assert ((scores >= 0) & (scores <= 1)).all()
