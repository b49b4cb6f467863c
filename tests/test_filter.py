"""The ``filter`` command and the Filter API: lossless removal, streaming, order, bad lines."""

from __future__ import annotations

import gzip
import json
import pickle
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import spamfilter
from spamfilter.cli import app
from spamfilter.errors import DataError
from spamfilter.filtering import (
    Filter, FilterOptions, iter_line_batches, process_lines, remove_spam, restore,
)
from spamfilter.paragraphs import segment

from conftest import BOILERPLATE, EDITORIAL, make_document, write_jsonl

runner = CliRunner()


def page_text(record: dict, separator: str = "\n\n") -> str:
    return separator.join(p["text"] for p in record["paragraphs"])


def documents(n: int, seed: int = 1) -> list[dict]:
    """Document JSONL records with varied separators, whitespace and extra fields."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        separator = rng.choice(["\n\n", "\r\n\r\n", "\n \n\n", "\n\n\n"])
        text = rng.choice(["", " ", "\n"]) + page_text(make_document(f"d{i}", rng), separator) + rng.choice(["", "\n", "  \r\n"])
        out.append({"id": f"d{i}", "text": text, "url": f"http://example.com/{i}", "nested": {"n": i}})
    return out


def filter_cli(*args: str, input: str | None = None):
    """Run ``spamfilter filter`` with a fixed threshold (the tiny model's own is near 1)."""
    return runner.invoke(app, ["filter", "--threshold", "0.5", *args], input=input)


def read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def restore_all(clean: list[dict], removed: list[dict], split: str = "blank") -> list[str]:
    by_doc: dict[str, list[dict]] = {}
    for record in removed:
        by_doc.setdefault(record["doc_id"], []).append(record)
    return [restore(doc["text"], by_doc.get(doc["spamfilter"]["doc_id"], []), split) for doc in clean]


# ----------------------------------------------------------------- lossless removal

CASES = {
    "plain": ("A para.\n\nB para.\n\nC para.", [0, 1, 0]),
    "first removed": ("A para.\n\nB para.\n\nC para.", [1, 0, 0]),
    "last removed": ("  A para.\n\nB para.\n\nC para.\n", [0, 0, 1]),
    "last two removed": ("A.\n\n\nB.\n \nC.\t\n", [0, 1, 1]),
    "all removed": ("\n A.\n\nB.\n", [1, 1]),
    "none removed": ("A.\n\nB.", [0, 0]),
    "crlf": ("\r\nA para.\r\n\r\nB para.\r\n\r\nC para.\r\n", [1, 0, 1]),
    "whitespace only": (" \n\t\n", []),
    "empty": ("", []),
}


@pytest.mark.parametrize("split", ["blank", "lines"])
@pytest.mark.parametrize("name", list(CASES))
def test_restore_round_trip(name, split):
    text, mask = CASES[name]
    prefix, pieces = segment(text, split)
    scores = (mask + [0] * len(pieces))[:len(pieces)]
    cleaned = remove_spam(prefix, pieces, scores, threshold=0.5)
    assert cleaned.kept == len(pieces) - sum(scores)
    records = [r.record("doc") for r in cleaned.removed]
    assert restore(cleaned.text, json.loads(json.dumps(records)), split) == text


def test_clean_text_keeps_separators_and_final_whitespace():
    prefix, pieces = segment("Intro.\r\n\r\nHome\r\n\r\nBody.\r\n\r\nFooter\r\n", "blank")
    cleaned = remove_spam(prefix, pieces, [0, 1, 0, 1], 0.5)
    assert cleaned.text == "Intro.\r\n\r\nBody.\r\n"


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("ab \t\r\n\u00a0\u2028é"), max_size=60),
       seed=st.integers(0, 2**16), split=st.sampled_from(["blank", "lines"]))
def test_restore_round_trip_property(text, seed, split):
    prefix, pieces = segment(text, split)
    rng = random.Random(seed)
    scores = [rng.random() for _ in pieces]
    cleaned = remove_spam(prefix, pieces, scores, threshold=0.5)
    assert restore(cleaned.text, cleaned.removed, split) == text


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=200))
def test_filter_round_trip_on_arbitrary_text(tiny_model_dir, text):
    flt = _tiny_filter(tiny_model_dir, threshold=0.3)
    cleaned = flt.clean_texts([text])[0]
    assert restore(cleaned.text, cleaned.removed, "blank") == text


_FILTERS: dict = {}


def _tiny_filter(model_dir: Path, **kwargs) -> Filter:
    kwargs.setdefault("threshold", 0.5)
    key = (str(model_dir), tuple(sorted(kwargs.items())))
    if key not in _FILTERS:
        _FILTERS[key] = Filter(model_dir, **kwargs)
    return _FILTERS[key]


# ----------------------------------------------------------------- Python API

def test_filter_api(tiny_model_dir):
    flt = spamfilter.Filter(tiny_model_dir, threshold=0.5)
    text = "Home\n\n" + EDITORIAL[0] + "\n\n" + EDITORIAL[1] + "\n\nSubscribe to our newsletter\n"
    labels = [label for _, label, _ in flt.split(text)]
    assert labels == ["spam", "content", "content", "spam"]
    assert flt.clean(text) == EDITORIAL[0] + "\n\n" + EDITORIAL[1] + "\n"
    records = [{"id": "a", "text": text, "keep": [1, 2]}, {"id": "b", "text": "Home"}]
    out = list(flt.filter_documents(records, with_removed=True))
    assert out[0]["keep"] == [1, 2] and out[0]["spamfilter"]["removed"] == 2
    assert restore(out[0]["text"], out[0]["spamfilter"]["removed_paragraphs"]) == text
    assert out[1]["spamfilter"]["empty"] is True
    assert [r["id"] for r in flt.filter_documents(records, drop_empty=True)] == ["a"]


def test_filter_pickles_as_its_path(tiny_model_dir):
    flt = spamfilter.Filter(tiny_model_dir, threshold=0.5)
    flt.model  # loaded  # noqa: B018
    data = pickle.dumps(flt)
    assert len(data) < 2000
    assert pickle.loads(data).clean("Home\n\n" + EDITORIAL[2]) == EDITORIAL[2]


def test_filter_documents_reads_one_batch_at_a_time(tiny_model_dir):
    consumed = []

    def records():
        for i in range(200):
            consumed.append(i)
            yield {"id": str(i), "text": "Home\n\n" + EDITORIAL[i % 8]}  # 2 paragraphs each

    flt = spamfilter.Filter(tiny_model_dir, threshold=0.5, batch_paragraphs=20)
    stream = flt.filter_documents(records())
    next(stream)
    assert len(consumed) == 10  # exactly one batch of 20 paragraphs read so far
    assert sum(1 for _ in stream) == 199


def test_line_batches_are_bounded():
    consumed = []

    def lines():
        for i in range(1000):
            consumed.append(i)
            yield json.dumps({"text": "a\n\nb\n\nc"}).encode() + b"\n"  # 3 paragraphs

    batches = iter_line_batches(lines(), batch_paragraphs=30, split="blank")
    first = next(batches)
    assert len(first) == 10 and len(consumed) == 10
    sizes = [len(b) for b in batches]
    assert max(sizes) == 10 and sum(sizes) == 990


def test_process_lines_stops_on_first_bad_line(tiny_model_dir):
    flt = _tiny_filter(tiny_model_dir)
    lines = [(1, b'{"text": "Home"}\n'), (2, b'{"txt": "x"}\n'), (3, b"\xff\xfe{}\n")]
    result = process_lines(flt, lines, "in.jsonl", FilterOptions())
    assert result.output == [] and result.error.startswith("in.jsonl:2: missing field 'text'")
    skipped = process_lines(flt, lines, "in.jsonl", FilterOptions(on_error="skip"))
    assert len(skipped.output) == 1 and skipped.rejected == [lines[1][1], lines[2][1]]
    assert "in.jsonl:3: undecodable bytes" in skipped.messages[1]


# ----------------------------------------------------------------- command line

def test_cli_filter_round_trip(tmp_path, tiny_model_dir):
    records = documents(60)
    source = write_jsonl(tmp_path / "in.jsonl.gz", records)
    out, removed, stats = tmp_path / "clean.jsonl", tmp_path / "removed.jsonl.gz", tmp_path / "stats.json"
    result = filter_cli(str(source), "-o", str(out), "-m", str(tiny_model_dir), "--removed", str(removed),
                        "--stats", str(stats), "--batch-paragraphs", "50")
    assert result.exit_code == 0, result.output
    clean = read_jsonl(out)
    assert [c["id"] for c in clean] == [r["id"] for r in records]
    assert all(c["url"] == r["url"] and c["nested"] == r["nested"] for c, r in zip(clean, records))
    assert restore_all(clean, read_jsonl(removed)) == [r["text"] for r in records]
    counts = json.loads(stats.read_text())
    assert counts["documents"] == 60 and counts["paragraphs"] == 600 and counts["errors"] == 0
    assert counts["kept"] + counts["removed"] == 600 and counts["removed"] > 0
    assert counts["batches"] > 5 and counts["max_batch_lines"] <= 50  # streamed in small batches
    assert counts["paragraphs_per_s"] > 0 and counts["model"] == "tiny"
    meta = clean[0]["spamfilter"]
    assert set(meta) >= {"paragraphs", "kept", "removed", "mean_score", "model", "empty"}


def test_cli_jobs_keep_order(tmp_path, tiny_model_dir):
    source = write_jsonl(tmp_path / "in.jsonl", documents(120, seed=3))
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.jsonl"
        result = filter_cli(str(source), "-o", str(out), "-m", str(tiny_model_dir), "--jobs", jobs,
                            "--batch-paragraphs", "40")
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert [json.loads(line)["id"] for line in outputs[1].splitlines()] == [f"d{i}" for i in range(120)]


def test_cli_min_precision_reaches_the_worker_processes(tmp_path, tiny_model_dir):
    source = write_jsonl(tmp_path / "in.jsonl", documents(30, seed=4))
    threshold = spamfilter.load_scorer(tiny_model_dir).operating_point(0.9)[0]
    outputs = {}
    for name, option in (("chosen", ["--min-precision", "0.9"]), ("explicit", ["--threshold", str(threshold)])):
        out = tmp_path / f"{name}.jsonl"
        result = runner.invoke(app, ["filter", str(source), "-o", str(out), "-m", str(tiny_model_dir),
                                     "--jobs", "2", *option])
        assert result.exit_code == 0, result.output
        outputs[name] = out.read_bytes()
    assert outputs["chosen"] == outputs["explicit"]
    own = filter_cli(str(source), "-m", str(tiny_model_dir))
    assert own.stdout.encode() != outputs["chosen"]


def test_cli_stops_on_bad_line_without_output(tmp_path, tiny_model_dir):
    lines = [json.dumps(r) for r in documents(5)]
    lines.insert(3, '{"id": "broken", "text": ')
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    out, removed = tmp_path / "clean.jsonl", tmp_path / "removed.jsonl"
    result = filter_cli(str(source), "-o", str(out), "-m", str(tiny_model_dir), "--removed", str(removed))
    assert result.exit_code == 1
    assert f"{source}:4: invalid JSON" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]  # nothing half-written left


def test_cli_skips_bad_lines_to_rejected(tmp_path, tiny_model_dir):
    good = [json.dumps(r).encode() for r in documents(4)]
    bad = [b'{"id": "no text"}', b"\xff\xfe not utf-8", b"[1, 2]"]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join([good[0], bad[0], good[1], bad[1], good[2], bad[2], good[3]]) + b"\n")
    out, rejected, stats = tmp_path / "clean.jsonl", tmp_path / "rejected.jsonl", tmp_path / "stats.json"
    result = filter_cli(str(source), "-o", str(out), "-m", str(tiny_model_dir), "--on-error", "skip",
                        "--rejected", str(rejected), "--stats", str(stats))
    assert result.exit_code == 0, result.output
    assert rejected.read_bytes() == b"\n".join(bad) + b"\n"
    assert len(read_jsonl(out)) == 4
    assert json.loads(stats.read_text())["errors"] == 3
    assert "in.jsonl:4: undecodable bytes" in result.output


def test_cli_stdin_and_drop_empty(tmp_path, tiny_model_dir):
    records = [{"id": "a", "text": "Home\n\nLog in"}, {"id": "b", "text": EDITORIAL[3] + "\n\nHome"}]
    text = "".join(json.dumps(r) + "\n" for r in records)
    out = tmp_path / "out.jsonl"
    kept = filter_cli("-", "-o", str(out), "-m", str(tiny_model_dir), input=text)
    assert kept.exit_code == 0, kept.output
    first, second = read_jsonl(out)
    assert first["text"] == "" and first["spamfilter"]["empty"] is True
    assert second["text"] == EDITORIAL[3]
    dropped = filter_cli("-", "-o", str(out), "-m", str(tiny_model_dir), "--drop-empty", input=text)
    assert dropped.exit_code == 0 and [r["id"] for r in read_jsonl(out)] == ["b"]


def test_cli_text_stdin_to_stdout(tiny_model_dir):
    text = "Home\n\n" + EDITORIAL[4] + "\n\nRead more\n"
    result = filter_cli("--input-format", "text", "-m", str(tiny_model_dir), input=text)
    assert result.exit_code == 0
    assert result.stdout == EDITORIAL[4] + "\n"


def test_cli_folder(tmp_path, tiny_model_dir):
    pages = tmp_path / "pages"
    (pages / "sub").mkdir(parents=True)
    text = "Contact us\r\n\r\n" + EDITORIAL[5] + "\r\n\r\n" + EDITORIAL[6] + "\r\n\r\nHome\r\n"
    (pages / "a.txt").write_bytes(text.encode())
    records = documents(6)
    write_jsonl(pages / "sub" / "b.jsonl.gz", records)
    (pages / "notes.md").write_text("ignored")
    out, removed = tmp_path / "clean", tmp_path / "removed.jsonl"
    result = filter_cli(str(pages), "-o", str(out), "-m", str(tiny_model_dir), "--removed", str(removed), "-j", "2")
    assert result.exit_code == 0, result.output
    assert (out / "a.txt").read_bytes() == (EDITORIAL[5] + "\r\n\r\n" + EDITORIAL[6] + "\r\n").encode()
    clean = read_jsonl(out / "sub" / "b.jsonl.gz")
    removed_records = read_jsonl(removed)
    assert restore_all(clean, [r for r in removed_records if r["doc_id"] != "a.txt"]) == [r["text"] for r in records]
    assert restore((out / "a.txt").read_bytes().decode(), [r for r in removed_records if r["doc_id"] == "a.txt"]) == text
    assert not (out / "notes.md").exists()


def test_cli_usage_errors(tmp_path, tiny_model_dir):
    missing = filter_cli(str(tmp_path / "nope.jsonl"), "-m", str(tiny_model_dir))
    assert missing.exit_code == 1 and "no such file" in missing.output
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.txt").write_text("x")
    to_stdout = filter_cli(str(folder), "-m", str(tiny_model_dir))
    assert to_stdout.exit_code == 1 and "give an output folder with -o" in to_stdout.output
    csv = tmp_path / "t.csv"
    csv.write_text("text\nx\n")
    assert "filter reads plain text or document JSONL" in filter_cli(str(csv), "-m", str(tiny_model_dir)).output


def test_data_error_messages_name_the_fix(tiny_model_dir):
    flt = _tiny_filter(tiny_model_dir)
    with pytest.raises(DataError, match="record:2: expected a dict with a string field 'text'"):
        list(flt.filter_documents([{"text": "a"}, {"body": "b"}]))


def test_boilerplate_fixture_is_removed(tiny_model_dir):
    flt = _tiny_filter(tiny_model_dir)
    cleaned = flt.clean_texts(["\n\n".join(BOILERPLATE[:5])])[0]
    assert cleaned.empty and cleaned.text == ""



def test_cli_filtering_its_own_output_removes_nothing(tmp_path, tiny_model_dir):
    source = write_jsonl(tmp_path / "in.jsonl", documents(30, seed=5))
    once, twice = tmp_path / "once.jsonl", tmp_path / "twice.jsonl"
    assert filter_cli(str(source), "-o", str(once), "-m", str(tiny_model_dir)).exit_code == 0
    assert filter_cli(str(once), "-o", str(twice), "-m", str(tiny_model_dir)).exit_code == 0
    assert [r["text"] for r in read_jsonl(twice)] == [r["text"] for r in read_jsonl(once)]
    assert sum(r["spamfilter"]["removed"] for r in read_jsonl(twice)) == 0
    single = tmp_path / "single.jsonl"
    assert filter_cli(str(source), "-o", str(single), "-m", str(tiny_model_dir), "--single-pass").exit_code == 0
    assert len(read_jsonl(single)) == 30
