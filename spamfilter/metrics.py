"""Metrics of a scored corpus: per class, per paragraph and weighted by words, with breakdowns.

Most web blocks are navigation, so labelling everything spam already scores a high spam
F1: the headline is **content** F1, also weighted by words (long editorial paragraphs
matter more than a menu item), and the share of editorial words wrongly removed.
Functions return plain dicts and print nothing.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from .features import CHARACTER_WORD_RANGES
from .labels import CONTENT, SPAM

_CHARACTER_WORD_CLASS = "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in CHARACTER_WORD_RANGES)
# A character that is a word of its own with the punctuation around it, or a run of anything else but space.
_WORD = re.compile(f"[^\\s\\w]*[{_CHARACTER_WORD_CLASS}][^\\s\\w]*|[^\\s{_CHARACTER_WORD_CLASS}]+")


def word_counts(texts) -> np.ndarray:
    """Words per text: whitespace-separated, except that every CJK, Hangul, Thai, Lao,
    Myanmar or Khmer character is a word of its own, with the punctuation next to it
    (Chinese and Japanese have no spaces; the benchmarks count them so; see
    :data:`~spamfilter.features.CHARACTER_WORD_RANGES`). At least 1, so empty paragraphs
    still count once."""
    return np.fromiter((max(len(_WORD.findall(t)), 1) for t in texts), dtype=np.float64, count=len(texts))


def _prf(truth: np.ndarray, predicted: np.ndarray, weights: np.ndarray) -> dict[str, float]:
    true_positive = float(weights[truth & predicted].sum())
    predicted_total = float(weights[predicted].sum())
    actual_total = float(weights[truth].sum())
    precision = true_positive / predicted_total if predicted_total else 0.0
    recall = true_positive / actual_total if actual_total else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def calibration_error(is_spam: np.ndarray, scores: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: over ``bins`` equal-width bins of P(spam), the mean gap
    between the predicted probability and the observed share of spam, weighted by the
    paragraphs in each bin (0 when "0.9" means 90% spam everywhere)."""
    if len(scores) == 0:
        return 0.0
    which = np.minimum((scores * bins).astype(np.int64), bins - 1)
    count = np.bincount(which, minlength=bins)
    gap = np.bincount(which, weights=scores, minlength=bins) - np.bincount(which, weights=is_spam, minlength=bins)
    return float(np.abs(gap).sum() / count.sum())


def binary_metrics(labels, scores, threshold: float, texts=None) -> dict:
    """Precision/recall/F1 of both classes (per paragraph and, given texts, by words),
    PR-AUC of spam and of content, calibration of P(spam) (Brier score, expected
    calibration error), the confusion matrix and the editorial share removed."""
    labels = np.asarray(labels, dtype=object)
    scores = np.asarray(scores, dtype=np.float64)
    is_spam = labels == SPAM
    flagged = scores >= threshold
    result: dict = {"paragraphs": int(len(labels)), "spam_share": float(is_spam.mean()) if len(labels) else 0.0}
    ones = np.ones(len(labels))
    weightings = {"paragraph": ones}
    if texts is not None:
        weightings["words"] = word_counts(list(texts))
    for name, weights in weightings.items():
        result[name] = {
            CONTENT: _prf(~is_spam, ~flagged, weights),
            SPAM: _prf(is_spam, flagged, weights),
            "content_removed": float(weights[~is_spam & flagged].sum() / max(weights[~is_spam].sum(), 1e-12)),
        }
    both = 0 < is_spam.sum() < len(labels)
    result["pr_auc"] = {
        SPAM: float(average_precision_score(is_spam, scores)) if both else None,
        CONTENT: float(average_precision_score(~is_spam, -scores)) if both else None,
    }
    result["calibration"] = {
        "brier": float(np.mean((scores - is_spam) ** 2)) if len(labels) else 0.0,
        "ece": calibration_error(is_spam, scores),
    }
    result["confusion"] = {
        "content_kept": int((~is_spam & ~flagged).sum()), "content_removed": int((~is_spam & flagged).sum()),
        "spam_kept": int((is_spam & ~flagged).sum()), "spam_removed": int((is_spam & flagged).sum()),
    }
    return result


def evaluate_frame(frame: pd.DataFrame, scores, threshold: float, by=("source", "kind")) -> dict:
    """Overall metrics of the labeled rows of ``frame`` and the same per value of each ``by`` column.

    For the ``kind`` breakdown each kind is reported as the share of its paragraphs
    labelled spam (a kind holds one class only, so precision is meaningless there).
    """
    scores = np.asarray(scores, dtype=np.float64)
    labeled = frame["label"].notna().to_numpy()
    data = frame.loc[labeled]
    data_scores = scores[labeled]
    report = {"threshold": threshold, "overall": binary_metrics(data["label"], data_scores, threshold, data["text"])}
    for column in by:
        if column not in data.columns or data[column].isna().all():
            continue
        groups = {}
        for value, part in data.groupby(data[column].fillna("(none)"), sort=True):
            part_scores = data_scores[data.index.get_indexer(part.index)]
            if column == "kind" or part["label"].nunique() < 2:
                flagged = part_scores >= threshold
                groups[str(value)] = {"paragraphs": int(len(part)), "flagged_spam": float(flagged.mean())}
            else:
                groups[str(value)] = binary_metrics(part["label"], part_scores, threshold, part["text"])
        report[f"by_{column}"] = groups
    return report
