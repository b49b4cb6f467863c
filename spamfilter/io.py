"""Reading corpora into paragraph tables and writing predictions.

Every input becomes the same thing: a DataFrame of paragraphs in document order with
columns :data:`PARAGRAPH_COLUMNS`. Three kinds of input are understood:

1. plain text (``.txt`` or stdin ``-``): one document, split into paragraphs;
2. document JSONL: ``{"id", "text"}`` (split) or pre-split ``{"id", "paragraphs": [...]}``;
3. paragraph tables (CSV, TSV, Parquet, JSONL) with a ``text`` column and optional
   ``label``, ``doc_id`` and ``position`` columns.

``.gz`` is read transparently. Problems are raised as :class:`DataError` naming the
file and line (or row) and what to change.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import sys
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd

from .errors import DataError
from .labels import KIND_TO_LABEL, parse_kind
from .paragraphs import SplitMode, segment

PARAGRAPH_COLUMNS = ("doc_id", "index", "text", "label", "kind", "source", "lang", "category")
INPUT_FORMATS = ("auto", "text", "jsonl", "csv", "tsv", "parquet")
STDIN = "-"
# Documents are processed in batches of about this many paragraphs: big enough for
# vectorised features, small enough to keep memory flat on any input size.
BATCH_PARAGRAPHS = 20_000


@dataclass
class ColumnNames:
    """Column names of paragraph tables, overridable from the command line."""

    text: str = "text"
    label: str = "label"
    doc_id: str = "doc_id"
    position: str = "position"


@dataclass
class Document:
    """One document: its paragraphs, their labels (None if unlabeled), and the raw record."""

    id: str
    paragraphs: list[str]
    kinds: list[str | None]
    source: str | None = None
    lang: str | None = None
    categories: list[str | None] | None = None
    record: dict[str, Any] = field(default_factory=dict)


def detect_format(path: str, input_format: str = "auto") -> str:
    """The format of ``path`` from ``input_format`` or, when ``auto``, its extension."""
    if input_format != "auto":
        return input_format
    if path == STDIN:
        return "text"
    name = path[:-3] if path.endswith(".gz") else path
    suffix = Path(name).suffix.lower()
    formats = {".txt": "text", ".text": "text", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
               ".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
    if suffix not in formats:
        raise DataError(
            f"cannot tell the format from the extension {suffix or '(none)'!r}; "
            f"use .txt, .jsonl, .csv, .tsv or .parquet (optionally .gz), or pass --input-format",
            source=path,
        )
    return formats[suffix]


def check_readable(path: str) -> None:
    """Raise a DataError unless ``path`` is stdin or an existing regular file."""
    if path == STDIN:
        return
    p = Path(path)
    if not p.exists():
        raise DataError("no such file", source=path)
    if p.is_dir():
        raise DataError("is a directory; expected a file", source=path)


@contextlib.contextmanager
def open_text(path: str) -> Iterator[IO[str]]:
    """Open a file, gzip file or stdin as UTF-8 text; undecodable bytes become U+FFFD."""
    check_readable(path)
    if path == STDIN:
        yield io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="replace", newline="")
        return
    raw: IO[bytes] = gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")
    with raw, io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="") as handle:
        try:
            yield handle
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            raise DataError(f"the gzip stream is truncated or corrupt ({error})", source=path) from error


def _text_document(doc_id: str, text: str, split: SplitMode, record: dict[str, Any] | None = None) -> Document:
    prefix, pieces = segment(text, split)
    paragraphs = [paragraph for paragraph, _ in pieces]
    return Document(doc_id, paragraphs, [None] * len(paragraphs), record=record or {})


def _presplit_document(record: dict[str, Any], doc_id: str, path: str, line: int) -> Document:
    items = record["paragraphs"]
    if not isinstance(items, list):
        raise DataError("'paragraphs' must be a list of objects with a 'text' field", source=path, line=line)
    paragraphs, kinds, categories = [], [], []
    for number, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise DataError(
                f"paragraph {number} must be an object with a string 'text' field, got {str(item)[:60]!r}",
                source=path, line=line,
            )
        try:
            kinds.append(parse_kind(item.get("label")))
        except ValueError as error:
            raise DataError(f"paragraph {number}: {error}", source=path, line=line) from None
        paragraphs.append(item["text"])
        categories.append(item.get("category"))
    return Document(doc_id, paragraphs, kinds, record.get("source"), record.get("lang"), categories, record)


def parse_document_line(line_text: str, path: str, line: int, split: SplitMode, text_field: str = "text") -> Document:
    """One line of document JSONL as a Document; DataError names the line on any problem."""
    try:
        record = json.loads(line_text)
    except json.JSONDecodeError as error:
        raise DataError(f"invalid JSON ({error.msg} at column {error.colno})", source=path, line=line) from None
    if not isinstance(record, dict):
        raise DataError(f"expected a JSON object per line, got {type(record).__name__}", source=path, line=line)
    doc_id = str(record.get("id", f"{Path(path).name}:{line}"))
    if "paragraphs" in record:
        return _presplit_document(record, doc_id, path, line)
    if text_field not in record:
        raise DataError(
            f"missing field {text_field!r} (or 'paragraphs'); fields present: {sorted(record)[:10]}",
            source=path, line=line,
        )
    text = record[text_field]
    if not isinstance(text, str):
        raise DataError(f"field {text_field!r} must be a string, got {type(text).__name__}", source=path, line=line)
    return _text_document(doc_id, text, split, record)


def _is_table_record(record: object, columns: ColumnNames) -> bool:
    return isinstance(record, dict) and "paragraphs" not in record and (
        columns.label in record or columns.doc_id in record
    )


def iter_documents(
    path: str,
    split: SplitMode = "blank",
    input_format: str = "auto",
    columns: ColumnNames | None = None,
    text_field: str = "text",
) -> Iterator[Document]:
    """Stream the documents of one input file (or stdin), in order."""
    columns = columns or ColumnNames()
    fmt = detect_format(path, input_format)
    if fmt == "text":
        with open_text(path) as handle:
            text = handle.read()
        yield _text_document(Path(path).name if path != STDIN else "stdin", text, split)
        return
    if fmt in ("csv", "tsv", "parquet"):
        yield from _table_documents(read_table(path, fmt, columns), path, columns)
        return
    with open_text(path) as handle:
        first = True
        for number, line_text in enumerate(handle, start=1):
            if not line_text.strip():
                continue
            if first:
                first = False
                try:
                    probe = json.loads(line_text)
                except json.JSONDecodeError:
                    probe = None
                if _is_table_record(probe, columns):
                    handle.seek(0)
                    yield from _table_documents(read_table(path, "jsonl", columns), path, columns)
                    return
            yield parse_document_line(line_text, path, number, split, text_field)


def read_table(path: str, fmt: str, columns: ColumnNames) -> pd.DataFrame:
    """A paragraph table with its ``text`` column checked; rows keep the file's order."""
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(path)
        elif fmt == "jsonl":
            frame = pd.read_json(path, lines=True, dtype=False, compression="infer")
        else:
            frame = pd.read_csv(path, sep="\t" if fmt == "tsv" else ",", dtype=str, keep_default_na=False,
                                na_values=[""], compression="infer", encoding_errors="replace")
    except (ValueError, OSError, EOFError, zlib.error) as error:
        raise DataError(f"cannot read as {fmt}: {error}", source=path) from None
    if columns.text not in frame.columns:
        raise DataError(
            f"no text column {columns.text!r}; columns are {list(frame.columns)[:12]} "
            f"(choose one with --text-column)", source=path,
        )
    return frame


def _row_number(fmt_path: str, row: int) -> int:
    """1-based line of a table row as a user sees it (CSV/TSV have a header line)."""
    name = fmt_path[:-3] if fmt_path.endswith(".gz") else fmt_path
    return row + (2 if Path(name).suffix.lower() in (".csv", ".tsv") else 1)


def _table_documents(frame: pd.DataFrame, path: str, columns: ColumnNames) -> Iterator[Document]:
    """Group a paragraph table into documents by ``doc_id`` (each row is its own without one)."""
    texts = frame[columns.text]
    bad = texts.map(lambda value: not isinstance(value, str) and not pd.isna(value))
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise DataError(f"text must be a string, got {texts.iloc[row]!r}", source=path, line=_row_number(path, row))
    texts = texts.fillna("").astype(str)
    if columns.label in frame.columns:
        kinds = []
        for row, value in enumerate(frame[columns.label].tolist()):
            try:
                kinds.append(parse_kind(value))
            except ValueError as error:
                raise DataError(str(error), source=path, line=_row_number(path, row)) from None
    else:
        kinds = [None] * len(frame)
    table = pd.DataFrame({"text": texts.to_numpy(), "kind": kinds, "row": range(len(frame))})
    for name in ("source", "lang", "category"):
        table[name] = frame[name].to_numpy() if name in frame.columns else None
    if columns.doc_id in frame.columns:
        table["doc_id"] = frame[columns.doc_id].astype(str).to_numpy()
        table["position"] = (pd.to_numeric(frame[columns.position], errors="coerce").to_numpy()
                             if columns.position in frame.columns else table["row"])
        table = table.sort_values(["position", "row"], kind="stable")
        groups = table.groupby("doc_id", sort=False)
        order = pd.unique(frame[columns.doc_id].astype(str))
        for doc_id in order:
            part = groups.get_group(doc_id)
            yield _frame_document(str(doc_id), part)
    else:
        for row in range(len(table)):
            yield _frame_document(f"{Path(path).name}:{_row_number(path, row)}", table.iloc[row:row + 1])


def _frame_document(doc_id: str, part: pd.DataFrame) -> Document:
    first = part.iloc[0]
    return Document(doc_id, part["text"].tolist(), part["kind"].tolist(),
                    first["source"], first["lang"], part["category"].tolist())


def documents_to_frame(documents: Iterable[Document]) -> pd.DataFrame:
    """Paragraph table (columns :data:`PARAGRAPH_COLUMNS`) of documents, in order."""
    rows: dict[str, list] = {name: [] for name in PARAGRAPH_COLUMNS}
    for doc in documents:
        n = len(doc.paragraphs)
        rows["doc_id"] += [doc.id] * n
        rows["index"] += range(n)
        rows["text"] += doc.paragraphs
        rows["kind"] += doc.kinds
        rows["label"] += [KIND_TO_LABEL[k] if k else None for k in doc.kinds]
        rows["source"] += [doc.source] * n
        rows["lang"] += [doc.lang] * n
        rows["category"] += doc.categories if doc.categories is not None else [None] * n
    return pd.DataFrame(rows, columns=list(PARAGRAPH_COLUMNS))


def iter_batches(documents: Iterable[Document], batch_paragraphs: int = BATCH_PARAGRAPHS) -> Iterator[list[Document]]:
    """Group documents into lists of about ``batch_paragraphs`` paragraphs (never splitting one)."""
    batch: list[Document] = []
    size = 0
    for doc in documents:
        batch.append(doc)
        size += len(doc.paragraphs)
        if size >= batch_paragraphs:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def read_corpus(paths: Iterable[str], split: SplitMode = "blank", input_format: str = "auto",
                columns: ColumnNames | None = None) -> pd.DataFrame:
    """All paragraphs of the given inputs as one table (for training and evaluation).

    Documents are made unique across files by prefixing ids that repeat.
    """
    frames = []
    for path in paths:
        frame = documents_to_frame(iter_documents(path, split, input_format, columns))
        if frame["source"].isna().all():
            frame["source"] = Path(path).name.split(".")[0] if path != STDIN else "stdin"
        frames.append(frame)
    if not frames:
        raise DataError("no input files given")
    corpus = pd.concat(frames, ignore_index=True)
    return corpus


@contextlib.contextmanager
def atomic_output(path: str, binary: bool = False) -> Iterator[IO]:
    """Write ``path`` through a temporary file in the same folder, fsync, then rename.

    A crash or Ctrl-C mid-write leaves any previous file untouched and no partial file
    under the final name. ``.gz`` paths are gzip-compressed; ``-`` writes to stdout.
    """
    if path == STDIN:
        yield sys.stdout.buffer if binary else sys.stdout
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with open(fd, "wb") as raw:
            stream = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if target.suffix == ".gz" else raw
            handle = stream if binary else io.TextIOWrapper(stream, encoding="utf-8", newline="\n")
            yield handle
            handle.flush()
            if not binary:
                handle.detach()
            if stream is not raw:
                stream.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


OUTPUT_FORMATS = ("jsonl", "csv", "parquet")


def output_format(path: str) -> str:
    """Format of a predictions file from its extension (JSONL for stdout and unknown ones)."""
    name = path[:-3] if path.endswith(".gz") else path
    suffix = Path(name).suffix.lower()
    return {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}.get(suffix, "jsonl")


def write_jsonl(records: Iterable[dict], handle: IO[str]) -> None:
    for record in records:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
