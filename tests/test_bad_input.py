"""Whatever the web produced: bad files, bad training data, odd paragraphs (issue #6)."""

import gzip
import json
import time

import pandas as pd
import pytest
from typer.testing import CliRunner

import spamfilter
from spamfilter.cli import app
from spamfilter.errors import DataError
from spamfilter.io import ReadStats, iter_documents
from spamfilter.tables import read_corpus
from spamfilter.prediction import predict_rows

from conftest import TINY_PARAMS

runner = CliRunner()


def docs(path, **kwargs):
    return list(iter_documents(str(path), **kwargs))


def predict(model_dir, path, *args):
    return runner.invoke(app, ["predict", str(path), "-m", str(model_dir), *map(str, args)])


# ------------------------------------------------------------------ files

def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nope.jsonl: no such file \(check the path\)"):
        docs(tmp_path / "nope.jsonl")


def test_directory_instead_of_file(tmp_path):
    (tmp_path / "d.jsonl").mkdir()
    with pytest.raises(DataError, match="d.jsonl: is a directory; expected a file"):
        docs(tmp_path / "d.jsonl")


@pytest.mark.parametrize("name", ["e.txt", "e.jsonl", "e.csv", "e.parquet", "e.jsonl.gz"])
def test_empty_file_has_no_documents_and_warns(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(gzip.compress(b"") if name.endswith(".gz") else b"")
    stats = ReadStats()
    with pytest.warns(UserWarning, match="the file is empty; it holds no documents"):
        assert docs(path, stats=stats) == []
    assert stats.empty_files == 1


def test_truncated_gzip(tmp_path):
    path = tmp_path / "t.jsonl.gz"
    data = gzip.compress("".join(json.dumps({"text": f"line {i} {i * 7919 % 10007}"}) + "\n" for i in range(5000)).encode())
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="t.jsonl.gz: the gzip stream is truncated or corrupt"):
        docs(path)


def test_gzip_content_without_gz_extension(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(gzip.compress(b'{"text": "x"}\n'))
    with pytest.raises(DataError, match="is gzip-compressed but its name does not end in .gz"):
        docs(path)


def test_csv_content_in_jsonl(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text("text,label\nhello,content\n")
    with pytest.raises(DataError, match=r"t.jsonl:1: invalid JSON .* if it is CSV or TSV, give it that extension"):
        docs(path)


def test_jsonl_content_in_csv(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('{"text": "hello", "label": "content"}\n{"text": "x", "label": "spam"}\n')
    with pytest.raises(DataError, match="t.csv: no text column 'text'.*looks like JSON lines"):
        docs(path)


def test_parquet_content_in_csv(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"text": ["a"]}).to_parquet(path)
    with pytest.raises(DataError, match="is a Parquet file, not csv"):
        docs(path)


def test_invalid_utf8_is_replaced_and_counted(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"text,label\ncaf\xe9,content\n\xff,spam\n")
    stats = ReadStats()
    with pytest.warns(UserWarning, match="2 invalid UTF-8 byte sequence"):
        result = docs(path, stats=stats)
    assert [d.paragraphs[0] for d in result] == ["caf\ufffd", "\ufffd"]
    assert stats.decode_errors == 2


def test_bom_crlf_and_nul_bytes(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xef\xbb\xbftext,label\r\na\x00b,content\r\nc,spam\r\n")
    result = docs(path)
    assert [d.paragraphs[0] for d in result] == ["a\x00b", "c"]
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_bytes(b'\xef\xbb\xbf{"text": "x\\r\\n\\r\\ny"}\r\n\r\n{"text": "z\\u0000"}\r\n')
    assert [d.paragraphs for d in docs(jsonl)] == [["x", "y"], ["z\x00"]]


def test_deeply_nested_json_line(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "ok"}\n' + "[" * 100_000 + "\n")
    with pytest.raises(DataError, match="t.jsonl:2: JSON nested too deeply"):
        docs(path)


@pytest.mark.parametrize("line, got", [("5", "number"), ('"s"', "string"), ("null", "null")])
def test_non_object_json_lines(tmp_path, line, got):
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "ok"}\n' + line + "\n")
    with pytest.raises(DataError, match=f"t.jsonl:2: expected a JSON object per line, got {got}"):
        docs(path)


@pytest.mark.parametrize("value, got", [("null", "null"), ("3", "number"), ('["a"]', "list")])
def test_document_text_of_wrong_type(tmp_path, value, got):
    path = tmp_path / "t.jsonl"
    path.write_text('{"id": "a", "text": %s}\n' % value)
    with pytest.raises(DataError, match=f"t.jsonl:1: field 'text' must be a string, got {got}"):
        docs(path)


def test_table_text_null_is_empty_paragraph_other_types_are_errors(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"doc_id": "a", "text": null}\n{"doc_id": "a", "text": "x"}\n')
    assert docs(path)[0].paragraphs == ["", "x"]
    path.write_text('{"doc_id": "a", "text": "x"}\n\n{"doc_id": "a", "text": ["x"]}\n')
    with pytest.raises(DataError, match=r"t.jsonl:3: 'text' must be a string, got list"):
        docs(path)


# ------------------------------------------------------------------ training data

def _table(tmp_path, rows, name="t.csv"):
    path = tmp_path / name
    pd.DataFrame(rows, columns=["doc_id", "text", "label"]).to_csv(path, index=False)
    return str(path)


def _rows(content=10, spam=10):
    return ([(f"d{i % 5}", f"Editorial sentence number {i} about the council budget.", "content") for i in range(content)]
            + [(f"d{i % 5}", f"Menu item {i}", "boilerplate") for i in range(spam)])


@pytest.mark.parametrize("content, spam, missing", [(10, 0, "too few spam"), (3, 10, "too few content")])
def test_too_few_examples_of_a_class(tmp_path, content, spam, missing):
    with pytest.raises(DataError, match=f"at least 5 labeled paragraphs of each class; found .*{missing}"):
        spamfilter.train([_table(tmp_path, _rows(content, spam))], **TINY_PARAMS)


def test_no_label_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("text\na\nb\n")
    with pytest.raises(DataError, match="no labeled paragraphs.*--label-column"):
        spamfilter.train([str(path)])


def test_no_text_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("body,label\na,content\n")
    with pytest.raises(DataError, match=r"t.csv: no text column 'text'; columns are \['body', 'label'\] \(choose one with --text-column\)"):
        spamfilter.train([str(path)])


def test_labels_with_space_and_case_are_normalised(tmp_path):
    rows = [(d, t, f"  {label.upper()} ") for d, t, label in _rows()]
    frame = read_corpus([_table(tmp_path, rows)])
    assert set(frame["label"]) == {"content", "spam"} and set(frame["kind"]) == {"content", "boilerplate"}


def test_conflicting_duplicates_are_counted_with_examples(tmp_path):
    rows = _rows() + [("d9", "Menu item 1", "content"), ("d9", " Menu item 2", "content")]
    with pytest.warns(UserWarning, match=r"2 paragraph texts occur with both labels, e\.g\. \['Menu item 1', 'Menu item 2'\]"):
        result = spamfilter.train([_table(tmp_path, rows)], **TINY_PARAMS)
    assert len(result.model.classes_) == 2


def test_dev_from_training_documents_is_warned(corpus_path):
    with pytest.warns(UserWarning, match="40 dev documents also occur in the training data"):
        spamfilter.train([str(corpus_path)], dev=[str(corpus_path)], **TINY_PARAMS)


def test_cli_training_error_is_one_line(tmp_path):
    result = runner.invoke(app, ["train", _table(tmp_path, _rows(10, 1)), "-o", str(tmp_path / "m")])
    assert result.exit_code == 1
    last = result.stderr.strip().splitlines()[-1]  # after the progress lines
    assert last.startswith("error: training needs at least 5") and "Traceback" not in result.stderr


# ------------------------------------------------------------------ odd paragraphs

ODD = ["", "   ", "\t", "😀🎉🔥", "!!!???...", "https://example.com/a?b=c", "مرحبا بكم في موقعنا",
       "שלום עולם", "这是一个没有空格的中文句子", "e\u0301\u0301\u0301 a\u0308", "\x00", "\ufffd" * 3, "\u200b\u200d"]


def test_odd_paragraphs_get_a_label_and_a_score(tiny_model_dir):
    model = spamfilter.load_model(tiny_model_dir)
    scores = model.predict_proba(ODD)[:, 1]
    assert len(scores) == len(ODD) and ((scores >= 0) & (scores <= 1)).all()
    assert set(model.predict(ODD)) <= {"content", "spam"}


@pytest.mark.slow
def test_fifty_megabyte_paragraph(tiny_model_dir, tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("Home\n\n" + "lorem ipsum dolor sit amet " * 1_900_000 + "\n\nFooter\n")  # ~51 MB
    began = time.perf_counter()
    result = predict(tiny_model_dir, path, "-o", tmp_path / "out.jsonl")
    assert result.exit_code == 0, result.stderr
    assert time.perf_counter() - began < 10
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").open()]
    assert [len(r["text"]) > 50_000_000 for r in rows] == [False, True, False]


@pytest.mark.slow
def test_document_with_100000_one_word_paragraphs(tiny_model_dir):
    model = spamfilter.load_model(tiny_model_dir)
    from spamfilter.io import Document

    doc = Document("big", [f"w{i}" for i in range(100_000)], [None] * 100_000)
    began = time.perf_counter()
    rows = list(predict_rows(model, [doc]))
    assert len(rows) == 100_000 and rows[-1]["index"] == 99_999
    assert time.perf_counter() - began < 10


def test_lone_surrogate_from_a_json_escape_is_scored(tiny_model_dir, tmp_path):
    # json accepts "\ud800" (orjson does not, and the reader falls back); features must cope.
    path = tmp_path / "surrogate.jsonl"
    path.write_text(json.dumps({"id": "d", "text": "Home\n\nbroken \ud800 text here\n\nRead more"}) + "\n")
    scorer = spamfilter.load_scorer(tiny_model_dir)
    rows = list(predict_rows(scorer, iter_documents(str(path))))
    assert [r["text"] for r in rows] == ["Home", "broken \ud800 text here", "Read more"]
    assert all(0.0 <= r["score"] <= 1.0 for r in rows)


def test_lone_surrogate_is_written_escaped_and_reads_back(tiny_model_dir, tmp_path):
    source = tmp_path / "surrogate.jsonl"
    source.write_text(json.dumps({"id": "d", "text": "broken \ud800 text"}) + "\n")
    for command in (["predict", str(source), "-o", str(tmp_path / "p.jsonl")],
                    ["filter", str(source), "-o", str(tmp_path / "c.jsonl"), "--threshold", "1"]):
        result = CliRunner().invoke(app, [*command, "-m", str(tiny_model_dir)])
        assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "p.jsonl").read_bytes())["text"] == "broken \ud800 text"
    assert json.loads((tmp_path / "c.jsonl").read_bytes())["text"] == "broken \ud800 text"
