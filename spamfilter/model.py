"""The classifier: a scikit-learn Pipeline (features -> linear model) plus a tuned threshold.

:class:`SpamClassifier` is an ordinary scikit-learn estimator (``fit``, ``predict``,
``predict_proba``, ``decision_function``), so it composes and cross-validates like
any other. Its input is a paragraph table in document order (``text`` and optional
``doc_id`` columns) or a list of paragraphs of one document.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .feature_matrix import ParagraphFeatures, as_paragraph_frame
from .features import (
    DEFAULT_CHAR_NGRAMS,
    DEFAULT_HASH_BITS,
    DEFAULT_WORD_NGRAMS,
    FEATURE_GROUPS,
    copy_keys,
    document_starts,
    feature_texts,
    promotion_cue_columns,
    score_context_features,
    token_counts,
)
from .labels import CONTENT, LABELS, SPAM
from .language import page_languages
from .scorer import LinearScorer, PromotionDetector, probability
from .thresholds import choose_threshold, precision_curve

# Folds (grouped by document) of the out-of-fold scores that train the context pass
# and choose the threshold.
DEFAULT_FOLDS = 3
# Folds grouped by source (site, benchmark, crawl) of the out-of-source calibration: with 5
# rather than 3, each fold's first stage sees more sources, so its out-of-source scores
# look more like the final model's (leave-one-source-out macro content F1 0.699 -> 0.727).
# One fold per source (10) was measured too: 0.715 (textcomp-pl fell, the others held level).
DEFAULT_SOURCE_FOLDS = 5
# L2 strength of the SGD logistic regression; chosen by leave-one-source-out
# evaluation (benchmarks/quality.py), where weaker regularisation overfits site templates.
DEFAULT_ALPHA = 1e-5
DEFAULT_EPOCHS = 8
# How far training evens out the sources: a row weighs (rows of its source) ** -SOURCE_BALANCE.
# 0.5 (a source with 100x the rows weighs 10x as much) was chosen by leave-one-source-out
# evaluation: level on the held-out benchmark sources, more unseen promotion caught (1 is worse).
DEFAULT_SOURCE_BALANCE = 0.5
# The promotion detector's cut: the log-odds that flag this share of the training
# corpus's editorial paragraphs of 10+ words, scored out of fold (held-out shares come out
# about twice as high). Promotions in a language with fewer editorial paragraphs than
# PROMOTION_MIN_EDITORIAL are left out of its training, and a language's promotions weigh
# no more per editorial paragraph than all promotions do (else it learns "this language =
# promotion"). See models/default/HISTORY.md, "The promotion detector ships" and "A fourth batch".
DEFAULT_PROMOTION_FALSE_POSITIVES = 0.0025
PROMOTION_MIN_EDITORIAL = 200
PROMOTION_FOLDS = 5
# English prose sets that cut (it is most of the editorial text); in other languages the
# top of the editorial paragraphs scores lower, so there the cut is stricter than intended.
# A page language (as py3langid names it) with PROMOTION_LANGUAGE_MIN_EDITORIAL+ editorial
# 10+-word paragraphs whose own 1 - promotion_false_positives quantile lies below the cut
# gets a cut moved DEFAULT_PROMOTION_LANGUAGE_SHRINK of the way down to it, never up: all
# the way flagged more editorial text in those languages. See models/default/HISTORY.md,
# "One detector cut per page language".
DEFAULT_PROMOTION_LANGUAGE_SHRINK = 0.5
PROMOTION_LANGUAGE_MIN_EDITORIAL = 300


def source_balanced(weights: np.ndarray, source_of: np.ndarray, power: float = 1.0) -> np.ndarray:
    """``weights`` rescaled so that every source (``source_of``: its index per row) has a
    total weight proportional to its total ``** (1 - power)``: the same for all with
    ``power`` 1, unchanged with 0. The overall total stays what it was."""
    totals = np.bincount(source_of, weights=weights)
    scaled = weights * np.power(totals, -power, out=np.zeros_like(totals), where=totals > 0)[source_of]
    return scaled * (weights.sum() / scaled.sum())


def language_balanced_weights(langs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Training weights for the promotion detector: 1 for editorial rows; a language's
    promotions are weighed down so that, per editorial paragraph, no language holds more
    promotion than the rows as a whole do.

    Without it the detector learns a language whose promotions are many and whose
    editorial text is scarce as promotion itself, and flags that language's prose (German
    with trafilatura-eval held out, French with wac-xii)."""
    promotion = targets == 1
    overall = promotion.sum() / max((~promotion).sum(), 1)
    editorial = pd.Series(langs[~promotion]).value_counts()
    promotions = pd.Series(langs[promotion]).value_counts()
    share = np.minimum(1.0, overall * editorial.reindex(promotions.index, fill_value=0) / promotions)
    weights = np.ones(len(targets))
    weights[promotion] = pd.Series(langs[promotion]).map(share).to_numpy()
    return weights


class SpamClassifier(ClassifierMixin, BaseEstimator):
    """Paragraph classifier: ``content`` vs ``spam`` with P(spam) and a stored threshold.

    Two linear stages. The first (``pipeline_``: features -> SGD logistic regression)
    scores each paragraph; with ``context_pass`` a second, small logistic regression
    (``context_model_``) rescores it from its own and its neighbours' first-pass
    log-odds, trained on out-of-fold first-pass scores so it learns how far to trust them.

    On a source it was not trained on, the model's evidence (words, a site's conventions)
    transfers less than a paragraph's length does, and its log-odds are over-confident.
    When the training rows come from several sources (a ``source`` column, e.g. sites),
    each row weighs (rows of its source) ** -``source_balance``, so that the largest crawl
    does not teach its site's conventions as if they were the web's, and the first stage
    is also fitted ``source_folds`` times grouped by source; a third tiny
    logistic regression, ``calibration_``, fitted on those out-of-source scores (each source
    weighing the same), maps the two-stage log-odds and log(1 + tokens) to what they mean
    on an unseen source.
    The threshold is chosen on out-of-fold scores: out-of-source ones when calibrated,
    else ``folds`` folds grouped by document. ``cv_scores_`` keeps them (described by
    ``cv_scores_on_``) so training can report cross-validated metrics, and
    ``precision_curve_`` keeps what other thresholds do on them (``--min-precision``).
    Rows whose label is None stay as context for their neighbours but are not learned.

    Layout and context cues hide an ad placed between two editorial paragraphs. When the
    training rows carry the kind ``promotion`` (a ``kind`` column), a promotion detector
    (``promotion_detector_``, see :class:`~spamfilter.scorer.PromotionDetector`) learns
    promotion against editorial text from the hashed n-grams and a few cues without length
    or position (currency signs, "!", the words a paragraph shares with its document), and
    is OR-ed with the two stages; ``promotion_false_positives`` sets its cut, None trains
    none. Languages whose editorial text scores lower than English get a lower cut
    (``promotion_language_shrink`` of the way to their own, 0 for one cut for all).
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
        context_pass: bool = True,
        folds: int = DEFAULT_FOLDS,
        source_folds: int = DEFAULT_SOURCE_FOLDS,
        source_balance: float = DEFAULT_SOURCE_BALANCE,
        min_precision: float | None = None,
        promotion_false_positives: float | None = DEFAULT_PROMOTION_FALSE_POSITIVES,
        promotion_min_editorial: int = PROMOTION_MIN_EDITORIAL,
        promotion_language_shrink: float = DEFAULT_PROMOTION_LANGUAGE_SHRINK,
        promotion_language_min_editorial: int = PROMOTION_LANGUAGE_MIN_EDITORIAL,
        seed: int = 0,
    ):
        self.hash_bits = hash_bits
        self.char_ngrams = char_ngrams
        self.word_ngrams = word_ngrams
        self.feature_groups = feature_groups
        self.alpha = alpha
        self.epochs = epochs
        self.class_weight = class_weight
        self.context_pass = context_pass
        self.folds = folds
        self.source_folds = source_folds
        self.source_balance = source_balance
        self.min_precision = min_precision
        self.promotion_false_positives = promotion_false_positives
        self.promotion_min_editorial = promotion_min_editorial
        self.promotion_language_shrink = promotion_language_shrink
        self.promotion_language_min_editorial = promotion_language_min_editorial
        self.seed = seed

    def _features(self) -> ParagraphFeatures:
        return ParagraphFeatures(self.hash_bits, self.char_ngrams, self.word_ngrams, self.feature_groups)

    def _linear_model(self) -> SGDClassifier:
        return SGDClassifier(
            loss="log_loss", alpha=self.alpha, max_iter=self.epochs, tol=None, average=True,
            class_weight=self.class_weight, random_state=self.seed,
        )

    @staticmethod
    def _score_model() -> LogisticRegression:
        """The small logistic regression of the context pass and of the calibration."""
        return LogisticRegression(C=1.0, max_iter=1000)

    def _check_settings(self) -> None:
        """Refuse settings out of range before any work (the features take minutes on a large corpus)."""
        if not 0 <= self.source_balance <= 1:  # also refuses NaN
            raise ValueError(f"source_balance must be between 0 (rows weigh the same) and 1 (sources weigh "
                             f"the same), got {self.source_balance!r}")
        if self.promotion_false_positives is not None and not 0 < self.promotion_false_positives < 1:
            raise ValueError(f"promotion_false_positives must be a share between 0 and 1 (or None for no "
                             f"promotion detector), got {self.promotion_false_positives!r}")
        minimum = self.promotion_language_min_editorial
        if not (isinstance(minimum, numbers.Integral) and not isinstance(minimum, bool) and minimum >= 1):
            raise ValueError(f"promotion_language_min_editorial must be a whole number of paragraphs, at least 1, "
                             f"got {self.promotion_language_min_editorial!r}")
        if not 0 <= self.promotion_language_shrink <= 1:
            raise ValueError(f"promotion_language_shrink must be between 0 (one detector cut for every language) "
                             f"and 1 (each language's own), got {self.promotion_language_shrink!r}")

    def fit(self, X, y, sample_weight=None):
        self._check_settings()
        frame = as_paragraph_frame(X)
        labels = _labels(y)
        if len(labels) != len(frame):
            raise ValueError(f"X has {len(frame)} rows but y has {len(labels)}")
        unknown = set(labels[labels != None]) - set(LABELS)  # noqa: E711 (elementwise)
        if unknown:
            raise ValueError(f"labels must be {LABELS} or None, got {sorted(unknown)}")
        if len(set(labels[labels != None])) < 2:  # noqa: E711
            raise ValueError("training needs labeled paragraphs of both classes, content and spam")
        features = self._features().fit(frame)
        doc_ids = frame["doc_id"].to_numpy() if "doc_id" in frame.columns else np.zeros(len(frame))
        sources = frame["source"].fillna("").astype(str).to_numpy() if "source" in frame.columns else None
        kinds = frame["kind"].to_numpy() if "kind" in frame.columns else None
        langs = frame["lang"].to_numpy() if "lang" in frame.columns else None
        return self.fit_transformed(features, features.transform(frame), labels, doc_ids, frame["text"].tolist(),
                                    sample_weight, sources, kinds, langs)

    def fit_transformed(self, features: ParagraphFeatures, matrix, labels: np.ndarray, doc_ids: np.ndarray,
                        texts: list[str], sample_weight=None, sources: np.ndarray | None = None,
                        kinds: np.ndarray | None = None, langs: np.ndarray | None = None) -> "SpamClassifier":
        """Fit on an already transformed matrix (``features.transform`` of all rows, in document order).

        Lets an evaluation compute each source's features once and reuse them across folds.
        ``labels`` holds ``content``/``spam``/None per row, ``doc_ids`` the document of
        each row and ``sources`` (optional) its source. The context pass learns from
        out-of-fold scores grouped by document; only the calibration learns from scores
        grouped by source. (Choosing the threshold on uncalibrated out-of-source scores
        was measured and rejected: it collapses towards "all spam".)
        """
        self._check_settings()
        labels = _labels(labels)
        doc_ids = np.asarray(doc_ids)
        n = len(labels)
        labeled = np.flatnonzero(labels != None)  # noqa: E711 (elementwise)
        targets = (labels == SPAM).astype(int)
        weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if sources is not None:
            weights = source_balanced(weights, np.unique(np.asarray(sources), return_inverse=True)[1],
                                      self.source_balance)
        starts = document_starts(doc_ids, n)
        words = token_counts(texts)
        groups = doc_ids
        n_groups = len(np.unique(groups[labeled]))
        folds = min(self.folds, n_groups)
        out_of_fold = None
        if folds >= 2:
            out_of_fold = np.zeros(n)
            for train, test in GroupKFold(n_splits=folds).split(np.zeros(n), groups=groups):
                train = np.intersect1d(train, labeled)
                if len(set(targets[train])) < 2:
                    out_of_fold = None
                    break
                model = self._linear_model().fit(matrix[train], targets[train], sample_weight=weights[train])
                out_of_fold[test] = model.decision_function(matrix[test])
        first = _without_training_state(
            self._linear_model().fit(matrix[labeled], targets[labeled], sample_weight=weights[labeled]))
        self.pipeline_ = Pipeline([("features", features), ("classifier", first)])
        self.context_model_ = None
        self.calibration_ = None
        self.threshold_ = 0.5
        self.precision_curve_ = None
        self.cv_scores_ = None
        self.cv_scores_on_ = "none (too few documents to hold any out)"
        self.threshold_maximises_ = SPAM  # the class whose F1 the threshold maximises
        if out_of_fold is not None:
            keys = copy_keys(texts)
            cv_scores = probability(out_of_fold[labeled])
            self.cv_scores_on_ = f"out-of-fold training documents ({folds} folds by document)"
            if self.context_pass:
                context = score_context_features(out_of_fold, starts, keys)[labeled]
                self.context_model_ = self._score_model().fit(context, targets[labeled], sample_weight=weights[labeled])
                cv_scores = cross_val_predict(
                    self._score_model(), context, targets[labeled], groups=groups[labeled],
                    cv=GroupKFold(n_splits=folds), method="predict_proba", params={"sample_weight": weights[labeled]},
                )[:, 1]
            maximise, threshold_groups = SPAM, None
            if sources is not None:
                calibrated = self._fit_calibration(matrix, targets, labeled, weights, np.asarray(sources), starts,
                                                   keys, words)
                if calibrated is not None:
                    # On out-of-source scores the spam-F1 cut removes twice the editorial
                    # words (the spam majority pulls it down); the content-F1 cut, averaged
                    # over sources so that the largest does not decide alone, does not.
                    cv_scores, maximise, threshold_groups = calibrated, CONTENT, np.asarray(sources)[labeled]
            self.threshold_maximises_ = maximise
            self.threshold_ = choose_threshold(labels[labeled], cv_scores, self.min_precision, maximise,
                                               threshold_groups)
        self.promotion_detector_ = None
        if self.promotion_false_positives is not None and kinds is not None:
            fitted = self._fit_promotion_detector(matrix, np.asarray(kinds, dtype=object), labels, langs, sources,
                                                  texts, words, starts)
            if fitted is not None:
                self.promotion_detector_, held_out = fitted
                if out_of_fold is not None:
                    # The held-out scores, and so the precision curve, include the detector's flags.
                    detector = self.promotion_detector_
                    shifted = detector.shifted(held_out, detector.cuts(held_out, texts, words, starts))
                    cv_scores = np.maximum(cv_scores, probability(shifted[labeled]))
                    if self.min_precision is not None:
                        self.threshold_ = choose_threshold(labels[labeled], cv_scores, self.min_precision, maximise,
                                                           threshold_groups)
        if out_of_fold is not None:
            self.precision_curve_ = precision_curve(labels[labeled], cv_scores)
            self.cv_scores_ = (labeled, cv_scores)
        self.classes_ = np.array(LABELS, dtype=object)
        return self

    def _fit_promotion_detector(self, matrix, kinds: np.ndarray, labels: np.ndarray, langs, sources,
                                texts: list[str], words: np.ndarray, starts: np.ndarray
                                ) -> tuple[PromotionDetector, np.ndarray] | None:
        """The :class:`PromotionDetector`, anchored at the current threshold, and its held-out
        log-odds of every row (out of fold for the rows it learns from); None without rows
        of kind ``promotion``.

        It learns from the sources that hold promotion: their promotions against their
        editorial paragraphs. Its cut flags ``promotion_false_positives`` of their editorial
        paragraphs of 10+ words, scored out of fold (grouped by text, as pages repeat), and
        so, shrunk, does each language's cut (see :meth:`_language_cuts`)."""
        promotion = kinds == "promotion"
        if not promotion.any():
            return None
        in_sources = (np.isin(sources, np.unique(sources[promotion])) if sources is not None
                      else np.ones(len(kinds), dtype=bool))
        editorial = in_sources & (labels == CONTENT)
        lang = (np.array(["und" if v is None or v != v else str(v) for v in langs], dtype=object) if langs is not None
                else np.full(len(kinds), "und", dtype=object))
        counts = pd.Series(lang[editorial]).value_counts()
        known = pd.Series(lang).map(counts).fillna(0).to_numpy() >= self.promotion_min_editorial
        rows = np.flatnonzero(editorial | (promotion & known))
        if not (promotion[rows].any() and editorial[rows].any()):
            return None
        learned = matrix[rows][:, self._detector_columns()]
        targets = promotion[rows].astype(int)
        weights = language_balanced_weights(lang[rows], targets)
        # Copies of a text share a fold. Grouped by the normalised text itself, not by its
        # hash key, which changes from one process to the next (and with it the cut).
        groups = pd.factorize(pd.Series(feature_texts([texts[i] for i in rows])))[0]
        out_of_fold = np.zeros(len(rows))
        for train, test in GroupKFold(n_splits=PROMOTION_FOLDS).split(learned, targets, groups):
            out_of_fold[test] = (self._linear_model().fit(learned[train], targets[train], sample_weight=weights[train])
                                 .decision_function(learned[test]))
        long_editorial = (targets == 0) & (words[rows] >= 10)
        cut = float(np.quantile(out_of_fold[long_editorial], 1 - self.promotion_false_positives))
        language_cuts = self._language_cuts(out_of_fold[long_editorial], rows[long_editorial], texts, words, starts,
                                            cut)
        fitted = self._linear_model().fit(learned, targets, sample_weight=weights)
        detector = PromotionDetector(fitted.coef_[0].copy(), float(fitted.intercept_[0]), cut, float(self.threshold_),
                                     language_cuts)
        held_out = self.detector_logits(matrix, detector)
        held_out[rows] = out_of_fold
        return detector, held_out

    def _detector_columns(self) -> np.ndarray:
        """Where the promotion detector's inputs sit in a feature matrix: the hashed
        n-grams, then the promotion cues (:func:`~spamfilter.features.promotion_cue_columns`)."""
        width = 2**self.hash_bits
        return np.concatenate([np.arange(width), width + np.asarray(promotion_cue_columns(self.feature_groups),
                                                                     dtype=np.int64)])

    def detector_logits(self, matrix, detector: PromotionDetector | None = None) -> np.ndarray:
        """The promotion detector's (by default the fitted one's) own log-odds of the rows of
        a feature matrix, without copying its columns (the training matrix is gigabytes)."""
        detector = self.promotion_detector_ if detector is None else detector
        weights = np.zeros(matrix.shape[1])
        weights[self._detector_columns()] = detector.coef
        return matrix @ weights + detector.intercept

    def _language_cuts(self, editorial_logits: np.ndarray, editorial_rows: np.ndarray, texts: list[str],
                       words: np.ndarray, starts: np.ndarray, cut: float) -> dict[str, float]:
        """The detector's cut per page language, for the languages whose editorial
        paragraphs (``editorial_rows`` of the training rows, with their out-of-fold
        log-odds) score lower than those that set ``cut``. A page's language is read as
        prediction reads it (:func:`~spamfilter.language.page_languages`)."""
        if self.promotion_language_shrink == 0:
            return {}
        languages = pd.Series(page_languages(texts, words, starts, editorial_rows))
        cuts = {}
        for language, rows in languages.groupby(languages).groups.items():
            if len(rows) >= self.promotion_language_min_editorial:
                own = float(np.quantile(editorial_logits[rows.to_numpy()], 1 - self.promotion_false_positives))
                if own < cut:
                    cuts[str(language)] = cut + self.promotion_language_shrink * (own - cut)
        return cuts

    def _fit_calibration(self, matrix, targets: np.ndarray, labeled: np.ndarray, weights: np.ndarray,
                         sources: np.ndarray, starts: np.ndarray, keys: np.ndarray, words: np.ndarray
                         ) -> np.ndarray | None:
        """Fit ``calibration_`` on out-of-source scores and return them calibrated, as P(spam)
        of the labeled rows; None (and no calibration) with fewer than two labeled sources.

        Each row's first-stage score comes from a model fitted without its source; the
        context pass fitted on all rows turns them into final log-odds (it learns from
        neighbours' scores, which transfer across sources)."""
        n = len(targets)
        folds = min(self.source_folds, len(np.unique(sources[labeled])))
        if folds < 2:
            return None
        first = np.zeros(n)
        for train, test in GroupKFold(n_splits=folds).split(np.zeros(n), groups=sources):
            train = np.intersect1d(train, labeled)
            if len(set(targets[train])) < 2:
                return None
            model = self._linear_model().fit(matrix[train], targets[train], sample_weight=weights[train])
            first[test] = model.decision_function(matrix[test])
        inputs = np.column_stack([self.scorer().second_pass(first, keys, starts), np.log1p(words)])[labeled]
        # One intercept per source: sources differ in their share of spam and in how far
        # their scores shift, and pooled they would bend the slopes (Simpson's paradox).
        # Each source weighs the same: every one is a sample of "a source never seen", and
        # pooled by rows the largest (a crawl of one site) would set the slopes alone.
        names, source_of = np.unique(sources[labeled], return_inverse=True)
        calibrator = LogisticRegression(C=1.0, max_iter=1000, fit_intercept=False).fit(
            np.hstack([inputs, np.eye(len(names))[source_of]]), targets[labeled],
            sample_weight=source_balanced(weights[labeled], source_of))
        scale, token_weight, *intercepts = calibrator.coef_[0]
        self.calibration_ = np.array([scale, token_weight, np.mean(intercepts)])
        self.cv_scores_on_ = f"out-of-source training documents ({folds} folds by source, calibrated)"
        return probability(self.scorer().calibrated(inputs[:, 0], words[labeled]))

    def scorer(self) -> LinearScorer:
        """The fitted weights as a :class:`~spamfilter.scorer.LinearScorer` (shares the arrays)."""
        check_is_fitted(self, "pipeline_")
        classifier = self.pipeline_.named_steps["classifier"]
        features = self.pipeline_.named_steps["features"]
        context = self.context_model_
        return LinearScorer(
            hash_bits=features.hash_bits, char_ngrams=tuple(features.char_ngrams),
            word_ngrams=tuple(features.word_ngrams), groups=tuple(features.groups),
            coef=classifier.coef_[0], intercept=float(classifier.intercept_[0]),
            context_coef=None if context is None else context.coef_[0],
            context_intercept=0.0 if context is None else float(context.intercept_[0]),
            threshold_=float(self.threshold_), calibration=getattr(self, "calibration_", None),
            precision_curve=getattr(self, "precision_curve_", None),
            promotion=getattr(self, "promotion_detector_", None),
            metadata_=getattr(self, "metadata_", {}),
        )

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of spam (the final linear stage's raw output)."""
        texts, starts = _texts_and_starts(as_paragraph_frame(X))
        return self.scorer().logits(texts, starts)

    def decision_transformed(self, matrix, doc_ids, texts: list[str]) -> np.ndarray:
        """Log-odds of spam for rows already transformed by ``pipeline_``'s features."""
        first = self.pipeline_.named_steps["classifier"].decision_function(matrix)
        scorer = self.scorer()
        starts, words = document_starts(doc_ids, len(first)), token_counts(texts)
        logits = scorer.calibrated(scorer.second_pass(first, copy_keys(texts), starts), words)
        if scorer.promotion is None:
            return logits
        detector_logits = self.detector_logits(matrix, scorer.promotion)
        return scorer.promotion.combined(logits, detector_logits,
                                         scorer.promotion.cuts(detector_logits, texts, words, starts))

    def predict_proba(self, X) -> np.ndarray:
        """Columns ``[P(content), P(spam)]`` per paragraph."""
        spam = probability(self.decision_function(X))
        return np.column_stack([1 - spam, spam])

    def predict(self, X, threshold: float | None = None) -> np.ndarray:
        """``content``/``spam`` per paragraph, using ``threshold_`` unless overridden."""
        spam = self.predict_proba(X)[:, 1] >= (self.threshold_ if threshold is None else threshold)
        return np.where(spam, SPAM, CONTENT).astype(object)

    def score_texts(self, texts: list[str], starts: np.ndarray) -> np.ndarray:
        """P(spam) of paragraphs given as texts and the row where each document begins
        (the interface :class:`~spamfilter.scorer.LinearScorer` shares, for streaming)."""
        return self.scorer().score_texts(texts, starts)

    def score_paragraphs(self, frame: pd.DataFrame) -> np.ndarray:
        """P(spam) of each row of a paragraph table (the batch entry point of every command)."""
        if len(frame) == 0:
            return np.zeros(0)
        return self.predict_proba(frame)[:, 1]


def _labels(values) -> np.ndarray:
    """Labels as an object array of strings, with None for every missing one (pandas gives
    NaN: it must not count as labeled)."""
    return np.array([None if (v is None or v != v) else str(v) for v in values], dtype=object)


def _texts_and_starts(frame: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    doc_ids = frame["doc_id"].to_numpy() if "doc_id" in frame.columns else None
    return frame["text"].tolist(), document_starts(doc_ids, len(frame))


def _without_training_state(classifier: SGDClassifier) -> SGDClassifier:
    """Drop the copies of the weights that averaged SGD keeps only to resume training
    (``partial_fit``): prediction uses ``coef_``, and they would triple the artifact."""
    for name in ("_standard_coef", "_average_coef"):
        if hasattr(classifier, name):
            delattr(classifier, name)
    return classifier
