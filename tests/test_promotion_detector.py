"""The promotion detector: a layout-free promotion-vs-editorial model OR-ed with the main one."""

from __future__ import annotations

import io
import random

import numpy as np
import pandas as pd
import pytest

from spamfilter.model import SpamClassifier
from spamfilter.scorer import LinearScorer

from conftest import BOILERPLATE, EDITORIAL, TINY_PARAMS

ADS = [
    "Get 50% off your first order with code SAVE50 at Mealora today, free delivery on every order this week!",
    "Spin to win at LuckyReels casino: 200 free spins and a 100% welcome bonus when you sign up now.",
    "Trade crypto with zero fees on Bitnexa and claim your 30 USDT welcome bonus before the offer ends.",
    "Protect every device with ShieldoraVPN, now 70% off with three months free for new customers.",
    "Lose weight without dieting: doctors are stunned by this natural supplement, order your bottle today.",
    "Download the Quickcart app and get free shipping on your first five orders, available on every phone.",
]


def corpus(promotion_lang: str = "en", n_docs: int = 60, seed: int = 0) -> pd.DataFrame:
    """Pages of a benchmark-like source (menus, article, footer) and of a promotion source
    (an article with an ad in its middle), as a paragraph table."""
    rng = random.Random(seed)
    rows = []
    for d in range(n_docs):
        doc, source = f"d{d}", "promotion" if d % 2 else "bench"
        body = rng.sample(EDITORIAL, 4)
        if source == "bench":
            items = ([(t, "spam", "boilerplate") for t in rng.sample(BOILERPLATE, 3)]
                     + [(t, "content", "content") for t in body])
        else:
            items = [(t, "content", "content") for t in body]
            items.insert(2, (rng.choice(ADS), "spam", "promotion"))
        for i, (text, label, kind) in enumerate(items):
            lang = promotion_lang if kind == "promotion" else "en"
            rows.append({"doc_id": doc, "index": i, "text": text, "label": label, "kind": kind, "source": source,
                         "lang": lang})
    return pd.DataFrame(rows)


def fit(frame: pd.DataFrame, **params) -> SpamClassifier:
    params = {**TINY_PARAMS, "promotion_min_editorial": 10, **params}
    return SpamClassifier(**params).fit(frame, frame["label"])


def test_trained_from_promotion_kinds_and_absent_without_them():
    frame = corpus()
    assert fit(frame).promotion_detector_ is not None
    assert fit(frame.assign(kind=frame["kind"].replace("promotion", "spam"))).promotion_detector_ is None
    assert fit(frame, promotion_false_positives=None).promotion_detector_ is None


def test_promotions_in_a_language_without_editorial_text_are_left_out():
    # Every promotion is in a language no editorial paragraph is in: nothing to learn from.
    assert fit(corpus(promotion_lang="xx")).promotion_detector_ is None


def test_or_flags_what_the_detector_is_sure_of_and_leaves_the_rest():
    scorer = fit(corpus()).scorer()
    _, _, cut = scorer.promotion
    threshold = np.log(scorer.threshold_ / (1 - scorer.threshold_))
    logits = np.array([threshold - 3, threshold - 3, threshold + 1])
    final = scorer.with_promotion(logits, np.array([cut + 0.5, cut - 0.5, cut - 5]))
    assert final[0] >= threshold > final[1]  # past its cut the detector flags; short of it, it does not
    assert final[2] == logits[2]  # and a paragraph the model flags keeps its own score


def test_scores_match_between_the_model_and_its_saved_scorer():
    frame = corpus()
    model = fit(frame)
    buffer = io.BytesIO()
    model.scorer().save(buffer)
    buffer.seek(0)
    loaded = LinearScorer.load(buffer)
    assert loaded.promotion is not None and loaded.promotion[2] == pytest.approx(model.promotion_detector_[2])
    texts = frame["text"].tolist()
    starts = np.flatnonzero(np.r_[True, frame["doc_id"].to_numpy()[1:] != frame["doc_id"].to_numpy()[:-1]])
    starts = np.r_[starts, len(frame)]
    np.testing.assert_allclose(loaded.logits(texts, starts), model.decision_function(frame), atol=1e-9)


def test_the_matrix_path_and_the_streaming_path_agree():
    """Evaluation scores transformed matrices, prediction streams texts: same log-odds."""
    frame = corpus()
    model = fit(frame)
    matrix = model.pipeline_.named_steps["features"].transform(frame)
    streamed = model.decision_function(frame)
    np.testing.assert_allclose(model.decision_transformed(matrix, frame["doc_id"].to_numpy(), frame["text"].tolist()),
                               streamed, atol=1e-6)
    without = fit(frame, promotion_false_positives=None).decision_function(frame)
    assert (streamed >= without - 1e-9).all() and (streamed > without + 1e-6).any()  # it only ever adds flags
