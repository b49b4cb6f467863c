"""A fitted model as plain arrays: the prediction path, without scikit-learn.

:class:`LinearScorer` holds what scoring needs (the first stage's weights over the
hashed and dense features, the second stage's weights over neighbours' scores, the
out-of-source calibration, the threshold) and computes the log-odds straight from the
text, batch by batch, without building a feature matrix. It is what ``predict``, ``filter`` and :class:`~spamfilter.Filter`
run: importing scikit-learn and pandas costs more than a second of start-up, and an
``.npz`` of arrays loads without unpickling anything.
:meth:`SpamClassifier.scorer <spamfilter.model.SpamClassifier.scorer>` makes one from a
fitted model; the artifact stores it as ``scorer.npz``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

from .features import (
    SCORE_CONTEXT_NAMES,
    HashedBatch,
    Layout,
    WordTokens,
    dense_features,
    dense_names,
    document_batches,
    feature_texts,
    layout_and_shapes,
    ngram_scores,
    ngram_settings,
    promotion_cue_columns,
    promotion_cues,
    score_context_features,
    text_keys,
    token_counts,
)
from .language import page_languages
from .thresholds import log_odds, operating_point

# Version 2 added the out-of-source calibration, version 3 the precision curve, version 4
# the promotion detector, version 5 its cuts per language; older files (without them)
# still load.
FORMAT_VERSION = 5
READABLE_VERSIONS = (1, 2, 3, 4, 5)


def probability(logits: np.ndarray) -> np.ndarray:
    """P(spam) from log-odds (clipped, so extreme values do not overflow)."""
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))


@dataclass
class ParagraphParts:
    """What the first stage computes from each paragraph alone: its normalised text's copy
    key and word tokens, its n-gram log-odds, its layout cues and its token count. Only
    context and repetition depend on the neighbours, so after a removal (``Filter``
    re-scores what it keeps) the parts of the kept paragraphs are reused and only those
    are recomputed. The promotion detector's log-odds (the words a paragraph shares with
    its document among them) are those of the document as it came: a paragraph does not
    turn into an ad because the menu around it was removed."""

    keys: np.ndarray
    ngram_logits: np.ndarray
    layout: Layout | None
    tokens: WordTokens | None
    words: np.ndarray
    promotion_logits: np.ndarray | None = None  # the promotion detector's own, when the model has one
    promotion_cuts: np.ndarray | None = None  # and the cut of each paragraph (its language's or the global one)

    def take(self, rows: np.ndarray) -> "ParagraphParts":
        """The parts of the paragraphs at ``rows`` (increasing), in that order."""
        return ParagraphParts(self.keys[rows], self.ngram_logits[rows],
                              None if self.layout is None else self.layout.take(rows),
                              None if self.tokens is None else self.tokens.take(rows), self.words[rows],
                              None if self.promotion_logits is None else self.promotion_logits[rows],
                              None if self.promotion_cuts is None else self.promotion_cuts[rows])


@dataclass(frozen=True)
class PromotionDetector:
    """A promotion-vs-editorial linear model over the hashed n-grams and the promotion cues
    (:data:`~spamfilter.features.PROMOTION_CUE_NAMES`; no length or position: an ad between
    two editorial paragraphs still reads like an ad), OR-ed with the main score. A
    paragraph whose detector log-odds reach its cut scores at least ``threshold`` (the
    model's threshold when the detector was fitted), so it is flagged there; a higher or
    lower threshold moves every cut by as much.

    The cut is ``cut``, or a lower one on a page in one of ``language_cuts``'s languages:
    there editorial prose scores lower than in English, which sets ``cut``."""

    coef: np.ndarray  # over the 2**hash_bits hashed columns, then the promotion cues
    intercept: float
    cut: float
    threshold: float
    language_cuts: dict[str, float] = field(default_factory=dict)

    def __setstate__(self, state: dict) -> None:
        """A detector pickled by an earlier version (``model.joblib``) has no cuts per language."""
        object.__setattr__(self, "__dict__", {"language_cuts": {}, **state})

    def cuts(self, detector_logits: np.ndarray, texts: Sequence[str], words: np.ndarray,
             starts: np.ndarray) -> np.ndarray:
        """Each paragraph's cut (``texts`` with ``words`` tokens each, in documents beginning
        at ``starts``). Only paragraphs between the lowest language cut and ``cut`` can be
        flagged by their page's language, so only pages holding one are identified."""
        cuts = np.full(len(detector_logits), self.cut)
        if self.language_cuts:
            window = np.flatnonzero((detector_logits >= min(self.language_cuts.values()))
                                    & (detector_logits < self.cut))
            languages = page_languages(texts, words, starts, window)
            cuts[window] = [self.language_cuts.get(language, self.cut) for language in languages]
        return cuts

    def shifted(self, detector_logits: np.ndarray, cuts: np.ndarray) -> np.ndarray:
        """The detector's log-odds as they enter the final score: each cut lands on ``threshold``."""
        return detector_logits + (float(log_odds(self.threshold)) - cuts)

    def combined(self, logits: np.ndarray, detector_logits: np.ndarray, cuts: np.ndarray) -> np.ndarray:
        """The final log-odds: the model's, or the shifted detector's where that is higher."""
        return np.maximum(logits, self.shifted(detector_logits, cuts))


def _promotion_detector(arrays) -> PromotionDetector:
    """The detector stored by :meth:`LinearScorer.save`; ValueError when its settings are not
    ``[intercept, cut, threshold]`` or its language cuts do not pair a name with a number."""
    settings = arrays["promotion_settings"]
    if np.shape(settings) != (3,):
        raise ValueError(f"promotion-detector settings of shape {np.shape(settings)}, expected 3 numbers")
    languages = arrays["promotion_languages"] if "promotion_languages" in arrays else np.zeros(0, dtype=str)
    cuts = arrays["promotion_language_cuts"] if "promotion_language_cuts" in arrays else np.zeros(0)
    if np.ndim(languages) != 1 or np.shape(languages) != np.shape(cuts):
        raise ValueError(f"{np.shape(languages)} promotion-detector languages for {np.shape(cuts)} cuts")
    return PromotionDetector(arrays["promotion_coef"], *map(float, settings),
                             language_cuts=dict(zip(map(str, languages), map(float, cuts))))


@dataclass
class LinearScorer:
    """The two linear stages of a fitted :class:`~spamfilter.model.SpamClassifier`.

    ``coef`` covers the hashed block (``2**hash_bits`` columns) then the dense columns
    of ``groups``; ``context_coef`` is None for a model trained without the context pass;
    ``calibration`` is ``(a, b, c)`` of the out-of-source calibration (see :meth:`calibrated`),
    None for a model trained without it; ``precision_curve`` is what other thresholds do on
    held-out scores (see :meth:`operating_point`), None when training held nothing out;
    ``promotion`` is the promotion detector OR-ed with the two stages, None for a model
    trained without promotion rows.
    """

    hash_bits: int
    char_ngrams: tuple[int, int]
    word_ngrams: tuple[int, int]
    groups: tuple[str, ...]
    coef: np.ndarray
    intercept: float
    context_coef: np.ndarray | None
    context_intercept: float
    threshold_: float
    calibration: np.ndarray | None = None
    precision_curve: np.ndarray | None = None
    promotion: PromotionDetector | None = None
    metadata_: dict[str, Any] = field(default_factory=dict, repr=False)

    def paragraph_parts(self, texts: list[str], starts: np.ndarray) -> ParagraphParts:
        """What the first stage computes from each paragraph alone (see :class:`ParagraphParts`),
        and the promotion detector's cut from its page's language (documents begin at ``starts``)."""
        normalised = feature_texts(texts)
        batch = HashedBatch(normalised)
        chars, words = ngram_settings(self.groups, self.char_ngrams, self.word_ngrams)
        layout, shapes = layout_and_shapes(texts, normalised, self.groups)
        tokens = token_counts(texts) if layout is None else layout.words
        word_tokens = batch.word_tokens() if "repetition" in self.groups else None
        promotion = cuts = None
        if self.promotion is not None:
            width = 2**self.hash_bits
            promotion = (ngram_scores(batch, self.promotion.coef, self.hash_bits, chars, words, shapes)
                         + promotion_cues(layout, word_tokens, starts, self.groups) @ self.promotion.coef[width:]
                         + self.promotion.intercept)
            cuts = self.promotion.cuts(promotion, texts, tokens, starts)
        return ParagraphParts(
            text_keys(normalised), ngram_scores(batch, self.coef, self.hash_bits, chars, words, shapes), layout,
            word_tokens, tokens, promotion, cuts)

    def first_pass_of_parts(self, parts: ParagraphParts, starts: np.ndarray) -> np.ndarray:
        """First-stage log-odds of paragraphs from their parts, in documents beginning at ``starts``."""
        width = 2**self.hash_bits
        total = parts.ngram_logits + self.intercept
        dense = dense_features(parts.layout, parts.tokens, parts.keys, starts, self.groups)
        if dense is not None:
            total = total + dense @ self.coef[width:width + dense.shape[1]]
        return total

    def logits_of_parts(self, parts: ParagraphParts, starts: np.ndarray) -> np.ndarray:
        """Final log-odds of paragraphs from their parts (one batch of whole documents)."""
        logits = self.calibrated(self.second_pass(self.first_pass_of_parts(parts, starts), parts.keys, starts),
                                 parts.words)
        return (logits if parts.promotion_logits is None
                else self.promotion.combined(logits, parts.promotion_logits, parts.promotion_cuts))

    def second_pass(self, logits: np.ndarray, keys: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Final log-odds from the first-stage ones of each paragraph and its neighbours
        (``keys`` tell copies of one text apart, see :func:`~spamfilter.features.copy_keys`)."""
        if self.context_coef is None:
            return logits
        return score_context_features(logits, starts, keys) @ self.context_coef + self.context_intercept

    def calibrated(self, logits: np.ndarray, words: np.ndarray) -> np.ndarray:
        """``a * logits + b * log(1 + words) + c``: the two-stage log-odds as they hold on
        sources the model was not trained on (fitted on out-of-source scores, see
        :class:`~spamfilter.model.SpamClassifier`); unchanged without a calibration."""
        if self.calibration is None:
            return logits
        a, b, c = self.calibration
        return a * logits + b * np.log1p(words) + c

    def logits(self, texts: list[str], starts) -> np.ndarray:
        """Log-odds of spam of each paragraph (rows of a document contiguous, in order;
        ``starts``: the row where each document begins, then the number of rows)."""
        texts = list(texts)
        logits = [self.logits_of_parts(self.paragraph_parts(texts[first:end], doc_starts), doc_starts)
                  for first, end, doc_starts in document_batches(np.asarray(starts, dtype=np.int64))]
        return np.concatenate(logits) if logits else np.zeros(0)

    def score_texts(self, texts: list[str], starts) -> np.ndarray:
        """P(spam) of each paragraph."""
        return probability(self.logits(texts, starts))

    def operating_point(self, min_precision: float) -> tuple[float, float, float]:
        """``(threshold, spam precision, share of content removed)`` of the lowest threshold
        whose spam precision on the training's held-out scores is at least ``min_precision``
        (e.g. 0.98 after an HTML extractor, where little is left to remove and every
        editorial paragraph removed costs more than a leftover kept). ValueError when the
        model has no precision curve or none of its thresholds reaches it."""
        if self.precision_curve is None:
            raise ValueError("this model has no precision curve (trained without held-out scores or by an "
                             "earlier version): retrain it, or give a threshold instead")
        return operating_point(self.precision_curve, min_precision)

    def save(self, handle: IO[bytes]) -> None:
        """Write the arrays and settings as an ``.npz`` (no pickled objects)."""
        settings = {"format": FORMAT_VERSION, "hash_bits": self.hash_bits, "char_ngrams": list(self.char_ngrams),
                    "word_ngrams": list(self.word_ngrams), "groups": list(self.groups),
                    "intercept": self.intercept, "context_intercept": self.context_intercept,
                    "threshold": self.threshold_}
        arrays = {"coef": self.coef, "settings": np.array(json.dumps(settings))}
        if self.context_coef is not None:
            arrays["context_coef"] = self.context_coef
        if self.calibration is not None:
            arrays["calibration"] = self.calibration
        if self.precision_curve is not None:
            arrays["precision_curve"] = self.precision_curve
        if self.promotion is not None:
            arrays["promotion_coef"] = self.promotion.coef
            arrays["promotion_settings"] = np.array([self.promotion.intercept, self.promotion.cut,
                                                     self.promotion.threshold])
            arrays["promotion_languages"] = np.array(list(self.promotion.language_cuts), dtype=str)
            arrays["promotion_language_cuts"] = np.array(list(self.promotion.language_cuts.values()), dtype=float)
        np.savez(handle, **arrays)

    @classmethod
    def load(cls, path, metadata: dict[str, Any] | None = None) -> "LinearScorer":
        """Read what :meth:`save` wrote; ValueError/KeyError/OSError when it is not such a file."""
        with np.load(path, allow_pickle=False) as arrays:
            settings = json.loads(str(arrays["settings"]))
            if settings.get("format") not in READABLE_VERSIONS:
                raise ValueError(f"scorer format {settings.get('format')!r}, this version reads "
                                 f"{', '.join(map(str, READABLE_VERSIONS))}")
            scorer = cls(
                hash_bits=int(settings["hash_bits"]), char_ngrams=tuple(settings["char_ngrams"]),
                word_ngrams=tuple(settings["word_ngrams"]), groups=tuple(settings["groups"]),
                coef=arrays["coef"], intercept=float(settings["intercept"]),
                context_coef=arrays["context_coef"] if "context_coef" in arrays else None,
                context_intercept=float(settings["context_intercept"]), threshold_=float(settings["threshold"]),
                calibration=arrays["calibration"] if "calibration" in arrays else None,
                precision_curve=arrays["precision_curve"] if "precision_curve" in arrays else None,
                promotion=_promotion_detector(arrays) if "promotion_coef" in arrays else None,
                metadata_=metadata or {},
            )
        scorer.check_sizes()
        return scorer

    def check_sizes(self) -> None:
        """ValueError when the weights do not match the features this version computes (a
        model trained by a version with other features)."""
        expected = 2**self.hash_bits + len(dense_names(self.groups))
        if len(self.coef) != expected:
            raise ValueError(f"{len(self.coef)} first-pass weights, but this version computes {expected} "
                             f"features for the groups {', '.join(self.groups)}")
        if self.context_coef is not None and len(self.context_coef) != len(SCORE_CONTEXT_NAMES):
            raise ValueError(f"{len(self.context_coef)} second-pass weights, but this version computes "
                             f"{len(SCORE_CONTEXT_NAMES)}")
        if self.calibration is not None and np.shape(self.calibration) != (3,):
            raise ValueError(f"calibration of shape {np.shape(self.calibration)}, expected 3 numbers")
        detector_width = 2**self.hash_bits + len(promotion_cue_columns(self.groups))
        if self.promotion is not None and len(self.promotion.coef) != detector_width:
            raise ValueError(f"{len(self.promotion.coef)} promotion-detector weights, expected {detector_width}")
        if self.promotion is not None and not all(cut <= self.promotion.cut for cut in self.promotion.language_cuts.values()):
            raise ValueError(f"promotion-detector language cuts {self.promotion.language_cuts} must not exceed its cut "
                             f"{self.promotion.cut}")
        if self.precision_curve is not None and (np.ndim(self.precision_curve) != 2 or len(self.precision_curve) != 3):
            raise ValueError(f"precision curve of shape {np.shape(self.precision_curve)}, expected 3 rows")
