"""Readers, label mapping and features (issue #2)."""

import gzip
import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from spamfilter.errors import DataError
from spamfilter.feature_matrix import ParagraphFeatures
from spamfilter.io import ColumnNames, ReadStats, iter_documents
from spamfilter.tables import read_corpus
from spamfilter.labels import KIND_TO_LABEL, parse_kind



def docs(path, **kwargs):
    return list(iter_documents(str(path), **kwargs))


# ------------------------------------------------------------------ labels

@pytest.mark.parametrize("raw, kind, label", [
    ("content", "content", "content"), ("spam", "spam", "spam"),
    ("boilerplate", "boilerplate", "spam"), ("promotion", "promotion", "spam"),
    ("  Promotion \n", "promotion", "spam"), ("CONTENT", "content", "content"),
])
def test_label_words_map_to_binary_label_and_keep_kind(raw, kind, label):
    assert parse_kind(raw) == kind
    assert KIND_TO_LABEL[kind] == label


@pytest.mark.parametrize("raw", [None, float("nan"), "", "null", " None "])
def test_null_labels_are_unlabeled(raw):
    assert parse_kind(raw) is None


def test_unknown_label_is_rejected_with_allowed_words():
    with pytest.raises(ValueError, match=r"unknown label 'ad'; allowed: content, spam, boilerplate, promotion"):
        parse_kind("ad")


def test_null_labels_are_context_not_training_targets(tmp_path):
    record = {"id": "d", "paragraphs": [{"text": "Home", "label": None}, {"text": "Body", "label": "content"},
                                        {"text": "Ad", "label": "promotion"}]}
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(record) + "\n")
    frame = read_corpus([str(path)])
    assert frame["text"].tolist() == ["Home", "Body", "Ad"]
    assert frame["label"].isna().tolist() == [True, False, False]
    assert frame["label"].tolist()[1:] == ["content", "spam"]
    assert frame["kind"].tolist()[1:] == ["content", "promotion"]


# ------------------------------------------------------------------ readers

def test_plain_text_is_one_document(tmp_path):
    path = tmp_path / "page.txt"
    path.write_text("Home\n\nThe article text.\n")
    (doc,) = docs(path)
    assert doc.id == "page.txt" and doc.paragraphs == ["Home", "The article text."]
    assert docs(path, split="lines")[0].paragraphs == ["Home", "The article text."]


def test_stdin_dash_reads_text(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"one\n\ntwo\n")))
    (doc,) = docs("-")
    assert doc.id == "stdin" and doc.paragraphs == ["one", "two"]


def test_document_jsonl_with_text_and_with_paragraphs(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "x\n\ny"}) + "\n\n"
                    + json.dumps({"id": "b", "source": "s", "paragraphs": [{"text": "p", "label": "boilerplate"}]}) + "\n")
    a, b = docs(path)
    assert (a.id, a.paragraphs, a.kinds) == ("a", ["x", "y"], [None, None])
    assert (b.id, b.paragraphs, b.kinds, b.source) == ("b", ["p"], ["boilerplate"], "s")


def test_a_paragraphs_own_language_takes_precedence_over_its_documents(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps({"id": "a", "lang": "en", "paragraphs": [
        {"text": "The council met.", "label": "content"}, {"text": "Gratis Spins!", "label": "promotion", "lang": "de"},
        {"text": "It adjourned.", "label": "content", "lang": None}]}) + "\n")
    assert read_corpus([str(path)])["lang"].tolist() == ["en", "de", "en"]


def test_a_paragraph_language_that_is_not_a_string_is_refused(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps({"id": "a", "paragraphs": [{"text": "x"}, {"text": "y", "lang": 7}]}) + "\n")
    with pytest.raises(DataError, match=r"paragraph 1: 'lang' must be a string or null, got number 7") as error:
        read_corpus([str(path)])
    assert error.value.line == 1 and str(path) in str(error.value)


def test_a_table_keeps_each_rows_language(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"doc_id": ["d", "d"], "text": ["Hallo Welt", "Hello world"], "lang": ["de", "en"]}).to_csv(path, index=False)
    assert read_corpus([str(path)])["lang"].tolist() == ["de", "en"]


TABLE = pd.DataFrame({"doc_id": ["d1", "d1", "d2"], "position": [1, 0, 0],
                      "text": ["second", "first", "other"], "label": ["spam", "content", "content"]})


@pytest.mark.parametrize("name", ["t.csv", "t.tsv", "t.parquet", "t.jsonl", "t.csv.gz", "t.jsonl.gz"])
def test_paragraph_tables_group_by_doc_and_order_by_position(tmp_path, name):
    path = tmp_path / name
    if ".csv" in name:
        TABLE.to_csv(path, index=False)
    elif ".tsv" in name:
        TABLE.to_csv(path, index=False, sep="\t")
    elif ".parquet" in name:
        TABLE.to_parquet(path)
    else:
        TABLE.to_json(path, orient="records", lines=True)
    d1, d2 = docs(path)
    assert (d1.id, d1.paragraphs, d1.kinds) == ("d1", ["first", "second"], ["content", "spam"])
    assert (d2.id, d2.paragraphs) == ("d2", ["other"])


def test_column_overrides(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("body,cls,page,pos\nb,content,p,1\na,spam,p,0\n")
    (doc,) = docs(path, columns=ColumnNames(text="body", label="cls", doc_id="page", position="pos"))
    assert doc.paragraphs == ["a", "b"] and doc.kinds == ["spam", "content"]


def test_table_without_doc_id_has_one_document_per_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("text,label\nx,content\ny,spam\n")
    assert [d.id for d in docs(path)] == ["t.csv:2", "t.csv:3"]


def test_gzip_document_jsonl(tmp_path):
    path = tmp_path / "d.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(json.dumps({"id": "z", "text": "hello"}) + "\n")
    assert docs(path)[0].paragraphs == ["hello"]


def test_repeated_doc_ids_across_files_stay_distinct(tmp_path):
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / name).write_text(json.dumps({"id": "same", "text": "x"}) + "\n")
    frame = read_corpus([str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")])
    assert frame["doc_id"].tolist() == ["same", "b.jsonl/same"]


def test_read_stats_count_replaced_bytes(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"caf\xe9 ok\n\n\xff\xfe end \xef\xbf\xbd")  # 3 invalid bytes; the last is a real U+FFFD
    stats = ReadStats()
    with pytest.warns(UserWarning, match=r"bad.txt: 3 invalid UTF-8 byte sequence\(s\) replaced"):
        (doc,) = docs(path, stats=stats)
    assert stats.decode_errors == 3
    assert doc.paragraphs == ["caf\ufffd ok", "\ufffd\ufffd end \ufffd"]
    with pytest.warns(UserWarning):
        assert read_corpus([str(path)]).attrs["decode_errors"] == 3


# ------------------------------------------------------------------ features

def _frame(texts, doc="d"):
    return pd.DataFrame({"text": texts, "doc_id": [doc] * len(texts)})


def test_feature_shape_and_determinism():
    features = ParagraphFeatures(hash_bits=12).fit(None)
    texts = ["Home", "A sentence of text.", "", "Ünïcödé 中文 😀"]
    first = features.transform(_frame(texts))
    assert first.shape == (4, 2**12 + features.n_features_out_)
    assert (first != features.transform(_frame(texts))).nnz == 0


def test_same_text_same_hashed_columns_across_batches():
    features = ParagraphFeatures(hash_bits=14, groups=("words", "chars")).fit(None)
    alone = features.transform(_frame(["Subscribe to our newsletter"]))
    in_batch = features.transform(_frame(["Other text here", "Subscribe to our newsletter", "x"]))
    assert (alone[0] != in_batch[1]).nnz == 0


def test_same_text_same_columns_in_another_process():
    code = ("from spamfilter.feature_matrix import ParagraphFeatures;"
            "m = ParagraphFeatures(hash_bits=14, groups=('words', 'chars')).fit(None).transform(['Read more here']);"
            "print(sorted(m.indices.tolist()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    here = ParagraphFeatures(hash_bits=14, groups=("words", "chars")).fit(None).transform(["Read more here"])
    assert json.loads(out) == sorted(here.indices.tolist())


def test_empty_label_cell_in_csv_is_unlabeled(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("doc_id,position,text,label\nd1,0,Home,boilerplate\nd1,1,Text.,content\nd1,2,Print,\n")
    frame = read_corpus([str(path)])
    assert frame["label"].tolist()[:2] == ["spam", "content"]
    assert frame["kind"].tolist()[:2] == ["boilerplate", "content"]
    assert frame["label"].isna().tolist() == [False, False, True]
