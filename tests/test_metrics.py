"""Metrics against figures worked out by hand."""

import numpy as np
import pytest

from spamfilter.metrics import binary_metrics, calibration_error, word_counts

LABELS = ["spam", "spam", "content", "content"]
SCORES = [0.9, 0.2, 0.6, 0.1]
TEXTS = ["a b c", "a", "a b c d", "a b"]


def test_content_and_spam_figures_per_paragraph_and_by_words():
    metrics = binary_metrics(LABELS, SCORES, 0.5, TEXTS)
    assert metrics["paragraph"]["content"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5})
    assert metrics["paragraph"]["spam"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5})
    # content words: 4 + 2; kept: "a" (spam, 1 word) and "a b" (content, 2 words)
    assert metrics["words"]["content"] == pytest.approx({"precision": 2 / 3, "recall": 1 / 3, "f1": 4 / 9})
    assert metrics["words"]["content_removed"] == pytest.approx(4 / 6)
    assert metrics["confusion"] == {"content_kept": 1, "content_removed": 1, "spam_kept": 1, "spam_removed": 1}


def test_words_are_whitespace_separated_but_each_cjk_character_counts_as_one():
    # A Chinese paragraph has no spaces: counted by whitespace it would weigh as much as "Home".
    texts = ["Home", "read  the\tstory", "（北京）今日天气晴朗。", "2024年 Tokyo ニュース", "", "e-mail, now"]
    assert word_counts(texts).tolist() == [1, 3, 8, 2 + 1 + 4, 1, 2]
    # Thai has no spaces between words either: read by spaces this is one word, a menu item's length.
    assert word_counts(["ประเทศไทย", "한국 뉴스"]).tolist() == [9, 4]


def test_calibration_brier_and_expected_error():
    calibration = binary_metrics(LABELS, SCORES, 0.5)["calibration"]
    assert calibration["brier"] == pytest.approx((0.01 + 0.64 + 0.36 + 0.01) / 4)
    # one paragraph per bin: gaps 0.1, 0.8, 0.6, 0.1
    assert calibration["ece"] == pytest.approx(1.6 / 4)


def test_calibration_error_is_zero_when_probabilities_match_the_observed_shares():
    is_spam = np.array([True, False, False, False] + [True, True, True, True, False])
    scores = np.array([0.25] * 4 + [0.8] * 5)
    assert calibration_error(is_spam, scores) == pytest.approx(0.0)
    assert calibration_error(np.array([True, False]), np.array([1.0, 0.0])) == pytest.approx(0.0)
    assert calibration_error(np.array([], dtype=bool), np.array([])) == 0.0
