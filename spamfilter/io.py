"""Reading corpora into paragraph tables and writing predictions.

Every input becomes the same thing: a DataFrame of paragraphs in document order with
columns :data:`PARAGRAPH_COLUMNS`. Three kinds of input are understood:

1. plain text (``.txt`` or stdin ``-``): one document, split into paragraphs;
2. document JSONL: ``{"id", "text"}`` (split) or pre-split ``{"id", "paragraphs": [...]}``
   (each paragraph ``{"text"}`` with optional ``label``, ``category`` and ``lang``, its own
   language, which takes precedence over the document's);
3. paragraph tables (CSV, TSV, Parquet, JSONL) with a ``text`` column and optional
   ``label``, ``doc_id``, ``position``, ``source``, ``lang`` and ``category`` columns.

``.gz`` is read transparently. Problems are raised as :class:`DataError` naming the
file and line (or row) and what to change.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import secrets
import sys
import warnings
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from .errors import DataError
from .features import BATCH_PARAGRAPHS  # one batch size for reading and for features
from .labels import parse_kind
from .paragraphs import SplitMode, split_paragraphs

if TYPE_CHECKING:  # pandas is imported only to read paragraph tables (see spamfilter.tables)
    import pandas as pd

PARAGRAPH_COLUMNS = ("doc_id", "index", "text", "label", "kind", "source", "lang", "category")
INPUT_FORMATS = ("auto", "text", "jsonl", "csv", "tsv", "parquet")
STDIN = "-"


@dataclass
class ColumnNames:
    """Column names of paragraph tables, overridable from the command line."""

    text: str = "text"
    label: str = "label"
    doc_id: str = "doc_id"
    position: str = "position"


@dataclass
class Document:
    """One document: its paragraphs, their labels (None if unlabeled), and the raw record.

    ``lang`` is the document's language; ``langs`` (if given) each paragraph's own, None
    where a paragraph does not say (a promotion injected into a page of another language
    has its own)."""

    id: str
    paragraphs: list[str]
    kinds: list[str | None]
    source: str | None = None
    lang: str | None = None
    categories: list[str | None] | None = None
    record: dict[str, Any] = field(default_factory=dict)
    langs: list[str | None] | None = None


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


@dataclass
class ReadStats:
    """What the readers met: counters a caller passes in and reports afterwards."""

    decode_errors: int = 0  # invalid UTF-8 byte sequences decoded as U+FFFD
    empty_files: int = 0

    def add(self, other: "ReadStats") -> None:
        self.decode_errors += other.decode_errors
        self.empty_files += other.empty_files


BOM = "\ufeff"
_REPLACEMENT_BYTES = "\ufffd".encode("utf-8")
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"


def decode_utf8(data: bytes, stats: ReadStats | None = None) -> str:
    """``data`` as UTF-8; each invalid byte sequence becomes U+FFFD and is counted in ``stats``."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        if stats is not None:
            # U+FFFD that were already in the input (validly encoded) are not errors.
            stats.decode_errors += text.count("\ufffd") - data.count(_REPLACEMENT_BYTES)
        return text


def check_readable(path: str) -> None:
    """Raise a DataError unless ``path`` is stdin or an existing regular file."""
    if path == STDIN:
        return
    p = Path(path)
    if not p.exists():
        raise DataError("no such file (check the path)", source=path)
    if p.is_dir():
        raise DataError("is a directory; expected a file (pass the files inside it)", source=path)


_CORRUPT_GZIP = (EOFError, zlib.error, OSError)


@contextlib.contextmanager
def open_binary(path: str) -> Iterator[IO[bytes]]:
    """Open a file, gzip file (``.gz``) or stdin (``-``) for reading bytes.

    Opening and reading errors (permissions, truncated or corrupt gzip) become
    :class:`DataError` naming the file.
    """
    check_readable(path)
    if path == STDIN:
        yield sys.stdin.buffer
        return
    try:
        raw: IO[bytes] = gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")
    except OSError as error:
        raise DataError(f"cannot open ({error.strerror or error})", source=path) from None
    with raw:
        try:
            yield raw
        except _CORRUPT_GZIP as error:
            if path.endswith(".gz"):
                raise DataError(f"the gzip stream is truncated or corrupt ({error}); "
                                "re-download or re-compress the file", source=path) from error
            raise DataError(f"read error ({error})", source=path) from error


@contextlib.contextmanager
def open_text(path: str, stats: ReadStats | None = None) -> Iterator[IO[str]]:
    """The whole of a file, gzip file or stdin as UTF-8 text (invalid bytes become U+FFFD)."""
    with open_binary(path) as raw:
        data = raw.read()
    yield io.StringIO(strip_bom(decode_utf8(data, stats)), newline="")


def strip_bom(text: str) -> str:
    return text[1:] if text.startswith(BOM) else text


def _sniff(head: bytes, path: str, fmt: str) -> None:
    """Refuse content whose magic bytes contradict the format chosen for it."""
    if head.startswith(_GZIP_MAGIC):
        raise DataError("is gzip-compressed but its name does not end in .gz; rename it to add .gz",
                        source=path)
    if head.startswith(_PARQUET_MAGIC) and fmt != "parquet":
        raise DataError(f"is a Parquet file, not {fmt}; rename it to .parquet or pass --input-format parquet",
                        source=path)


def json_type(value: object) -> str:
    """The JSON name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {list: "list", dict: "object", str: "string"}.get(type(value), type(value).__name__)


def _text_document(doc_id: str, text: str, split: SplitMode, record: dict[str, Any] | None = None) -> Document:
    paragraphs = split_paragraphs(text, split)
    return Document(doc_id, paragraphs, [None] * len(paragraphs), record=record or {})


def _presplit_document(record: dict[str, Any], doc_id: str, path: str, line: int) -> Document:
    items = record["paragraphs"]
    if not isinstance(items, list):
        raise DataError(f"'paragraphs' must be a list of objects with a 'text' field, got {json_type(items)}",
                        source=path, line=line)
    paragraphs, kinds, categories, langs = [], [], [], []
    for number, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            got = (f"'text' is {json_type(item.get('text'))}" if isinstance(item, dict)
                   else f"a {json_type(item)}")
            raise DataError(
                f"paragraph {number} must be an object with a string 'text' field, got {got}: {str(item)[:60]!r}",
                source=path, line=line,
            )
        try:
            kinds.append(parse_kind(item.get("label")))
        except ValueError as error:
            raise DataError(f"paragraph {number}: {error}", source=path, line=line) from None
        lang = item.get("lang")
        if lang is not None and not isinstance(lang, str):
            raise DataError(f"paragraph {number}: 'lang' must be a string or null, got {json_type(lang)} "
                            f"{str(lang)[:40]}", source=path, line=line)
        paragraphs.append(item["text"])
        categories.append(item.get("category"))
        langs.append(lang)
    return Document(doc_id, paragraphs, kinds, record.get("source"), record.get("lang"), categories, record, langs)


def loads_json(text: str) -> object:
    """Parse JSON with orjson (several times faster on the hot path); what orjson refuses
    but the standard library reads (integers over 64 bits) still parses, and a real error
    is raised by ``json`` so its message is the familiar one."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def json_line(record: dict) -> bytes:
    """One JSONL line as UTF-8 bytes (non-ASCII kept), via orjson; what orjson cannot encode
    (integers over 64 bits, lone surrogates) goes through ``json`` with ASCII escapes."""
    try:
        return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return json.dumps(record).encode("ascii") + b"\n"


def load_json_line(line_text: str, path: str, line: int) -> object:
    """One parsed JSON value; DataError (naming the line) when it is not valid JSON."""
    try:
        return loads_json(line_text.lstrip(BOM))
    except json.JSONDecodeError as error:
        hint = ("; the file does not look like JSON lines: if it is CSV or TSV, give it that extension "
                "or pass --input-format csv/tsv") if line == 1 else ""
        raise DataError(f"invalid JSON ({error.msg} at column {error.colno}){hint}", source=path, line=line) from None
    except RecursionError:
        raise DataError("JSON nested too deeply to read; flatten the record", source=path, line=line) from None


def parse_document_line(line_text: str, path: str, line: int, split: SplitMode, text_field: str = "text") -> Document:
    """One line of document JSONL as a Document; DataError names the line on any problem."""
    record = load_json_line(line_text, path, line)
    if not isinstance(record, dict):
        raise DataError(f"expected a JSON object per line, got {json_type(record)}", source=path, line=line)
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
        raise DataError(f"field {text_field!r} must be a string, got {json_type(text)} "
                        f"(use \"\" for an empty document)", source=path, line=line)
    return _text_document(doc_id, text, split, record)


def _is_table_record(record: object, columns: ColumnNames) -> bool:
    return isinstance(record, dict) and "paragraphs" not in record and (
        columns.label in record or columns.doc_id in record
    )


def _warn_read_problems(path: str, stats: ReadStats) -> None:
    if stats.decode_errors:
        warnings.warn(f"{path}: {stats.decode_errors} invalid UTF-8 byte sequence(s) replaced by U+FFFD; "
                      "if the file uses another encoding, convert it (e.g. iconv -f cp1252 -t utf-8)",
                      stacklevel=3)
    if stats.empty_files:
        warnings.warn(f"{path}: the file is empty; it holds no documents", stacklevel=3)


def iter_documents(
    path: str,
    split: SplitMode = "blank",
    input_format: str = "auto",
    columns: ColumnNames | None = None,
    text_field: str = "text",
    stats: ReadStats | None = None,
) -> Iterator[Document]:
    """Stream the documents of one input file (or stdin), in order.

    Invalid UTF-8 is decoded as U+FFFD, never an error: the count is added to ``stats``
    (when given) and reported as a warning once the file is read. An empty file holds
    no documents (also warned).
    """
    columns = columns or ColumnNames()
    check_readable(path)
    fmt = detect_format(path, input_format)
    local = ReadStats()
    try:
        if fmt == "jsonl":
            yield from _jsonl_documents(path, split, columns, text_field, local)
        else:
            frame_or_text = _read_whole(path, fmt, columns, local)
            if isinstance(frame_or_text, str):
                if frame_or_text.strip():
                    yield _text_document(Path(path).name if path != STDIN else "stdin", frame_or_text, split)
            else:
                from .tables import table_documents

                yield from table_documents(frame_or_text, path, columns)
    finally:
        if stats is not None:
            stats.add(local)
    _warn_read_problems(path, local)


def _jsonl_documents(path: str, split: SplitMode, columns: ColumnNames, text_field: str,
                     stats: ReadStats) -> Iterator[Document]:
    """Documents of a JSONL file, streamed line by line (paragraph tables are read whole)."""
    seen_content = False
    with open_binary(path) as handle:
        for number, raw_line in enumerate(handle, start=1):
            if number == 1:
                _sniff(raw_line[:4], path, "jsonl")
            line_text = decode_utf8(raw_line, stats)
            if not line_text.strip(BOM + " \t\r\n\x00"):
                continue
            if not seen_content:
                seen_content = True
                probe = load_json_line(line_text, path, number)
                if _is_table_record(probe, columns):
                    from .tables import jsonl_table, table_documents

                    rest = decode_utf8(handle.read(), stats)
                    lines = [""] * (number - 1) + [line_text] + rest.split("\n")
                    yield from table_documents(jsonl_table(lines, path), path, columns)
                    return
            yield parse_document_line(line_text, path, number, split, text_field)
    if not seen_content:
        stats.empty_files += 1


def _read_whole(path: str, fmt: str, columns: ColumnNames, stats: ReadStats) -> str | pd.DataFrame:
    """A text file's decoded text, or a CSV/TSV/Parquet paragraph table."""
    with open_binary(path) as handle:
        data = handle.read()
    _sniff(data[:4], path, fmt)
    if fmt == "text":
        if not data.strip():
            stats.empty_files += 1
        return strip_bom(decode_utf8(data, stats))
    from .tables import read_table

    if not data.strip():
        stats.empty_files += 1
    return read_table(path, fmt, columns, data, stats)


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


def create_beside(target: Path) -> tuple[int, str]:
    """Create and open a new temporary file in ``target``'s folder, for writing and renaming.

    Its permissions are those ``open()`` gives a new file (0666 less the umask), not
    ``tempfile``'s private 0600: a model or output file written for a pipeline must be
    readable by whoever reads the original."""
    while True:
        temporary = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue
        return fd, str(temporary)


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
    fd, temporary = create_beside(target)
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


def write_jsonl(records: Iterable[dict], handle: IO[bytes]) -> None:
    handle.writelines(map(json_line, records))
