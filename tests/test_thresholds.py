"""Thresholds: chosen on labeled scores, and the precision curve behind --min-precision (issue #4)."""

import numpy as np
import pytest

from spamfilter.thresholds import choose_threshold, operating_point, precision_curve

LABELS = ["content", "spam", "content", "spam", "spam"]
SCORES = [0.1, 0.4, 0.5, 0.7, 0.9]


def test_min_precision_picks_lowest_threshold_reaching_it():
    labels, scores = LABELS, SCORES
    strict = choose_threshold(labels, scores, min_precision=1.0)
    assert 0.5 < strict <= 0.7  # only 0.7 and 0.9 (both spam) are cut: precision 1
    loose = choose_threshold(labels, scores, min_precision=0.75)
    assert 0.1 < loose <= 0.4  # 3 of the 4 cut are spam
    assert choose_threshold(["spam"] * 3, [0.1, 0.2, 0.3]) == 0.5


def test_threshold_maximises_the_f1_of_the_class_asked_for():
    labels, scores = LABELS, SCORES
    # Spam F1 of removing the top 1..5: 0.5, 0.8, 0.667, 0.857, 0.75 -> remove down to 0.4.
    assert 0.1 < choose_threshold(labels, scores) <= 0.4
    # Content F1 of what is kept: 0.667, 0.8, 0.5, 0.667, 0 -> remove only 0.9 and 0.7.
    assert 0.5 < choose_threshold(labels, scores, maximise="content") <= 0.7


def test_grouped_threshold_averages_the_f1_of_each_group():
    scores = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.0]
    labels = ["spam", "content", "content", "spam", "content", "spam", "content", "content", "content"]
    groups = ["b", "b", "b", "a", "b", "b", "a", "b", "b"]
    # Pooled content F1: removing only 1.0 keeps 6 of 6 content among 8 (0.857); removing
    # down to 0.7 keeps 4 among 5 (0.727). Per group: a goes 0.667 -> 1.0 and b 0.909 ->
    # 0.667, a mean of 0.788 -> 0.833, so the grouped cut goes down to 0.7.
    assert choose_threshold(labels, scores, maximise="content") > 0.9
    assert 0.6 < choose_threshold(labels, scores, maximise="content", groups=groups) <= 0.7


def test_precision_curve_by_hand():
    # Ranked: 0.9 spam, 0.7 spam, 0.5 content, 0.4 spam, 0.1 content.
    thresholds, precision, content_removed = precision_curve(LABELS, SCORES)
    np.testing.assert_allclose(precision, [1, 1, 2 / 3, 3 / 4, 3 / 5])
    np.testing.assert_allclose(content_removed, [0, 0, 0.5, 0.5, 1])
    upper, lower = [0.9, 0.7, 0.5, 0.4], [0.7, 0.5, 0.4, 0.1]
    assert all(low < t < high for t, high, low in zip(thresholds, upper, lower))
    assert thresholds[-1] == 0.1  # the last cut removes everything


def test_operating_point_is_the_lowest_threshold_reaching_the_precision():
    curve = precision_curve(LABELS, SCORES)
    threshold, precision, content_removed = operating_point(curve, 0.75)
    assert 0.1 < threshold < 0.4 and precision == 0.75 and content_removed == 0.5
    assert threshold == choose_threshold(LABELS, SCORES, min_precision=0.75)
    assert 0.5 < operating_point(curve, 1.0)[0] < 0.7
    with pytest.raises(ValueError, match="no threshold reaches spam precision 0.6 .*the highest is 0.500"):
        operating_point(precision_curve(["spam", "content"], [0.1, 0.9]), 0.6)


def test_precision_curve_needs_both_classes():
    assert precision_curve(["spam"] * 3, [0.1, 0.2, 0.3]) is None
    assert precision_curve(["content"] * 2, [0.1, 0.2]) is None


def test_subsampled_curve_keeps_cuts_of_the_full_one_from_top_to_bottom():
    rng = np.random.default_rng(0)
    labels = np.where(rng.random(10_000) < 0.6, "spam", "content")
    scores = np.clip(rng.normal(np.where(labels == "spam", 0.7, 0.4), 0.2), 0, 1).round(3)  # ties too
    full = precision_curve(labels, scores, points=10**9)
    sampled = precision_curve(labels, scores, points=50)
    assert sampled.shape[1] <= 50 and full.shape[1] == len(np.unique(scores))
    columns = {tuple(column) for column in full.T}
    assert all(tuple(column) in columns for column in sampled.T)
    np.testing.assert_array_equal(sampled[:, 0], full[:, 0])
    np.testing.assert_array_equal(sampled[:, -1], full[:, -1])
    assert np.all(np.diff(sampled[0]) < 0)
    for level in (0.7, 0.8, 0.9):
        assert operating_point(full, level)[0] == choose_threshold(labels, scores, min_precision=level)
