"""Quality gate: a small pinned cross-source evaluation must not fall below its recorded floor.

Trains the default configuration on the first pages of some shared sources and tests
on other sources (never seen in training). The floor in ``quality_floor.json`` was
recorded from this test's own output; a change that lowers content F1 by more than
the noise margin fails CI. Skipped when ../shared is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import SHARED
from spamfilter.metrics import binary_metrics
from spamfilter.tables import read_corpus
from spamfilter.model import SpamClassifier

BENCHMARKS = SHARED / "datasets" / "benchmarks"
FLOOR_FILE = Path(__file__).with_name("quality_floor.json")
TRAIN = {"cleaneval": 150, "l3s-gn1": 150, "trafilatura-eval": 150, "cwced-zh": 40}
TEST = {"dragnet": 150, "wac-xii": 37, "cleanportaleval": 30}
NOISE_MARGIN = 0.02


def first_pages(source: str, pages: int) -> pd.DataFrame:
    frame = read_corpus([str(BENCHMARKS / f"{source}.jsonl.gz")])
    keep = frame["doc_id"].drop_duplicates().iloc[:pages]
    return frame[frame["doc_id"].isin(keep)].reset_index(drop=True)


def measure() -> dict[str, float]:
    train = pd.concat([first_pages(s, n) for s, n in TRAIN.items()], ignore_index=True)
    model = SpamClassifier(seed=0).fit(train, train["label"])
    figures = {}
    for source, pages in TEST.items():
        test = first_pages(source, pages)
        labeled = test["label"].notna().to_numpy()
        scores = model.score_paragraphs(test)[labeled]
        metrics = binary_metrics(test["label"].to_numpy()[labeled], scores, model.threshold_,
                                 test["text"].to_numpy()[labeled])
        figures[f"{source}/content_f1"] = metrics["paragraph"]["content"]["f1"]
        figures[f"{source}/content_f1_words"] = metrics["words"]["content"]["f1"]
    figures["macro/content_f1"] = float(np.mean([v for k, v in figures.items() if k.endswith("/content_f1")]))
    figures["macro/content_f1_words"] = float(np.mean([v for k, v in figures.items() if k.endswith("_words")]))
    return figures


@pytest.mark.skipif(not BENCHMARKS.is_dir(), reason="../shared/datasets/benchmarks is absent")
def test_cross_source_content_f1_stays_above_floor():
    figures = measure()
    floor = json.loads(FLOOR_FILE.read_text())
    for name in ("macro/content_f1", "macro/content_f1_words"):
        assert figures[name] >= floor[name] - NOISE_MARGIN, (name, figures, floor)


if __name__ == "__main__":  # record a new floor: python tests/test_quality_gate.py
    FLOOR_FILE.write_text(json.dumps(measure(), indent=1) + "\n")
    print(FLOOR_FILE.read_text())
