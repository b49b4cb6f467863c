"""Where to cut P(spam): a threshold chosen on labeled scores at training time, and the
spam-precision curve kept with the model so that users can pick another operating point
later (``--min-precision``) without retraining or labeling anything.

numpy only: the prediction path (``predict``, ``filter``) reads the curve without
scikit-learn.
"""

from __future__ import annotations

import numpy as np

from .labels import SPAM

# Cuts kept in a model's precision curve: log-spaced in the number of paragraphs removed,
# so the conservative end (few removals, where precision moves fastest) stays fine-grained.
PRECISION_CURVE_POINTS = 512


def log_odds(p) -> np.ndarray:
    """Log-odds of probabilities (clipped away from 0 and 1)."""
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def _cuts(scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ranking (``order``: rows by decreasing score), the end of each distinct cut in it
    (cut ``k`` removes ``order[:ends[k] + 1]``) and each cut's threshold.

    A threshold lies halfway (in log-odds) between the lowest score removed and the next
    lower one, so a score just under the lowest spam score seen is not cut off by chance;
    the last cut (everything removed) is at the lowest score."""
    scores = np.asarray(scores, dtype=float)
    order = np.argsort(-scores, kind="stable")
    ranked = scores[order]
    ends = np.flatnonzero(np.r_[ranked[1:] != ranked[:-1], True])
    lowest_removed, next_lower = ranked[ends], ranked[np.minimum(ends + 1, len(ranked) - 1)]
    thresholds = 1.0 / (1.0 + np.exp(-(log_odds(lowest_removed) + log_odds(next_lower)) / 2))
    thresholds[-1] = lowest_removed[-1]
    return order, ends, thresholds


def _spam_precision(ranked_spam: np.ndarray, ends: np.ndarray) -> np.ndarray:
    return np.cumsum(ranked_spam)[ends] / (ends + 1)


def choose_threshold(labels, scores, min_precision: float | None = None, maximise: str = SPAM,
                     groups=None) -> float:
    """Threshold on P(spam): the one maximising the F1 of the ``maximise`` class (spam or
    content), or, given ``min_precision``, the lowest one whose spam precision is at least
    that (so at most ``1 - P`` of what is removed is editorial; the highest cut when none
    is). Falls back to 0.5 when the labels hold one class only. With ``groups`` (e.g. the
    source of each row) the F1 is the mean of each group's, so the largest source does
    not choose the cut alone. On an exact tie the lowest threshold wins.
    """
    is_spam = np.asarray(labels, dtype=object) == SPAM
    if is_spam.all() or not is_spam.any():
        return 0.5
    order, ends, thresholds = _cuts(scores)
    ranked_spam = is_spam[order]
    if min_precision is not None:
        ok = np.flatnonzero(_spam_precision(ranked_spam, ends) >= min_precision)
        best = int(ok[-1]) if len(ok) else 0
    else:
        ranked_groups = np.zeros(len(order), dtype=int) if groups is None else \
            np.unique(np.asarray(groups)[order], return_inverse=True)[1].ravel()
        f1 = np.mean([_f1_of_cuts(ranked_spam, ranked_groups == g, ends, maximise)
                      for g in np.unique(ranked_groups)], axis=0)
        best = len(f1) - 1 - int(np.argmax(f1[::-1]))
    return float(thresholds[best])


def _f1_of_cuts(ranked_spam: np.ndarray, members: np.ndarray, ends: np.ndarray, maximise: str) -> np.ndarray:
    """F1 of the ``maximise`` class among the ``members`` of a ranking (``ranked_spam``: its
    labels, highest score first) for each cut that removes the ranking up to ``ends``."""
    member_spam = members & ranked_spam
    removed, spam_removed = np.cumsum(members)[ends], np.cumsum(member_spam)[ends]
    n, n_spam = int(members.sum()), int(member_spam.sum())
    if maximise == SPAM:
        return 2 * spam_removed / np.maximum(removed + n_spam, 1)
    n_content = n - n_spam
    return 2 * (n_content - (removed - spam_removed)) / np.maximum(n - removed + n_content, 1)


def precision_curve(labels, scores, points: int = PRECISION_CURVE_POINTS) -> np.ndarray | None:
    """Rows ``(threshold, spam precision, share of content removed)``, from the highest
    threshold down, for at most ``points`` cuts of labeled scores (held-out scores: they
    say what a threshold does on new data). None when the labels hold one class only."""
    is_spam = np.asarray(labels, dtype=object) == SPAM
    if is_spam.all() or not is_spam.any():
        return None
    order, ends, thresholds = _cuts(scores)
    ranked_spam = is_spam[order]
    content_removed = np.cumsum(~ranked_spam)[ends] / np.count_nonzero(~ranked_spam)
    curve = np.vstack([thresholds, _spam_precision(ranked_spam, ends), content_removed])
    if len(ends) <= points:
        return curve
    return curve[:, np.unique(np.round(np.geomspace(1, len(ends), points)).astype(int) - 1)]


def operating_point(curve: np.ndarray, min_precision: float) -> tuple[float, float, float]:
    """``(threshold, spam precision, share of content removed)`` of the lowest threshold on
    ``curve`` whose spam precision is at least ``min_precision``; ValueError when none is."""
    ok = np.flatnonzero(curve[1] >= min_precision)
    if not len(ok):
        raise ValueError(f"no threshold reaches spam precision {min_precision:g} on this model's held-out "
                         f"scores (the highest is {curve[1].max():.3f}); ask for less")
    threshold, precision, content_removed = curve[:, ok[-1]]
    return float(threshold), float(precision), float(content_removed)
