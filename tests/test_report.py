"""The HTML evaluation report: every section present, every embedded image a real PNG."""

from __future__ import annotations

import base64
import struct
import zlib
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import spamfilter
from spamfilter.cli import app
from spamfilter.errors import DataError
from spamfilter.tables import read_corpus
from spamfilter.report import PLOT_FILES, REPORT_FILE, SECTIONS, WORST, worst_mistakes, write_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class _Page(HTMLParser):
    """Collects h2 headings, image sources and any reference to an outside resource."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.images: list[str] = []
        self.external: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h2":
            self._in_h2 = True
            self.headings.append("")
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            if value and not value.startswith(("data:", "#")):
                self.external.append(value)

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2:
            self.headings[-1] += data


def assert_png(data: bytes) -> None:
    """PNG signature, then an IHDR chunk with a valid CRC and a non-empty size."""
    assert data[:8] == PNG_SIGNATURE
    length, chunk = struct.unpack(">I4s", data[8:16])
    assert chunk == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    assert width > 100 and height > 100
    (crc,) = struct.unpack(">I", data[29:33])
    assert crc == zlib.crc32(data[12:29])


@pytest.fixture(scope="module")
def scored(tiny_model_dir, corpus_path):
    model = spamfilter.load_model(tiny_model_dir)
    frame = read_corpus([str(corpus_path)])
    # The fixture model is perfect on its own corpus; flip a few labels so both mistake
    # tables have rows and the curves are not degenerate.
    frame.loc[[0, 5, 12], "label"] = ["content", "spam", "content"]
    return model, frame, model.score_paragraphs(frame)


def test_report_has_every_section_and_valid_embedded_pngs(scored, tmp_path):
    model, frame, scores = scored
    page = write_report(frame, scores, model.threshold_, tmp_path / "out", model.metadata_)
    assert page == tmp_path / "out" / REPORT_FILE
    parser = _Page()
    parser.feed(page.read_text(encoding="utf-8"))
    assert parser.headings == [heading for _, heading in SECTIONS]
    assert parser.external == []  # opens offline
    assert len(parser.images) == len(PLOT_FILES)
    for source in parser.images:
        prefix = "data:image/png;base64,"
        assert source.startswith(prefix)
        assert_png(base64.b64decode(source[len(prefix):], validate=True))
    for name in PLOT_FILES.values():
        assert_png((tmp_path / "out" / name).read_bytes())
    text = page.read_text(encoding="utf-8")
    assert "alpha" in text and "beta" in text  # per-source rows
    assert "boilerplate" in text  # per-kind rows
    assert frame.loc[0, "text"] in text  # the flipped label shows up as a mistake


def test_worst_mistakes_are_sorted_and_capped(scored):
    model, frame, scores = scored
    false_positives, false_negatives = worst_mistakes(frame, scores, model.threshold_)
    assert (false_positives["label"] == "content").all() and (false_positives["score"] >= model.threshold_).all()
    assert (false_negatives["label"] == "spam").all() and (false_negatives["score"] < model.threshold_).all()
    assert list(false_positives["score"]) == sorted(false_positives["score"], reverse=True)
    assert 0 < len(false_positives) <= WORST and 0 < len(false_negatives) <= WORST
    assert set(false_positives.index) <= set(frame.index)  # rows point back into the scored table
    assert (frame.loc[false_positives.index, "text"] == false_positives["text"]).all()


def test_report_survives_one_class_and_html_in_text(tmp_path):
    frame = pd.DataFrame({
        "doc_id": ["d", "d"], "index": [0, 1], "text": ["<script>alert(1)</script>", "plain"],
        "label": ["content", "content"], "kind": ["content", "content"],
        "source": [None, None], "lang": [None, None], "category": [None, None],
    })
    page = write_report(frame, np.array([0.9, 0.1]), 0.5, tmp_path)
    text = page.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    parser = _Page()
    parser.feed(text)
    assert len(parser.headings) == len(SECTIONS)


def test_report_refuses_unlabeled_data(tmp_path):
    frame = pd.DataFrame({"text": ["a"], "label": [None]})
    with pytest.raises(DataError, match="no labeled paragraphs"):
        write_report(frame, np.array([0.5]), 0.5, tmp_path)


def test_evaluate_command_writes_report(tiny_model_dir, corpus_path, tmp_path):
    result = CliRunner().invoke(app, ["evaluate", str(corpus_path), "--model", str(tiny_model_dir),
                                      "--report", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    assert "content" in result.stdout  # the usual metrics table still printed
    assert (tmp_path / "report" / REPORT_FILE).is_file()
    assert all((tmp_path / "report" / name).is_file() for name in PLOT_FILES.values())
