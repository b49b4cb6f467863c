"""The same-language probe's figures in benchmarks/quality.py, on a corpus written here."""

from __future__ import annotations

import gzip
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spamfilter.tables import read_corpus

QUALITY = Path(__file__).resolve().parents[1] / "benchmarks" / "quality.py"


def load_quality():
    spec = importlib.util.spec_from_file_location("_test_quality", QUALITY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class MarkedPromotionModel:
    """Scores a paragraph 0.9 when its text holds "BUY", else 0.1."""

    threshold_ = 0.5

    def score_paragraphs(self, frame):
        return np.where(frame["text"].str.contains("BUY"), 0.9, 0.1)


def test_probe_recall_by_language_and_editorial_flags(tmp_path):
    prose = "This editorial paragraph reports on the council meeting held in the town hall."
    docs = []
    for i, (lang, promo) in enumerate([("en", "BUY now"), ("en", "Subscribe today"), ("de", "Jetzt kaufen")] * 10):
        body = [prose, promo, "BUY flagged editorial text of more than ten words in this one sentence." if i == 0 else prose]
        docs.append({"id": f"p{i}", "lang": lang, "paragraphs": [
            {"text": t, "label": "promotion" if k == 1 else "content", "lang": lang} for k, t in enumerate(body)]})
    path = tmp_path / "promotion-probe.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(d) + "\n" for d in docs)
    figures = load_quality().same_language_probe(MarkedPromotionModel(), read_corpus([str(path)]))
    assert figures["promotion_recall"] == pytest.approx(10 / 30)
    assert figures["promotion_recall_by_share"] == {"English": pytest.approx(0.5), "non-English": 0.0}
    assert figures["recall_by_language"] == {"en": pytest.approx(0.5), "de": 0.0}
    assert figures["editorial_10plus_flagged"] == pytest.approx(1 / 60)
    assert figures["counts"] == {"promotion": 30, "promotion_non-English": 10, "editorial_10plus": 60}


def test_shares_by_language_leave_out_languages_with_few_rows():
    frame = pd.DataFrame({"lang": ["en"] * 10 + ["ko"] * 12 + ["ar"] * 9,
                          "flagged": [True] * 4 + [False] * 6 + [True] * 12 + [True] * 9})
    assert load_quality().by_language_share(frame, "flagged") == {"en": pytest.approx(0.4), "ko": 1.0}


@pytest.mark.parametrize("arguments, message", [
    (["--promotion-only"], "--promotion-only needs --promotion DIR"),
    (["--promotion", "x", "--promotion-only", "--ablation"], "--promotion-only skips the leave-one-source-out run"),
])
def test_promotion_only_refuses_what_it_cannot_do(arguments, message):
    result = subprocess.run([sys.executable, str(QUALITY), *arguments], capture_output=True, text=True)
    assert result.returncode == 2 and message in result.stderr


def test_hard_negatives_are_scored_as_articles_of_their_held_out_topics():
    records = [{"topic": "earnings", "lang": "en", "text": f"Shares fell as the chain BUY {k}"} for k in range(2)]
    records += [{"topic": "earnings", "lang": "en", "text": "Analysts expect a weaker quarter."},
                {"topic": "prices", "lang": "de", "text": "Die Preise stiegen im Mai."},
                {"topic": "trained", "lang": "en", "text": "BUY a paragraph of a training topic."}]
    seen = []

    class Recording(MarkedPromotionModel):
        def score_paragraphs(self, frame):
            seen.append(frame.copy())
            return super().score_paragraphs(frame)

    held_out = {"Analysts expect a weaker quarter.", "Die Preise stiegen im Mai."}
    figures = load_quality().hard_negative_articles(Recording(), records, held_out)
    assert figures["flagged"] == pytest.approx(2 / 4)  # the whole "earnings" topic, not just its held-out line
    assert figures["counts"] == {"paragraphs": 4, "topics": 2}
    assert seen[0]["doc_id"].tolist() == ["earnings"] * 3 + ["prices"]
    assert load_quality().hard_negative_articles(Recording(), records, set())["flagged"] is None
