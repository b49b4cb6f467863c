"""Training, saving, loading and the threshold (issue #2)."""

import numpy as np
import pandas as pd
import pytest

import spamfilter
from spamfilter.thresholds import choose_threshold, precision_curve

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


def test_min_precision_is_used_by_training(corpus_path):
    strict = spamfilter.train([str(corpus_path)], seed=0, min_precision=0.99, **TINY_PARAMS)
    assert strict.metrics["overall"]["paragraph"]["spam"]["precision"] >= 0.99


def test_model_labels_and_scores(tiny_model_dir):
    model = spamfilter.load_model(tiny_model_dir)
    scores = model.predict_proba(PARAGRAPHS)[:, 1]
    assert list(model.predict(PARAGRAPHS)) == LABELS
    assert ((scores >= 0) & (scores <= 1)).all()


@pytest.mark.parametrize("which", ["tiny", "shipped"])
def test_a_documents_scores_do_not_depend_on_the_documents_scored_with_it(which, request):
    """Streaming batches documents by size: the batch must not change a document's scores
    (the shipped model also has the promotion detector and its cut per page language)."""
    model = spamfilter.load_model(request.getfixturevalue("tiny_model_dir") if which == "tiny" else None)
    alone = pd.DataFrame({"doc_id": "a", "text": PARAGRAPHS})
    others = pd.DataFrame({"doc_id": "b", "text": ["Home", "News", EDITORIAL[0], "Read more", "Log in"]})
    together = pd.concat([others, alone, others.assign(doc_id="c")], ignore_index=True)
    rows = together["doc_id"] == "a"
    assert np.array_equal(model.predict_proba(alone), model.predict_proba(together)[rows.to_numpy()])


def test_calibration_is_fitted_on_out_of_source_scores_only_when_there_are_sources(corpus_path):
    from spamfilter.tables import read_corpus

    frame = read_corpus([str(corpus_path)])  # two sources, alpha and beta
    calibrated = spamfilter.SpamClassifier(**TINY_PARAMS).fit(frame, frame["label"])
    assert calibrated.calibration_.shape == (3,)
    assert "folds by source" in calibrated.cv_scores_on_
    rows, scores = calibrated.cv_scores_
    assert len(rows) == len(scores) == frame["label"].notna().sum()
    by_source = choose_threshold(frame["label"].to_numpy()[rows], scores, maximise="content",
                                 groups=frame["source"].to_numpy()[rows])
    assert calibrated.threshold_ == by_source
    np.testing.assert_array_equal(calibrated.precision_curve_, precision_curve(frame["label"].to_numpy()[rows], scores))
    plain = spamfilter.SpamClassifier(**TINY_PARAMS).fit(frame.drop(columns="source"), frame["label"])
    assert plain.calibration_ is None and "folds by document" in plain.cv_scores_on_
    one_source = spamfilter.SpamClassifier(**TINY_PARAMS).fit(frame.assign(source="alpha"), frame["label"])
    assert one_source.calibration_ is None
    switched_off = spamfilter.SpamClassifier(source_folds=0, **TINY_PARAMS).fit(frame, frame["label"])
    assert switched_off.calibration_ is None
    # Everything before the calibration is the same model.
    coef = lambda m: m.pipeline_.named_steps["classifier"].coef_  # noqa: E731
    assert np.array_equal(coef(calibrated), coef(switched_off))


def test_calibration_maps_the_two_stage_log_odds_and_token_count(tiny_model_dir):
    from dataclasses import replace

    from spamfilter.features import token_counts

    model = spamfilter.load_model(tiny_model_dir)
    scale, token_weight, shift = model.calibration_
    uncalibrated = replace(model.scorer(), calibration=None).logits(PARAGRAPHS, [0, len(PARAGRAPHS)])
    expected = scale * uncalibrated + token_weight * np.log1p(token_counts(PARAGRAPHS)) + shift
    np.testing.assert_allclose(model.decision_function(PARAGRAPHS), expected, rtol=1e-12)
    assert list(token_counts(["Home", "Read more", "東京の天気", ""])) == [1, 2, 5, 0]


def test_missing_labels_from_pandas_are_unlabeled_in_fit_transformed_too(corpus_path):
    # pandas reads a missing label as NaN; fit_transformed (used by benchmarks/quality.py)
    # once counted NaN as labeled, so unlabeled paragraphs were learned as content.
    from spamfilter.tables import read_corpus

    frame = read_corpus([str(corpus_path)])
    labels = frame["label"].to_numpy(dtype=object).copy()
    labels[::7] = np.nan
    texts, doc_ids = frame["text"].tolist(), frame["doc_id"].to_numpy()

    def fitted(values):
        model = spamfilter.SpamClassifier(source_folds=0, **TINY_PARAMS)
        features = model._features().fit(frame)
        return model.fit_transformed(features, features.transform(frame), values, doc_ids, texts)

    with_nan = fitted(labels)
    with_none = fitted(np.where(pd.isna(labels), None, labels))
    assert len(with_nan.cv_scores_[0]) == len(with_none.cv_scores_[0]) == int(pd.notna(labels).sum())
    coef = lambda m: m.pipeline_.named_steps["classifier"].coef_  # noqa: E731
    assert np.array_equal(coef(with_nan), coef(with_none))


def test_a_dev_set_threshold_maximises_what_the_model_maximises(corpus_path, tmp_path):
    from spamfilter.tables import read_corpus

    frame = read_corpus([str(corpus_path)])
    dev_ids = frame["doc_id"].drop_duplicates().iloc[::4]
    dev, train = frame[frame["doc_id"].isin(dev_ids)], frame[~frame["doc_id"].isin(dev_ids)]
    result = spamfilter.train(train, dev=dev, seed=0, **TINY_PARAMS)
    model = result.model
    assert model.calibration_ is not None and model.threshold_maximises_ == "content"
    scores = model.score_paragraphs(dev)
    labeled = dev["label"].notna().to_numpy()
    assert model.threshold_ == choose_threshold(dev["label"].to_numpy()[labeled], scores[labeled], maximise="content")
    np.testing.assert_array_equal(model.precision_curve_, precision_curve(dev["label"].to_numpy()[labeled], scores[labeled]))
    assert result.metrics["on"] == "dev"


def test_source_balanced_gives_every_source_the_same_total_weight():
    from spamfilter.model import source_balanced

    weights = np.array([1.0, 1.0, 1.0, 2.0, 0.5, 0.5])
    source_of = np.array([0, 0, 0, 1, 2, 2])
    balanced = source_balanced(weights, source_of)
    np.testing.assert_allclose(np.bincount(source_of, weights=balanced), [2.0, 2.0, 2.0])
    np.testing.assert_allclose(balanced[:3], [2 / 3] * 3)  # within a source, proportions are kept
    assert balanced.sum() == pytest.approx(weights.sum())


def test_source_balanced_tempers_between_rows_and_sources():
    from spamfilter.model import source_balanced

    weights = np.ones(5)
    source_of = np.array([0, 0, 0, 0, 1])  # four rows against one
    tempered = source_balanced(weights, source_of, power=0.5)
    # Each row weighs rows ** -0.5: 1/2 against 1, so the sources hold 2 against 1.
    np.testing.assert_allclose(np.bincount(source_of, weights=tempered) / tempered.sum(), [2 / 3, 1 / 3])
    assert tempered.sum() == pytest.approx(5.0)
    np.testing.assert_array_equal(source_balanced(weights, source_of, power=0.0), weights)


@pytest.mark.parametrize("balance", [-0.5, 1.5, float("nan")])
def test_source_balance_outside_zero_to_one_is_refused(corpus_path, balance):
    from spamfilter.tables import read_corpus

    frame = read_corpus([str(corpus_path)])
    with pytest.raises(ValueError, match="source_balance must be between 0"):
        spamfilter.SpamClassifier(**TINY_PARAMS, source_balance=balance).fit(frame, frame["label"])


def test_training_rows_are_weighed_by_their_source(corpus_path, monkeypatch):
    from sklearn.linear_model import SGDClassifier

    from spamfilter.tables import read_corpus

    frame = read_corpus([str(corpus_path)])
    frame = pd.concat([frame, frame[frame["source"] == "alpha"].assign(doc_id=lambda f: f["doc_id"] + "-copy")],
                      ignore_index=True)  # alpha now has about twice beta's rows
    rows = frame["source"].map(frame["source"].value_counts()).to_numpy()
    labeled = frame["label"].notna().to_numpy()
    seen = []
    original_fit = SGDClassifier.fit

    def recording_fit(self, X, y, sample_weight=None):
        seen.append(sample_weight)
        return original_fit(self, X, y, sample_weight=sample_weight)

    monkeypatch.setattr(SGDClassifier, "fit", recording_fit)
    for balance, expected in ((0.0, np.ones(len(frame))), (0.5, rows ** -0.5)):
        seen.clear()
        spamfilter.SpamClassifier(**TINY_PARAMS, source_balance=balance).fit(frame, frame["label"])
        final, = [weights for weights in seen if len(weights) == labeled.sum()]  # the fit on every labeled row
        np.testing.assert_allclose(final / final[0], expected[labeled] / expected[labeled][0])


def test_the_calibration_weighs_each_training_source_the_same(corpus_path, monkeypatch):
    from sklearn.linear_model import LogisticRegression

    from spamfilter.tables import read_corpus

    frame = read_corpus([str(corpus_path)])
    frame = pd.concat([frame, frame[frame["source"] == "alpha"].assign(doc_id=lambda f: f["doc_id"] + "-copy")],
                      ignore_index=True)  # alpha now has twice beta's rows
    seen = []
    original_fit = LogisticRegression.fit

    def recording_fit(self, X, y, sample_weight=None):
        if not self.fit_intercept:  # the calibration (one intercept column per source)
            seen.append((np.asarray(X)[:, 2:], sample_weight))
        return original_fit(self, X, y, sample_weight=sample_weight)

    monkeypatch.setattr(LogisticRegression, "fit", recording_fit)
    spamfilter.SpamClassifier(**TINY_PARAMS).fit(frame, frame["label"])
    (one_hot, weights), = seen
    per_source = one_hot.T @ weights
    assert one_hot.shape[1] == 2 and per_source[0] == pytest.approx(per_source[1])
