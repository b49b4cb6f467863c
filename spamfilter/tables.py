"""Paragraph tables (CSV, TSV, Parquet, JSONL rows) and whole corpora as pandas frames.

Kept apart from :mod:`spamfilter.io` so that streaming documents (``predict``,
``filter``) never imports pandas: its import alone costs about 0.4 s of start-up.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from .errors import DataError
from .io import (
    BOM,
    PARAGRAPH_COLUMNS,
    STDIN,
    ColumnNames,
    Document,
    ReadStats,
    decode_utf8,
    iter_documents,
    json_type,
    load_json_line,
    open_binary,
    strip_bom,
)
from .labels import KIND_TO_LABEL, parse_kind
from .paragraphs import SplitMode


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def jsonl_table(lines: list[str], path: str) -> pd.DataFrame:
    """A paragraph table from JSON lines; ``attrs['lines']`` maps rows to file lines."""
    records, numbers = [], []
    for number, line_text in enumerate(lines, start=1):
        if not line_text.strip(BOM + " \t\r\n\x00"):
            continue
        record = load_json_line(line_text, path, number)
        if not isinstance(record, dict):
            raise DataError(f"expected a JSON object per line, got {json_type(record)}", source=path, line=number)
        records.append(record)
        numbers.append(number)
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    frame.attrs["lines"] = numbers
    return frame


def read_table(path: str, fmt: str, columns: ColumnNames, data: bytes | None = None,
               stats: ReadStats | None = None) -> pd.DataFrame:
    """A paragraph table with its ``text`` column checked; rows keep the file's order.

    ``data`` is the file's (decompressed) content when already read.
    """
    if data is None:
        with open_binary(path) as handle:
            data = handle.read()
    if not data.strip():
        return pd.DataFrame({columns.text: []}, dtype=object)
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(io.BytesIO(data))
        elif fmt == "jsonl":
            frame = jsonl_table(strip_bom(decode_utf8(data, stats)).split("\n"), path)
        else:
            text = strip_bom(decode_utf8(data, stats))
            frame = pd.read_csv(io.StringIO(text), sep="\t" if fmt == "tsv" else ",", dtype=str,
                                keep_default_na=False, na_values=[""])
    except DataError:
        raise
    except (ValueError, OSError, EOFError, zlib.error) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(f"cannot read as {fmt}: {first}", source=path) from None
    if columns.text not in frame.columns:
        found = [str(c) for c in frame.columns][:12]
        hint = ("; the content looks like JSON lines: give the file a .jsonl extension or pass --input-format jsonl"
                if found and found[0].lstrip().startswith("{") else " (choose one with --text-column)")
        raise DataError(f"no text column {columns.text!r}; columns are {found}{hint}", source=path)
    return frame


def _row_number(fmt_path: str, row: int, frame: pd.DataFrame | None = None) -> int:
    """1-based line of a table row as a user sees it (CSV/TSV have a header line)."""
    if frame is not None and "lines" in frame.attrs and row < len(frame.attrs["lines"]):
        return frame.attrs["lines"][row]
    name = fmt_path[:-3] if fmt_path.endswith(".gz") else fmt_path
    return row + (2 if Path(name).suffix.lower() in (".csv", ".tsv") else 1)


def table_documents(frame: pd.DataFrame, path: str, columns: ColumnNames) -> Iterator[Document]:
    """Group a paragraph table into documents by ``doc_id`` (each row is its own without one).

    A missing or null ``text`` is an empty paragraph (as an empty CSV cell); any other
    non-string is an error naming the row.
    """
    texts = frame[columns.text]
    for row, value in enumerate(texts.tolist()):
        if not isinstance(value, str) and not _is_missing(value):
            raise DataError(f"{columns.text!r} must be a string, got {json_type(value)} {str(value)[:40]!r}",
                            source=path, line=_row_number(path, row, frame))
    texts = texts.map(lambda value: "" if _is_missing(value) else value)
    if columns.label in frame.columns:
        kinds = []
        for row, value in enumerate(frame[columns.label].tolist()):
            try:
                kinds.append(parse_kind(value))
            except ValueError as error:
                raise DataError(str(error), source=path, line=_row_number(path, row, frame)) from None
    else:
        kinds = [None] * len(frame)
    table = pd.DataFrame({"text": texts.to_numpy(dtype=object), "kind": kinds, "row": range(len(frame))})
    for name in ("source", "lang", "category"):
        table[name] = frame[name].to_numpy() if name in frame.columns else None
    if columns.doc_id in frame.columns:
        # A missing id (empty CSV cell, null) is the id "": those rows form one document.
        doc_ids = frame[columns.doc_id].map(lambda value: "" if _is_missing(value) else str(value))
        table["doc_id"] = doc_ids.to_numpy(dtype=object)
        table["position"] = (pd.to_numeric(frame[columns.position], errors="coerce").to_numpy()
                             if columns.position in frame.columns else table["row"])
        table = table.sort_values(["position", "row"], kind="stable")
        groups = table.groupby("doc_id", sort=False)
        order = pd.unique(doc_ids.to_numpy(dtype=object))
        for doc_id in order:
            part = groups.get_group(doc_id)
            yield _frame_document(str(doc_id), part)
    else:
        for row in range(len(table)):
            yield _frame_document(f"{Path(path).name}:{_row_number(path, row, frame)}", table.iloc[row:row + 1])


def _present(value: object) -> object | None:
    """A table cell, with pandas' missing markers (NaN, NA) read as None."""
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _frame_document(doc_id: str, part: pd.DataFrame) -> Document:
    first = part.iloc[0]
    return Document(doc_id, part["text"].tolist(), [_present(k) for k in part["kind"]],
                    _present(first["source"]), _present(first["lang"]), [_present(c) for c in part["category"]],
                    langs=[_present(lang) for lang in part["lang"]])


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
        rows["lang"] += ([doc.lang if lang is None else lang for lang in doc.langs] if doc.langs is not None
                         else [doc.lang] * n)
        rows["category"] += doc.categories if doc.categories is not None else [None] * n
    return pd.DataFrame(rows, columns=list(PARAGRAPH_COLUMNS))


def read_corpus(paths: Iterable[str], split: SplitMode = "blank", input_format: str = "auto",
                columns: ColumnNames | None = None) -> pd.DataFrame:
    """All paragraphs of the given inputs as one table (for training and evaluation).

    ``attrs["decode_errors"]`` counts invalid UTF-8 sequences replaced by U+FFFD and
    ``attrs["empty_files"]`` the empty inputs. A document id already used by an earlier
    file is prefixed with the file name, so documents stay distinct across files.
    """
    frames = []
    stats = ReadStats()
    seen: set[str] = set()
    for path in paths:
        frame = documents_to_frame(iter_documents(path, split, input_format, columns, stats=stats))
        repeated = frame["doc_id"].isin(seen)
        if repeated.any():
            frame.loc[repeated, "doc_id"] = Path(path).name + "/" + frame.loc[repeated, "doc_id"].astype(str)
        seen.update(frame["doc_id"])
        if frame["source"].isna().all():
            frame["source"] = Path(path).name.split(".")[0] if path != STDIN else "stdin"
        frames.append(frame)
    if not frames:
        raise DataError("no input files given")
    corpus = pd.concat(frames, ignore_index=True)
    corpus.attrs["decode_errors"] = stats.decode_errors
    corpus.attrs["empty_files"] = stats.empty_files
    return corpus


