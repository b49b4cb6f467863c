"""Fuzz the corpus readers with hypothesis for a fixed budget.

Every generated file (random bytes, mutated JSONL/CSV, random JSON values, gzip, BOMs,
NULs, invalid UTF-8) under every extension must either read or raise ``DataError``;
anything else is a failure. Prints the number of examples tried and each failure.

    python benchmarks/fuzz_readers.py [--examples 2000] [--seconds 60]
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
import traceback
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spamfilter.errors import DataError
from spamfilter.io import ColumnNames, iter_documents

EXTENSIONS = [".txt", ".jsonl", ".csv", ".tsv", ".parquet", ".jsonl.gz", ".csv.gz", ".txt.gz"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["text", "label", "doc_id", "position", "paragraphs", "id", "source"]) | st.text(max_size=5),
        children, max_size=5),
    max_leaves=12,
)
labels = st.sampled_from(["content", "spam", " Boilerplate ", "PROMOTION", "null", "", "junk"])


def _jsonl(records: list) -> bytes:
    return "\n".join(json.dumps(r, allow_nan=True) for r in records).encode()


structured = st.one_of(
    st.lists(json_values, max_size=5).map(_jsonl),
    st.lists(st.fixed_dictionaries({"doc_id": st.text(max_size=3), "text": st.text(max_size=30) | st.none(),
                                    "label": labels}), max_size=5).map(_jsonl),
    st.lists(st.fixed_dictionaries({"id": st.text(max_size=3), "paragraphs": st.lists(
        st.fixed_dictionaries({"text": st.text(max_size=30), "label": labels}), max_size=4)}), max_size=4).map(_jsonl),
    st.lists(st.tuples(st.text(max_size=20), labels, st.text(max_size=3)), max_size=6).map(
        lambda rows: ("text,label,doc_id\n" + "\n".join(",".join(r) for r in rows)).encode()),
)


@st.composite
def files(draw):
    data = draw(st.one_of(st.binary(max_size=300), structured))
    mutate = draw(st.sampled_from(["none", "bom", "nul", "truncate", "badbyte", "crlf"]))
    if mutate == "bom":
        data = b"\xef\xbb\xbf" + data
    elif mutate == "nul":
        data = data.replace(b",", b"\x00,", 1)
    elif mutate == "truncate" and data:
        data = data[: draw(st.integers(0, len(data)))]
    elif mutate == "badbyte":
        data = data + b"\xff\xc3"
    elif mutate == "crlf":
        data = data.replace(b"\n", b"\r\n")
    extension = draw(st.sampled_from(EXTENSIONS))
    if extension.endswith(".gz") and draw(st.booleans()):
        data = gzip.compress(data)
        if draw(st.booleans()):
            data = data[: max(len(data) - draw(st.integers(1, 20)), 0)]
    return data, extension, draw(st.sampled_from(["blank", "lines"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60.0, help="stop after about this long")
    args = parser.parse_args()
    tried, errors, failures = 0, 0, []
    started = time.perf_counter()
    directory = Path(tempfile.mkdtemp(prefix="fuzz-readers-"))

    @settings(max_examples=args.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(files())
    def probe(case):
        nonlocal tried, errors
        if time.perf_counter() - started > args.seconds:
            return
        data, extension, split = case
        tried += 1
        path = directory / f"case{extension}"
        path.write_bytes(data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for doc in iter_documents(str(path), split, columns=ColumnNames()):
                    assert all(isinstance(p, str) for p in doc.paragraphs)
        except DataError:
            errors += 1
        except Exception as error:  # noqa: BLE001 - the point of fuzzing
            failures.append((extension, data[:120], f"{type(error).__name__}: {error}",
                             traceback.format_exc(limit=-3)))

    probe()
    print(f"examples tried: {tried} in {time.perf_counter() - started:.1f}s; "
          f"read fine: {tried - errors - len(failures)}, DataError: {errors}, failures: {len(failures)}")
    for extension, data, message, trace in failures[:20]:
        print(f"FAIL {extension} {data!r}\n  {message}\n{trace}")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
