"""Why the model scores a paragraph as it does: weight x feature value, by feature.

The first stage is linear: a paragraph's first-pass log-odds is ``b + sum_j w_j x_j``,
so each ``w_j x_j`` is an exact, additive contribution. When the model has a second
stage (``context_model_``: a logistic regression over the first-pass scores of the
paragraph and its neighbours), the final log-odds is ``c + sum_k v_k g_k``. The term
of the paragraph's own score, ``v_own * s`` with ``s = own_factor * first-pass log-odds``,
is split over the first-stage features in proportion (each gets ``v_own * own_factor
* w_j x_j``); every other second-stage term (neighbours' scores, document means) is
listed under its own name. A calibrated model (``calibration_ = (a, b, c)``) scales all
of these by ``a`` and adds ``b * log(1 + tokens)`` (listed as ``calibration:log_tokens``)
and ``c`` (in the intercept). Either way the contributions plus the intercept add up
exactly to the model's decision value.

A model trained with promotion rows also has a promotion detector (a linear model over
the hashed n-grams and the promotion cues, see :class:`~spamfilter.scorer.PromotionDetector`),
OR-ed with the two stages: where its shifted log-odds are the higher, they are the
decision, and the explanation lists its weights instead (``decided_by == "promotion
detector"``, group ``"promotion"``; its intercept includes the shift).

Hashed n-gram columns have no name of their own; for a given paragraph they are named
by the n-grams *of that paragraph* that hash to them (of its normalised text, see
:func:`spamfilter.normalize.normalize_text`). Several n-grams can share a column
(collisions); they are shown together because the model cannot tell them apart either.

Context features look at neighbouring paragraphs, so paragraphs are explained in
their document: pass all paragraphs of one document, in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .feature_matrix import ParagraphFeatures, as_paragraph_frame
from .features import (
    feature_texts,
    SCORE_CONTEXT_NAMES,
    document_starts,
    HashedBatch,
    hash_ngrams,
    promotion_cue_columns,
    shapes_of,
    copy_keys,
    score_context_features,
    token_counts,
)
from .model import SpamClassifier

# Phrases typical of web boilerplate, promotion and news prose. Hashed columns have no
# names, so ``strongest_ngrams`` reports the weights of these phrases' word n-grams.
PROBE_PHRASES: tuple[str, ...] = (
    # navigation and page furniture
    "home", "news", "contact us", "about us", "log in", "sign up", "read more", "next article",
    "previous post", "related posts", "leave a comment", "share this article", "follow us on social media",
    "privacy policy", "terms of use", "all rights reserved", "copyright", "cookies", "advertisement",
    "subscribe to our newsletter", "click here", "skip to content", "search", "menu", "posted by",
    # promotion
    "buy now", "free shipping", "discount code", "limited offer", "best price", "free spins", "casino",
    "bonus", "sponsored", "order today",
    # editorial prose
    "the study found", "according to", "said on tuesday", "officials said", "researchers", "the council",
    "the government", "per cent", "however", "last year", "in a statement", "the report", "because",
    "which would", "told reporters",
)


@dataclass
class Contribution:
    """One feature's share of a paragraph's decision value: ``weight * value``."""

    name: str  # "layout:log_chars", "second pass:score_-1" or the n-grams of a hashed column
    group: str  # "ngrams", "layout", "context", "second pass", "calibration" or "promotion"
    column: int  # column in the first-stage matrix, or in the second-stage features
    value: float
    weight: float  # effective weight in this paragraph's decision (see the module docstring)
    contribution: float
    ngrams: list[tuple[str, str]] = field(default_factory=list)  # (kind "word"/"char", text)

    def to_dict(self) -> dict:
        return {"feature": self.name, "group": self.group, "column": self.column, "value": self.value, "weight": self.weight,
                "contribution": self.contribution,
                "ngrams": [{"type": kind, "text": text} for kind, text in self.ngrams]}


@dataclass
class Explanation:
    """A paragraph's score and every non-zero feature's contribution, largest towards spam first.

    ``intercept + sum(c.contribution for c in contributions) == decision`` (log-odds of spam).
    """

    index: int
    text: str
    score: float  # P(spam)
    decision: float
    intercept: float  # the model's intercept(s) as they enter this paragraph's decision
    contributions: list[Contribution]
    first_pass: float  # first-stage log-odds (equals ``decision`` without a second stage)
    decided_by: str = "model"  # or "promotion detector" (see the module docstring)

    def towards_spam(self, k: int = 10) -> list[Contribution]:
        """The ``k`` features that raised the spam log-odds most."""
        return [c for c in self.contributions if c.contribution > 0][:k]

    def towards_content(self, k: int = 10) -> list[Contribution]:
        """The ``k`` features that lowered the spam log-odds most."""
        return [c for c in reversed(self.contributions) if c.contribution < 0][:k]

    def by_group(self) -> dict[str, float]:
        """Summed contributions of the n-gram, layout and context features."""
        totals: dict[str, float] = {}
        for c in self.contributions:
            totals[c.group] = totals.get(c.group, 0.0) + c.contribution
        return totals

    def to_dict(self, top: int | None = 10) -> dict:
        """JSON-ready form; ``top=None`` keeps every contribution."""
        if top is None:
            spam = [c for c in self.contributions if c.contribution > 0]
            content = [c for c in reversed(self.contributions) if c.contribution < 0]
        else:
            spam, content = self.towards_spam(top), self.towards_content(top)
        return {"index": self.index, "text": self.text, "score": self.score, "decision": self.decision,
                "intercept": self.intercept, "first_pass": self.first_pass, "decided_by": self.decided_by,
                "by_group": self.by_group(),
                "towards_spam": [c.to_dict() for c in spam],
                "towards_content": [c.to_dict() for c in content]}


def _parts(model: SpamClassifier) -> tuple[ParagraphFeatures, np.ndarray, float]:
    """The model's feature transformer, its first-stage (averaged SGD) coefficients and intercept."""
    pipeline = getattr(model, "pipeline_", None)
    if pipeline is None:
        raise ValueError("the model is not fitted; train or load one first")
    classifier = pipeline.named_steps["classifier"]
    return pipeline.named_steps["features"], np.asarray(classifier.coef_[0], dtype=np.float64), \
        float(classifier.intercept_[0])


def _second_stage(model: SpamClassifier) -> tuple[np.ndarray, float] | None:
    """Coefficients and intercept of the score-context stage, or None for a one-stage model."""
    context_model = getattr(model, "context_model_", None)
    if context_model is None:
        return None
    return np.asarray(context_model.coef_[0], dtype=np.float64), float(context_model.intercept_[0])


def ngram_names(features: ParagraphFeatures, texts: Sequence[str], words_only: bool = False
                ) -> list[dict[int, list[tuple[str, str]]]]:
    """Per text, each hashed column it touches -> the distinct (kind, n-gram) that fall in it."""
    uses_words = "words" in features.groups
    uses_chars = "chars" in features.groups and not words_only
    shapes = None if words_only else shapes_of(texts, features.groups)
    names: list[dict[int, list[tuple[str, str]]]] = [{} for _ in texts]
    if not (uses_words or uses_chars or shapes is not None) or not texts:
        return names
    occurrences = hash_ngrams(
        HashedBatch(feature_texts(texts)), features.hash_bits,
        tuple(features.char_ngrams) if uses_chars else None,
        tuple(features.word_ngrams) if uses_words else None,
        shapes,
    )
    for rows, columns, begin, end, kind, codes in zip(occurrences.rows, occurrences.columns, occurrences.begin,
                                                      occurrences.end, occurrences.kind, occurrences.codes):
        label = _NGRAM_KINDS[kind]
        for row, column, b, e in zip(rows.tolist(), columns.tolist(), begin.tolist(), end.tolist()):
            gram = (label, codes[b:e].tobytes().decode("utf-32-le"))
            seen = names[row].setdefault(column, [])
            if gram not in seen:
                seen.append(gram)
    return names


_NGRAM_KINDS = ("word", "char", "shape")
_NGRAM_FORMATS = {"word": '"{}"', "char": "‹{}›", "shape": "shape ⟨{}⟩"}


def format_ngrams(ngrams: list[tuple[str, str]]) -> str:
    """``"free spins" | ‹ree s› | shape ⟨Wa:W⟩``: word n-grams in quotes, char n-grams
    (spaces kept) in ‹›, shape n-grams in ⟨⟩."""
    return " | ".join(_NGRAM_FORMATS[kind].format(text) for kind, text in ngrams)


def explain(model: SpamClassifier, paragraphs: Sequence[str] | pd.DataFrame,
            rows: Sequence[int] | None = None) -> list[Explanation]:
    """Explain the paragraphs of one document (a list of texts, in order) or of a paragraph
    table with ``text`` and ``doc_id`` columns (documents contiguous, as the model reads them).

    ``rows`` (positions in the table) explains only some paragraphs; the default explains
    all of them. A paragraph's score depends on its own document only.
    """
    features, coef, intercept = _parts(model)
    frame = as_paragraph_frame(paragraphs).reset_index(drop=True)
    texts = frame["text"].tolist()
    starts = document_starts(frame["doc_id"].to_numpy() if "doc_id" in frame.columns else None, len(texts))
    matrix = sp.csr_matrix(features.transform(frame), dtype=np.float64)
    matrix.sum_duplicates()  # n-gram occurrences arrive one entry each
    first_pass = matrix @ coef + intercept
    # Without a second stage the paragraph's own log-odds passes through unchanged.
    pass_through, intercepts, decisions = np.ones(len(texts)), np.full(len(texts), intercept), first_pass
    second_terms = np.zeros((len(texts), 0))
    stage = _second_stage(model)
    if stage is not None:
        weights, second_intercept = stage
        context = score_context_features(first_pass, starts, copy_keys(texts))
        own = SCORE_CONTEXT_NAMES.index("score")
        second_terms = context * weights
        decisions = second_intercept + second_terms.sum(axis=1)
        safe = np.where(first_pass == 0, 1.0, first_pass)
        pass_through = np.where(first_pass == 0, 0.0, second_terms[:, own] / safe)
        second_terms[:, own] = 0.0  # carried by the first-stage features instead
        intercepts = second_intercept + pass_through * intercept
    calibration = getattr(model, "calibration_", None)
    if calibration is not None:
        scale, token_weight, shift = calibration
        log_tokens = np.log1p(token_counts(texts))
        decisions = scale * decisions + token_weight * log_tokens + shift
        pass_through, second_terms, intercepts = scale * pass_through, scale * second_terms, scale * intercepts + shift
    hashed_width = 2 ** features.hash_bits
    detector = getattr(model, "promotion_detector_", None)
    by_detector = np.zeros(len(texts), dtype=bool)
    if detector is not None:
        detector_logits = model.detector_logits(matrix)
        # The detector's weight of each dense column it reads (the promotion cues).
        detector_dense = dict(zip(promotion_cue_columns(features.groups), detector.coef[hashed_width:].tolist()))
        cuts = detector.cuts(detector_logits, texts, token_counts(texts), starts)
        detector_decisions = detector.shifted(detector_logits, cuts)
        by_detector = detector_decisions > decisions
        decisions = np.where(by_detector, detector_decisions, decisions)
    scores = 1.0 / (1.0 + np.exp(-np.clip(decisions, -50, 50)))
    dense_names = features.feature_blocks()
    wanted = list(range(len(texts))) if rows is None else [int(r) for r in rows]
    names = dict(zip(wanted, ngram_names(features, [texts[r] for r in wanted])))
    explanations = []
    for row in wanted:
        text, decided_by_detector = texts[row], bool(by_detector[row])
        start, stop = matrix.indptr[row], matrix.indptr[row + 1]
        contributions = []
        for column, value in zip(matrix.indices[start:stop].tolist(), matrix.data[start:stop].tolist()):
            if value == 0.0 or (decided_by_detector and column >= hashed_width
                                and column - hashed_width not in detector_dense):
                continue
            if column < hashed_width:
                grams = names[row].get(column, [])
                name = format_ngrams(grams) or f"hashed column {column}"
                group, weight = (("promotion", float(detector.coef[column])) if decided_by_detector
                                 else ("ngrams", float(coef[column] * pass_through[row])))
            else:
                grams, name = [], dense_names[column - hashed_width]
                group, weight = (("promotion", detector_dense[column - hashed_width]) if decided_by_detector
                                 else (name.split(":", 1)[0], float(coef[column] * pass_through[row])))
            contributions.append(Contribution(name, group, column, value, weight, weight * value, grams))
        if not decided_by_detector:
            for k in np.flatnonzero(second_terms[row]).tolist():
                value = float(context[row, k])
                contributions.append(Contribution(f"second pass:{SCORE_CONTEXT_NAMES[k]}", "second pass", k, value,
                                                  float(second_terms[row, k] / value), float(second_terms[row, k])))
            if calibration is not None and log_tokens[row]:
                contributions.append(Contribution("calibration:log_tokens", "calibration", 0, float(log_tokens[row]),
                                                  float(token_weight), float(token_weight * log_tokens[row])))
        contributions.sort(key=lambda c: -c.contribution)
        explanations.append(Explanation(
            row, text, float(scores[row]), float(decisions[row]),
            float(detector.intercept + detector_decisions[row] - detector_logits[row]) if decided_by_detector
            else float(intercepts[row]), contributions,
            float(first_pass[row]), "promotion detector" if decided_by_detector else "model"))
    return explanations


@dataclass
class FeatureWeight:
    """A named feature and its weight in the model (positive pushes towards spam)."""

    name: str
    weight: float
    column: int

    def to_dict(self) -> dict:
        return {"feature": self.name, "weight": self.weight, "column": self.column}


def _split_by_sign(items: list[FeatureWeight], k: int) -> dict[str, list[FeatureWeight]]:
    ranked = sorted(items, key=lambda f: -f.weight)
    return {"spam": [f for f in ranked if f.weight > 0][:k],
            "content": [f for f in reversed(ranked) if f.weight < 0][:k]}


def strongest_dense(model: SpamClassifier, k: int = 10) -> dict[str, list[FeatureWeight]]:
    """The ``k`` layout/context features with the largest first-stage weights towards spam and
    towards content. Weights are per unit of the feature; most dense features lie in [0, 1].
    """
    features, coef, _ = _parts(model)
    offset = 2 ** features.hash_bits
    items = [FeatureWeight(name, float(coef[offset + i]), offset + i)
             for i, name in enumerate(features.feature_blocks())]
    return _split_by_sign(items, k)


def second_pass_weights(model: SpamClassifier) -> list[FeatureWeight]:
    """Every weight of the score-context stage by name (empty for a one-stage model)."""
    stage = _second_stage(model)
    if stage is None:
        return []
    return [FeatureWeight(f"second pass:{name}", float(weight), k)
            for k, (name, weight) in enumerate(zip(SCORE_CONTEXT_NAMES, stage[0]))]


CALIBRATION_NAMES: tuple[str, ...] = ("two_stage_log_odds", "log_tokens", "intercept")


def calibration_weights(model: SpamClassifier) -> list[FeatureWeight]:
    """The out-of-source calibration's ``a``, ``b`` and ``c`` by name (empty without one)."""
    calibration = getattr(model, "calibration_", None)
    if calibration is None:
        return []
    return [FeatureWeight(f"calibration:{name}", float(weight), k)
            for k, (name, weight) in enumerate(zip(CALIBRATION_NAMES, calibration))]


def strongest_ngrams(model: SpamClassifier, k: int = 10, phrases: Sequence[str] = PROBE_PHRASES
                     ) -> dict[str, list[FeatureWeight]]:
    """Among the word n-grams of ``phrases``, the ``k`` with the largest weights each way.

    A hashed column may also hold other n-grams (collisions), so the weight belongs to
    the column, not to the n-gram alone.
    """
    features, coef, _ = _parts(model)
    grams_of: dict[int, list[tuple[str, str]]] = {}
    for columns in ngram_names(features, list(phrases), words_only=True):
        for column, grams in columns.items():
            seen = grams_of.setdefault(column, [])
            seen += [gram for gram in grams if gram not in seen]
    items = [FeatureWeight(format_ngrams(grams), float(coef[column]), column) for column, grams in grams_of.items()]
    return _split_by_sign(items, k)
