"""Library entry points for training and evaluating a model on labeled corpora.

The CLI's ``train`` and ``evaluate`` are thin wrappers over these; they return data
and never print or exit.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .artifact import save_model, sha256_of
from .errors import DataError
from .metrics import evaluate_frame
from .io import ColumnNames, STDIN
from .tables import read_corpus
from .model import SpamClassifier
from .thresholds import choose_threshold, precision_curve
from .paragraphs import SplitMode

Progress = Callable[[str], None]
# Training refuses fewer labeled paragraphs per class than this: no threshold or
# metric means anything below it.
MIN_PER_CLASS = 5


@dataclass
class TrainResult:
    model: SpamClassifier
    metrics: dict
    meta: dict | None


def _corpus(data: Sequence[str] | pd.DataFrame, split: SplitMode, input_format: str,
            columns: ColumnNames | None) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    return read_corpus(list(data), split, input_format, columns)


def describe_corpus(frame: pd.DataFrame, paths: Sequence[str] = ()) -> dict:
    """What a model was trained on: files with checksums and counts per kind and source."""
    return {
        "files": [{"path": str(p), "sha256": sha256_of(Path(p)) if p != STDIN and Path(p).is_file() else None}
                  for p in paths],
        "documents": int(frame["doc_id"].nunique()),
        "paragraphs": int(len(frame)),
        "by_kind": {str(k): int(v) for k, v in frame["kind"].fillna("unlabeled").value_counts().items()},
        "by_source": {str(k): int(v) for k, v in frame["source"].fillna("(none)").value_counts().items()},
    }


def _check_trainable(frame: pd.DataFrame) -> None:
    """Refuse data without at least :data:`MIN_PER_CLASS` labeled paragraphs of each class."""
    counts = {str(k): int(v) for k, v in frame["label"].value_counts().items()}
    if not counts:
        raise DataError(
            "the training data has no labeled paragraphs: give document JSONL with "
            "'paragraphs': [{'text', 'label'}] or a table with a 'label' column (or name it with --label-column)"
        )
    missing = [label for label in ("content", "spam") if counts.get(label, 0) < MIN_PER_CLASS]
    if missing:
        raise DataError(
            f"training needs at least {MIN_PER_CLASS} labeled paragraphs of each class; found {counts}: "
            f"too few {' and '.join(missing)} (label more paragraphs 'content' and some 'spam'/'boilerplate'/'promotion')"
        )


def _conflicting_duplicates(frame: pd.DataFrame) -> tuple[int, list[str]]:
    """Paragraph texts (compared without surrounding space) that occur with both labels:
    how many, and up to three examples cut to 80 characters."""
    labeled = frame.dropna(subset=["label"])
    per_text = labeled.groupby(labeled["text"].str.strip())["label"].nunique()
    both = per_text[per_text > 1]
    return int(len(both)), [t[:80] for t in both.index[:3]]


def _dev_overlap(frame: pd.DataFrame, dev_frame: pd.DataFrame) -> str | None:
    """A warning when documents of the dev set also occur in the training set, else None.

    Documents match by id or, failing that, by identical text (a copy under another id).
    """
    def fingerprints(part: pd.DataFrame) -> pd.Series:
        return part.groupby("doc_id", sort=False)["text"].agg(lambda texts: "\n\n".join(texts))

    shared = set(dev_frame["doc_id"]) & set(frame["doc_id"])
    copies = set(fingerprints(dev_frame)) & set(fingerprints(frame)) - {""}
    count = max(len(shared), len(copies))
    if not count:
        return None
    return (f"{count} dev documents also occur in the training data (same id or same text); "
            "dev metrics and the threshold will be optimistic: use documents (better: sites) not trained on")


def train(
    data: Sequence[str] | pd.DataFrame,
    output: str | Path | None = None,
    dev: Sequence[str] | pd.DataFrame | None = None,
    seed: int = 0,
    min_precision: float | None = None,
    split: SplitMode = "blank",
    input_format: str = "auto",
    columns: ColumnNames | None = None,
    progress: Progress | None = None,
    **params,
) -> TrainResult:
    """Train a :class:`SpamClassifier` on labeled corpora and optionally save it to ``output``.

    The threshold and reported metrics come from ``dev`` when given, else from
    out-of-fold scores of the training documents (cross-validation grouped by source when
    the corpora name several sources, else by document). ``params`` are passed to :class:`SpamClassifier`.
    """
    say = progress or (lambda message: None)
    started = time.perf_counter()
    frame = _corpus(data, split, input_format, columns)
    say(f"read {len(frame):,} paragraphs in {frame['doc_id'].nunique():,} documents")
    _check_trainable(frame)
    conflicts, examples = _conflicting_duplicates(frame)
    warnings_seen = []
    if conflicts:
        message = f"{conflicts} paragraph texts occur with both labels, e.g. {examples}"
        warnings.warn(message, stacklevel=2)
        warnings_seen.append(message)
    dev_frame = _corpus(dev, split, input_format, columns) if dev is not None else None
    if dev_frame is not None:
        message = _dev_overlap(frame, dev_frame)
        if message:
            warnings.warn(message, stacklevel=2)
            warnings_seen.append(message)
    model = SpamClassifier(seed=seed, min_precision=min_precision, **params)
    say("fitting the model")
    model.fit(frame, frame["label"].to_numpy())
    if dev_frame is not None:
        scores = model.score_paragraphs(dev_frame)
        labeled = dev_frame["label"].notna().to_numpy()
        dev_labels = dev_frame["label"].to_numpy()[labeled]
        model.threshold_ = choose_threshold(dev_labels, scores[labeled], min_precision, model.threshold_maximises_)
        model.precision_curve_ = precision_curve(dev_labels, scores[labeled])
        metrics = evaluate_frame(dev_frame, scores, model.threshold_)
        metrics["on"] = "dev"
    elif model.cv_scores_ is not None:
        rows, scores = model.cv_scores_
        metrics = evaluate_frame(frame.iloc[rows], scores, model.threshold_)
        metrics["on"] = model.cv_scores_on_
    else:
        metrics = {"on": model.cv_scores_on_}
    say(f"trained in {time.perf_counter() - started:.1f}s, threshold {model.threshold_:.3f}")
    if model.promotion_detector_ is not None:
        detector = model.promotion_detector_
        say(f"promotion detector trained: it flags n-gram log-odds from {detector.cut:+.2f}"
            + (f", lower in {len(detector.language_cuts)} languages" if detector.language_cuts else ""))
    elif model.promotion_false_positives is not None and (frame["kind"] == "promotion").any():
        message = (f"no promotion detector: no language of the promotion paragraphs has {model.promotion_min_editorial} "
                   "editorial paragraphs in the sources holding promotion to learn against")
        warnings.warn(message, stacklevel=2)
        warnings_seen.append(message)
    training = describe_corpus(frame, data if not isinstance(data, pd.DataFrame) else ())
    training["warnings"] = warnings_seen
    training["seconds"] = round(time.perf_counter() - started, 1)
    meta = save_model(model, output, training, metrics) if output is not None else None
    return TrainResult(model, metrics, meta)


def evaluate(
    data: Sequence[str] | pd.DataFrame,
    model: SpamClassifier,
    threshold: float | None = None,
    split: SplitMode = "blank",
    input_format: str = "auto",
    columns: ColumnNames | None = None,
) -> dict:
    """Metrics of ``model`` on labeled corpora, overall and by ``source`` and ``kind``."""
    frame = _corpus(data, split, input_format, columns)
    if frame["label"].notna().sum() == 0:
        raise DataError("the evaluation data has no labeled paragraphs")
    scores = model.score_paragraphs(frame)
    return evaluate_frame(frame, scores, model.threshold_ if threshold is None else threshold)
