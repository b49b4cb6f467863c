"""The classifier: a scikit-learn Pipeline (features -> linear model) plus a tuned threshold.

:class:`SpamClassifier` is an ordinary scikit-learn estimator (``fit``, ``predict``,
``predict_proba``, ``decision_function``), so it composes and cross-validates like
any other. Its input is a paragraph table in document order (``text`` and optional
``doc_id`` columns) or a list of paragraphs of one document.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import precision_recall_curve
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .features import (
    DEFAULT_CHAR_NGRAMS,
    DEFAULT_HASH_BITS,
    DEFAULT_WORD_NGRAMS,
    FEATURE_GROUPS,
    ParagraphFeatures,
    as_paragraph_frame,
)
from .labels import CONTENT, LABELS, SPAM

# Share of training documents held out to choose the threshold and report metrics.
DEFAULT_HOLDOUT = 0.1
# L2 strength of the SGD logistic regression; chosen by leave-one-source-out
# evaluation (benchmarks/quality.py), where weaker regularisation overfits site templates.
DEFAULT_ALPHA = 1e-5
DEFAULT_EPOCHS = 8


def choose_threshold(labels, scores, min_precision: float | None = None) -> float:
    """Threshold on P(spam): the one maximising spam F1, or, given ``min_precision``,
    the lowest one whose spam precision is at least that (so at most ``1 - P`` of what
    is removed is editorial). Falls back to 0.5 when the labels hold one class only."""
    is_spam = np.asarray(labels, dtype=object) == SPAM
    if is_spam.all() or not is_spam.any():
        return 0.5
    precision, recall, thresholds = precision_recall_curve(is_spam, scores)
    precision, recall = precision[:-1], recall[:-1]
    if min_precision is not None:
        ok = np.flatnonzero(precision >= min_precision)
        return float(thresholds[ok[0]]) if len(ok) else float(thresholds[-1])
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f1))])


class SpamClassifier(ClassifierMixin, BaseEstimator):
    """Paragraph classifier: ``content`` vs ``spam`` with P(spam) and a stored threshold.

    ``fit`` holds out ``holdout`` of the documents (grouped by ``doc_id``) to choose
    ``threshold_`` and measure ``holdout_scores_``, then refits on all labeled rows.
    Rows whose label is None stay as context for their neighbours but are not learned.
    """

    def __init__(
        self,
        hash_bits: int = DEFAULT_HASH_BITS,
        char_ngrams: tuple[int, int] = DEFAULT_CHAR_NGRAMS,
        word_ngrams: tuple[int, int] = DEFAULT_WORD_NGRAMS,
        feature_groups: tuple[str, ...] = FEATURE_GROUPS,
        alpha: float = DEFAULT_ALPHA,
        epochs: int = DEFAULT_EPOCHS,
        class_weight: str | dict | None = None,
        holdout: float = DEFAULT_HOLDOUT,
        min_precision: float | None = None,
        seed: int = 0,
    ):
        self.hash_bits = hash_bits
        self.char_ngrams = char_ngrams
        self.word_ngrams = word_ngrams
        self.feature_groups = feature_groups
        self.alpha = alpha
        self.epochs = epochs
        self.class_weight = class_weight
        self.holdout = holdout
        self.min_precision = min_precision
        self.seed = seed

    def _features(self) -> ParagraphFeatures:
        return ParagraphFeatures(self.hash_bits, self.char_ngrams, self.word_ngrams, self.feature_groups)

    def _linear_model(self) -> SGDClassifier:
        return SGDClassifier(
            loss="log_loss", alpha=self.alpha, max_iter=self.epochs, tol=None, average=True,
            class_weight=self.class_weight, random_state=self.seed,
        )

    def fit(self, X, y, sample_weight=None):
        frame = as_paragraph_frame(X)
        labels = np.array([None if (v is None or v != v) else str(v) for v in y], dtype=object)
        if len(labels) != len(frame):
            raise ValueError(f"X has {len(frame)} rows but y has {len(labels)}")
        unknown = set(labels[labels != None]) - set(LABELS)  # noqa: E711 (elementwise)
        if unknown:
            raise ValueError(f"labels must be {LABELS} or None, got {sorted(unknown)}")
        labeled = np.flatnonzero(labels != None)  # noqa: E711
        if len(set(labels[labeled])) < 2:
            raise ValueError("training needs labeled paragraphs of both classes, content and spam")
        features = self._features().fit(frame)
        matrix = features.transform(frame)[labeled]
        targets = (labels[labeled] == SPAM).astype(int)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)[labeled]
        groups = frame["doc_id"].to_numpy()[labeled] if "doc_id" in frame.columns else labeled
        self.threshold_ = 0.5
        self.holdout_scores_ = None
        if self.holdout and len(np.unique(groups)) >= 2:
            splitter = GroupShuffleSplit(n_splits=1, test_size=self.holdout, random_state=self.seed)
            train, held = next(splitter.split(matrix, targets, groups))
            if len(set(targets[train])) == 2:
                first = self._linear_model().fit(matrix[train], targets[train],
                                                 sample_weight=None if weights is None else weights[train])
                held_scores = first.predict_proba(matrix[held])[:, 1]
                held_labels = labels[labeled][held]
                self.threshold_ = choose_threshold(held_labels, held_scores, self.min_precision)
                self.holdout_scores_ = (labeled[held], held_scores)
        classifier = self._linear_model().fit(matrix, targets, sample_weight=weights)
        self.pipeline_ = Pipeline([("features", features), ("classifier", classifier)])
        self.classes_ = np.array(LABELS, dtype=object)
        return self

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of spam (the linear model's raw output)."""
        check_is_fitted(self, "pipeline_")
        return self.pipeline_.decision_function(as_paragraph_frame(X))

    def predict_proba(self, X) -> np.ndarray:
        """Columns ``[P(content), P(spam)]`` per paragraph."""
        check_is_fitted(self, "pipeline_")
        return self.pipeline_.predict_proba(as_paragraph_frame(X))

    def predict(self, X, threshold: float | None = None) -> np.ndarray:
        """``content``/``spam`` per paragraph, using ``threshold_`` unless overridden."""
        spam = self.predict_proba(X)[:, 1] >= (self.threshold_ if threshold is None else threshold)
        return np.where(spam, SPAM, CONTENT).astype(object)

    def score_paragraphs(self, frame: pd.DataFrame) -> np.ndarray:
        """P(spam) of each row of a paragraph table (the batch entry point of every command)."""
        if len(frame) == 0:
            return np.zeros(0)
        return self.predict_proba(frame)[:, 1]
