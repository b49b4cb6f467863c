"""Removing spam paragraphs from documents, losslessly and in bounded-memory batches.

A document is ``prefix + p0 + s0 + p1 + s1 + ...`` (see :mod:`spamfilter.paragraphs`).
Filtering drops each spam paragraph *together with the separator that follows it*, so
the clean text is ``prefix`` plus the kept ``p_i + s_i`` in order; when the last
paragraphs are removed, the last kept one takes the document's final whitespace (its own
separator is recorded as ``separator_before`` of the first removed one after it). A
removed paragraph is recorded with its index, text, score and separator(s);
:func:`restore` puts the removed pieces back and returns the original text byte for byte.

Three layers, each reusing the one below:

- :class:`Filter`: the Python API (``clean``, ``split``, ``filter_documents``); the model
  loads lazily and a Filter pickles as its model path, so it ships cheaply to workers;
- :func:`process_lines`: one batch of raw JSONL lines -> output, removed and rejected
  lines, counts and the first error (the unit of work of a worker process);
- :func:`run_filter`: files, folders or stdin streamed through ``process_lines`` in one
  process or an order-keeping pool of ``jobs`` processes with a bounded queue.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from .artifact import load_scorer
from .errors import DataError
from .io import (BATCH_PARAGRAPHS, STDIN, atomic_output, detect_format, json_line, loads_json, open_binary,
                 parse_document_line)
from .features import document_batches, document_starts
from .labels import CONTENT, SPAM
from .paragraphs import SPLIT_MODES, SplitMode, join_segments, segment
from .scorer import LinearScorer, probability

if TYPE_CHECKING:
    from .model import SpamClassifier

METADATA_KEY = "spamfilter"
# Rounds of re-scoring kept paragraphs (see Filter._stable_scores); two almost always settle it.
MAX_ROUNDS = 5
ON_ERROR = ("stop", "skip")
# Files a folder run picks up (each optionally .gz).
FOLDER_SUFFIXES = (".txt", ".text", ".jsonl", ".ndjson", ".json")
_BOM = b"\xef\xbb\xbf"
# A batch also ends at this much text: feature extraction needs memory in proportion to
# the characters of a batch (~1.5 KB per input byte), so this bounds peak memory whatever
# the paragraph lengths (256 KB of text -> ~400 MB peak RSS, at full speed).
BATCH_BYTES = 1 << 18


# --------------------------------------------------------------------------- core

@dataclass(frozen=True)
class RemovedParagraph:
    """A removed paragraph and the separator that followed it: enough to put it back."""

    index: int
    text: str
    score: float
    separator: str
    separator_before: str | None = None  # set on the first of the trailing removed paragraphs

    def record(self, doc_id: str) -> dict[str, Any]:
        """The JSON record written to the ``--removed`` file."""
        out = {"doc_id": doc_id, "index": self.index, "text": self.text,
               "score": round(self.score, 6), "separator": self.separator}
        if self.separator_before is not None:
            out["separator_before"] = self.separator_before
        return out


@dataclass
class CleanedText:
    """The outcome of filtering one text."""

    text: str
    paragraphs: int
    removed: list[RemovedParagraph]
    mean_score: float | None

    @property
    def kept(self) -> int:
        return self.paragraphs - len(self.removed)

    @property
    def empty(self) -> bool:
        """True when no paragraph is left (or there was none)."""
        return self.kept == 0

    def metadata(self, model_name: str, split: str, doc_id: str | None = None) -> dict[str, Any]:
        """Per-document metadata stored under :data:`METADATA_KEY`."""
        meta: dict[str, Any] = {} if doc_id is None else {"doc_id": doc_id}
        meta.update(paragraphs=self.paragraphs, kept=self.kept, removed=len(self.removed),
                    mean_score=None if self.mean_score is None else round(self.mean_score, 6),
                    empty=self.empty, model=model_name, split=split)
        return meta


def remove_spam(prefix: str, pieces: Sequence[tuple[str, str]], scores: Sequence[float],
                threshold: float) -> CleanedText:
    """Drop every piece whose score is >= ``threshold`` (with its separator)."""
    kept: list[tuple[str, str]] = []
    removed: list[RemovedParagraph] = []
    last_kept = -1
    for index, ((paragraph, separator), score) in enumerate(zip(pieces, scores)):
        if score >= threshold:
            removed.append(RemovedParagraph(index, paragraph, float(score), separator))
        else:
            kept.append((paragraph, separator))
            last_kept = index
    if 0 <= last_kept < len(pieces) - 1:
        # Trailing paragraphs removed: the last kept one takes the document's final whitespace.
        position = last_kept + 1 - len(kept)  # the first removed paragraph after it
        removed[position] = dataclasses.replace(removed[position], separator_before=kept[-1][1])
        kept[-1] = (kept[-1][0], pieces[-1][1])
    mean = float(sum(scores) / len(scores)) if len(pieces) else None
    return CleanedText(join_segments(prefix, kept), len(pieces), removed, mean)


def restore(clean_text: str, removed_records: Iterable[RemovedParagraph | dict], split: SplitMode = "blank") -> str:
    """The original text from its clean text and its removed paragraphs (records or dicts
    with ``index``, ``text`` and ``separator``), byte for byte. ``split`` must be the mode
    the text was filtered with."""
    removed = sorted((r.index, r.text, r.separator, r.separator_before) if isinstance(r, RemovedParagraph)
                     else (int(r["index"]), r["text"], r["separator"], r.get("separator_before"))
                     for r in removed_records)
    prefix, kept = segment(clean_text, split)
    kept_iter = iter(kept)
    pieces: list[tuple[str, str]] = []
    for index, text, separator, separator_before in removed:
        while len(pieces) < index:
            try:
                pieces.append(next(kept_iter))
            except StopIteration:
                raise ValueError(f"removed paragraph index {index} is beyond the document "
                                 f"({len(pieces)} paragraphs); wrong document or split mode?") from None
        if separator_before is not None and pieces:
            pieces[-1] = (pieces[-1][0], separator_before)
        pieces.append((text, separator))
    pieces.extend(kept_iter)
    return join_segments(prefix, pieces)


# --------------------------------------------------------------------------- Python API

class Filter:
    """Removes spam paragraphs with a model: ``Filter(model=None|path|SpamClassifier|LinearScorer)``.

    ``model=None`` is the shipped default. By default a document is re-scored after each
    removal until nothing more goes (``until_stable``), so cleaning is idempotent. The model loads on first use; a Filter made from
    a path pickles as that path (small), so it can be sent to worker processes.
    """

    def __init__(self, model: SpamClassifier | LinearScorer | str | Path | None = None, threshold: float | None = None,
                 split: SplitMode = "blank", batch_paragraphs: int = BATCH_PARAGRAPHS,
                 batch_bytes: int = BATCH_BYTES, until_stable: bool = True):
        if split not in SPLIT_MODES:
            raise ValueError(f"split must be one of {SPLIT_MODES}, got {split!r}")
        if batch_paragraphs < 1:
            raise ValueError("batch_paragraphs must be at least 1")
        # A fitted SpamClassifier (anything with ``scorer()``) or a LinearScorer is kept in
        # memory: there is no path to reload it from.
        self._in_memory = isinstance(model, LinearScorer) or hasattr(model, "scorer")
        self._model = (model if isinstance(model, LinearScorer) else model.scorer()) if self._in_memory else None
        self.model_path = None if self._in_memory or model is None else str(model)
        self.threshold = threshold
        self.split_mode: SplitMode = split
        self.batch_paragraphs = batch_paragraphs
        self.batch_bytes = batch_bytes
        self.until_stable = until_stable

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        if not self._in_memory:
            state["_model"] = None  # reloaded from the path in the receiving process
        return state

    @property
    def model(self) -> LinearScorer:
        """The model's prediction weights (loaded from ``model_path`` on first use)."""
        if self._model is None:
            self._model = load_scorer(self.model_path)
        return self._model

    @property
    def cut(self) -> float:
        """The threshold in use: the override or the model's own."""
        return self.model.threshold_ if self.threshold is None else self.threshold

    @property
    def model_name(self) -> str:
        return str(getattr(self.model, "metadata_", {}).get("name", "unnamed"))

    def segment_all(self, texts: Iterable[str]) -> list[tuple[str, list[tuple[str, str]]]]:
        """``segment`` of each text with this filter's split mode."""
        return [segment(text, self.split_mode) for text in texts]

    def clean_segmented(self, segmented: Sequence[tuple[str, list[tuple[str, str]]]]) -> list[CleanedText]:
        """Filter already segmented texts (see :func:`spamfilter.paragraphs.segment`)."""
        cut = self.cut
        return [remove_spam(prefix, pieces, scores, cut)
                for (prefix, pieces), scores in zip(segmented, self._stable_scores(segmented))]

    def _stable_scores(self, segmented: Sequence[tuple[str, list[tuple[str, str]]]]) -> list[list[float]]:
        """Each text's paragraph scores, scored in batches of whole texts of about
        ``batch_paragraphs`` paragraphs (texts are separate documents, whatever they say)."""
        starts = np.zeros(len(segmented) + 1, dtype=np.int64)
        np.cumsum([len(pieces) for _, pieces in segmented], out=starts[1:])
        texts = [paragraph for _, pieces in segmented for paragraph, _ in pieces]
        scores = np.zeros(len(texts))
        for first, end, doc_starts in document_batches(starts, self.batch_paragraphs):
            scores[first:end] = self._stable_batch(texts[first:end], doc_starts)
        return [scores[a:b].tolist() for a, b in zip(starts[:-1].tolist(), starts[1:].tolist())]

    def _stable_batch(self, texts: list[str], starts: np.ndarray) -> np.ndarray:
        """P(spam) after re-scoring what is kept until nothing more is removed.

        A paragraph's score depends on its neighbours, so removing spam can expose more:
        each further round scores the kept paragraphs of the documents that changed, as a
        second run on the output would. Removed paragraphs keep the score that removed
        them. What a paragraph contributes alone (n-grams, layout) is computed once and
        reused (:class:`~spamfilter.scorer.ParagraphParts`). With ``until_stable`` off only
        the first round runs (faster, not idempotent).
        """
        scorer, cut = self.model, self.cut
        parts = scorer.paragraph_parts(texts, starts)
        scores = probability(scorer.logits_of_parts(parts, starts))
        doc = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
        changed = np.bincount(doc, weights=scores >= cut, minlength=len(starts) - 1) > 0
        for _ in range(MAX_ROUNDS - 1 if self.until_stable else 0):
            rows = np.flatnonzero(changed[doc] & (scores < cut))
            if len(rows) == 0:
                break
            new = probability(scorer.logits_of_parts(parts.take(rows), document_starts(doc[rows], len(rows))))
            scores[rows] = new
            removed = np.bincount(doc[rows], weights=new >= cut, minlength=len(changed))
            kept = np.bincount(doc[rows], weights=new < cut, minlength=len(changed))
            changed = (removed > 0) & (kept > 0)
        return scores

    def clean_texts(self, texts: Sequence[str]) -> list[CleanedText]:
        """Filter many texts in vectorised batches."""
        return self.clean_segmented(self.segment_all(texts))

    def clean(self, text: str) -> str:
        """``text`` without its spam paragraphs; separators kept as in the input."""
        return self.clean_texts([text])[0].text

    def split(self, text: str) -> list[tuple[str, str, float]]:
        """``(paragraph, label, P(spam))`` for each paragraph of ``text``."""
        pieces = segment(text, self.split_mode)[1]
        scores = self.model.score_texts([p for p, _ in pieces], [0, len(pieces)]).tolist()
        cut = self.cut
        return [(p, SPAM if s >= cut else CONTENT, s) for (p, _), s in zip(pieces, scores)]

    def filter_documents(self, records: Iterable[dict], text_field: str = "text", drop_empty: bool = False,
                         with_removed: bool = False) -> Iterator[dict]:
        """Yield each record (a new dict) with its ``text_field`` cleaned and metadata under
        ``"spamfilter"`` (plus the removed paragraphs when ``with_removed``). Records are
        read lazily, about ``batch_paragraphs`` paragraphs at a time."""
        batch: list[tuple[dict, tuple[str, list]]] = []
        size = chars = 0
        for number, record in enumerate(records, start=1):
            text = record.get(text_field) if isinstance(record, dict) else None
            if not isinstance(text, str):
                raise DataError(f"expected a dict with a string field {text_field!r}, got {str(record)[:80]!r}",
                                source="record", line=number)
            segmented = segment(text, self.split_mode)
            batch.append((record, segmented))
            size += len(segmented[1])
            chars += len(text)
            if size >= self.batch_paragraphs or chars >= self.batch_bytes:
                yield from self._emit(batch, text_field, drop_empty, with_removed)
                batch, size, chars = [], 0, 0
        if batch:
            yield from self._emit(batch, text_field, drop_empty, with_removed)

    def _emit(self, batch, text_field, drop_empty, with_removed) -> Iterator[dict]:
        name = self.model_name
        for (record, _), cleaned in zip(batch, self.clean_segmented([s for _, s in batch])):
            if drop_empty and cleaned.empty:
                continue
            out = dict(record)
            out[text_field] = cleaned.text
            meta = cleaned.metadata(name, self.split_mode, str(record.get("id")) if "id" in record else None)
            if with_removed:
                meta["removed_paragraphs"] = [r.record(meta.get("doc_id")) for r in cleaned.removed]
            out[METADATA_KEY] = meta
            yield out


# --------------------------------------------------------------------------- streaming

@dataclass
class FilterOptions:
    """How raw input is read and what happens to bad lines and empty documents."""

    text_field: str = "text"
    on_error: str = "stop"
    drop_empty: bool = False
    want_removed: bool = True


@dataclass
class FilterStats:
    """Counts of a run; ``to_dict`` adds throughput."""

    documents: int = 0
    paragraphs: int = 0
    kept: int = 0
    removed: int = 0
    dropped_documents: int = 0
    errors: int = 0
    files: int = 0
    batches: int = 0
    max_batch_lines: int = 0
    input_bytes: int = 0
    seconds: float = 0.0

    def add(self, other: "FilterStats") -> None:
        for name in ("documents", "paragraphs", "kept", "removed", "dropped_documents", "errors", "input_bytes"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = asdict(self)
        seconds = max(self.seconds, 1e-9)
        out["seconds"] = round(self.seconds, 3)
        out["paragraphs_per_s"] = round(self.paragraphs / seconds, 1)
        out["documents_per_s"] = round(self.documents / seconds, 1)
        out["mb_per_s"] = round(self.input_bytes / 1e6 / seconds, 3)
        return out


@dataclass
class BatchResult:
    """What one batch of lines produced, ready to be written in order."""

    output: list[bytes] = field(default_factory=list)
    removed: list[bytes] = field(default_factory=list)
    rejected: list[bytes] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    stats: FilterStats = field(default_factory=FilterStats)
    error: str | None = None


def parse_line(raw: bytes, source: str, line: int, text_field: str) -> dict:
    """One raw JSONL line as a record with a string ``text_field``; DataError names source:line."""
    try:
        line_text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"undecodable bytes (not UTF-8) at byte {error.start} of the line; "
                        "re-encode the file as UTF-8 or use --on-error skip", source=source, line=line) from None
    try:
        record = loads_json(line_text)
    except ValueError:
        record = None
    if isinstance(record, dict) and isinstance(record.get(text_field), str):
        return record
    # Let the shared reader word the problem (invalid JSON, not an object, missing field...).
    parse_document_line(line_text, source, line, "blank", text_field)
    raise DataError(f"missing string field {text_field!r}; filter rewrites a text field "
                    "(pre-split 'paragraphs' records are not supported: join them into one text)",
                    source=source, line=line)


def process_lines(flt: Filter, lines: Sequence[tuple[int, bytes]], source: str, options: FilterOptions) -> BatchResult:
    """Filter one batch of raw JSONL lines (``(line_number, bytes)``).

    With ``on_error='stop'`` the first bad line ends the batch with ``error`` set and no
    output; with ``'skip'`` bad lines go to ``rejected`` unchanged and are counted.
    """
    result = BatchResult()
    stats = result.stats
    records: list[tuple[int, dict]] = []
    for number, raw in lines:
        stats.input_bytes += len(raw)
        try:
            records.append((number, parse_line(raw, source, number, options.text_field)))
        except DataError as error:
            if options.on_error == "stop":
                result.error = str(error)
                return result
            stats.errors += 1
            result.rejected.append(raw if raw.endswith(b"\n") else raw + b"\n")
            result.messages.append(str(error))
    segmented = flt.segment_all(record[options.text_field] for _, record in records)
    name = flt.model_name
    source_name = Path(source).name if source != STDIN else "stdin"
    for (number, record), cleaned in zip(records, flt.clean_segmented(segmented)):
        doc_id = str(record["id"]) if "id" in record else f"{source_name}:{number}"
        _count(stats, cleaned)
        if options.want_removed:
            result.removed.extend(json_line(r.record(doc_id)) for r in cleaned.removed)
        if options.drop_empty and cleaned.empty:
            stats.dropped_documents += 1
            continue
        record[options.text_field] = cleaned.text
        record[METADATA_KEY] = cleaned.metadata(name, flt.split_mode, doc_id)
        result.output.append(json_line(record))
    return result


def _count(stats: FilterStats, cleaned: CleanedText) -> None:
    stats.documents += 1
    stats.paragraphs += cleaned.paragraphs
    stats.kept += cleaned.kept
    stats.removed += len(cleaned.removed)


def estimated_paragraphs(raw: bytes, split: SplitMode) -> int:
    """Cheap upper-bound-ish paragraph count of a JSONL line from its escaped newlines."""
    newlines = raw.count(b"\\n")
    return (newlines // 2 if split == "blank" else newlines) + 1


def iter_line_batches(lines: Iterable[bytes], batch_paragraphs: int, split: SplitMode,
                      batch_bytes: int = BATCH_BYTES) -> Iterator[list[tuple[int, bytes]]]:
    """Group raw lines (numbered from 1, blank ones skipped) into batches of about
    ``batch_paragraphs`` estimated paragraphs or ``batch_bytes``; only the current batch is held."""
    batch: list[tuple[int, bytes]] = []
    size = nbytes = 0
    for number, raw in enumerate(lines, start=1):
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM):]
        if not raw.strip():
            continue
        batch.append((number, raw))
        size += estimated_paragraphs(raw, split)
        nbytes += len(raw)
        if size >= batch_paragraphs or nbytes >= batch_bytes:
            yield batch
            batch, size, nbytes = [], 0, 0
    if batch:
        yield batch


def filter_text(flt: Filter, raw: bytes, source: str, options: FilterOptions) -> tuple[BatchResult, str | None]:
    """Filter one plain-text document; returns the batch result and the clean text (None if rejected)."""
    result = BatchResult()
    result.stats.input_bytes = len(raw)
    try:
        text = raw.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError as error:
        message = str(DataError("undecodable bytes (not UTF-8); re-encode the file as UTF-8",
                                source=source, line=raw.count(b"\n", 0, error.start) + 1))
        if options.on_error == "stop":
            result.error = message
        else:
            result.stats.errors += 1
            result.rejected.append(raw)
            result.messages.append(message)
        return result, None
    cleaned = flt.clean_texts([text])[0]
    _count(result.stats, cleaned)
    doc_id = Path(source).name if source != STDIN else "stdin"
    if options.want_removed:
        result.removed.extend(json_line(r.record(doc_id)) for r in cleaned.removed)
    if options.drop_empty and cleaned.empty:
        result.stats.dropped_documents += 1
        return result, None
    return result, cleaned.text


# ------------------------------------------------------------------ worker processes

_WORKER: tuple[Filter, FilterOptions] | None = None


def _init_worker(flt: Filter, options: FilterOptions) -> None:
    global _WORKER
    _WORKER = (flt, options)
    flt.model  # load once per worker, before the first batch  # noqa: B018


def _work(task: tuple[list[tuple[int, bytes]], str]) -> BatchResult:
    flt, options = _WORKER
    return process_lines(flt, task[0], task[1], options)


class BatchRunner:
    """Runs ``process_lines`` over batches in order: in-process (``jobs=1``) or in a pool of
    ``jobs`` processes with at most ``2 * jobs`` batches in flight (bounded memory)."""

    def __init__(self, flt: Filter, options: FilterOptions, jobs: int = 1):
        self.flt, self.options, self.jobs = flt, options, max(1, jobs)
        self._pool = None
        if self.jobs > 1:
            self._pool = multiprocessing.get_context().Pool(self.jobs, _init_worker, (flt, options))

    def map(self, batches: Iterable[list[tuple[int, bytes]]], source: str) -> Iterator[BatchResult]:
        if self._pool is None:
            for batch in batches:
                yield process_lines(self.flt, batch, source, self.options)
            return
        pending: collections.deque = collections.deque()
        for batch in batches:
            pending.append(self._pool.apply_async(_work, ((batch, source),)))
            if len(pending) >= 2 * self.jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> "BatchRunner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --------------------------------------------------------------------------- runs

@dataclass
class Sinks:
    """Where a run writes besides the clean documents (handles may be None)."""

    removed: IO[bytes] | None = None
    rejected: IO[bytes] | None = None
    on_message: Callable[[str], None] = lambda message: None
    on_batch: Callable[[FilterStats], None] = lambda stats: None


def input_kind(path: str, input_format: str) -> str:
    """``text`` or ``jsonl`` for a filter input (stdin defaults to JSONL)."""
    if path == STDIN and input_format == "auto":
        return "jsonl"
    fmt = detect_format(path, input_format)
    if fmt not in ("text", "jsonl"):
        raise DataError(f"filter reads plain text or document JSONL, not {fmt}", source=path)
    return fmt


def plan_outputs(input_path: str, output: str) -> list[tuple[str, str]]:
    """``(input file, output file)`` pairs: one for a file or stdin, one per file of a folder."""
    if input_path == STDIN or not Path(input_path).is_dir():
        if output != STDIN and Path(output).is_dir():
            raise DataError(f"output {output} is a folder; give a file name or '-' for stdout")
        return [(input_path, output)]
    if output == STDIN:
        raise DataError(f"{input_path} is a folder: give an output folder with -o")
    if Path(output).is_file():
        raise DataError(f"{input_path} is a folder but the output {output} is a file; give a folder")
    root = Path(input_path)
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")
                   and (p.name[:-3] if p.name.endswith(".gz") else p.name).endswith(FOLDER_SUFFIXES))
    if not files:
        raise DataError(f"no {', '.join(FOLDER_SUFFIXES)} files (optionally .gz) in the folder", source=input_path)
    return [(str(p), str(Path(output) / p.relative_to(root))) for p in files]


def filter_stream(runner: BatchRunner, path: str, kind: str, out: IO[bytes], sinks: Sinks, stats: FilterStats) -> None:
    """Filter one input into ``out``; raises DataError (after writing only whole batches)."""
    flt, options = runner.flt, runner.options
    with open_binary(path) as handle:
        if kind == "text":
            result, text = filter_text(flt, handle.read(), path, options)
            results: Iterable[BatchResult] = [result]
            if text is not None:
                result.output.append(text.encode("utf-8"))
        else:
            batches = iter_line_batches(handle, flt.batch_paragraphs, flt.split_mode, flt.batch_bytes)

            def counted(batches=batches):
                for batch in batches:
                    stats.batches += 1
                    stats.max_batch_lines = max(stats.max_batch_lines, len(batch))
                    yield batch
            results = runner.map(counted(), path)
        for result in results:
            if result.error is not None:
                raise DataError(result.error + " (nothing of this batch was written; "
                                "use --on-error skip --rejected FILE to set bad lines aside)")
            out.writelines(result.output)
            if sinks.removed is not None:
                sinks.removed.writelines(result.removed)
            if sinks.rejected is not None:
                sinks.rejected.writelines(result.rejected)
            for message in result.messages:
                sinks.on_message(message)
            stats.add(result.stats)
            sinks.on_batch(stats)


def run_filter(input_path: str, output: str, flt: Filter, options: FilterOptions, jobs: int = 1,
               input_format: str = "auto", removed: str | None = None, rejected: str | None = None,
               on_message: Callable[[str], None] = lambda m: None,
               on_batch: Callable[[FilterStats], None] = lambda s: None) -> FilterStats:
    """Filter a file, a folder (one output per input file) or stdin; every file is written
    atomically, so a failed run leaves no complete-looking output for the failing input."""
    started = time.perf_counter()
    stats = FilterStats()
    pairs = plan_outputs(input_path, output)
    kinds = [input_kind(src, input_format) for src, _ in pairs]
    flt.model  # fail on a bad model before creating any file  # noqa: B018
    options.want_removed = removed is not None
    with contextlib.ExitStack() as stack:
        sinks = Sinks(on_message=on_message, on_batch=on_batch)
        if removed is not None:
            sinks.removed = stack.enter_context(atomic_output(removed, binary=True))
        if rejected is not None:
            sinks.rejected = stack.enter_context(atomic_output(rejected, binary=True))
        runner = stack.enter_context(BatchRunner(flt, options, jobs))
        for (src, dst), kind in zip(pairs, kinds):
            with atomic_output(dst, binary=True) as out:
                filter_stream(runner, src, kind, out, sinks, stats)
            stats.files += 1
    stats.seconds = time.perf_counter() - started
    return stats
