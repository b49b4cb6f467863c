"""Splitting documents into paragraphs and joining them back (issue #2)."""

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spamfilter.paragraphs import join_segments, segment, split_paragraphs


def test_blank_mode_splits_on_blank_lines_only():
    text = "Title\nstill title\n\nBody one.\n \t\nBody two."
    assert split_paragraphs(text) == ["Title\nstill title", "Body one.", "Body two."]


def test_lines_mode_splits_on_every_line():
    assert split_paragraphs("a\nb\n\n c \n", "lines") == ["a", "b", "c"]


@pytest.mark.parametrize("text", [
    "", "   ", "\n\n", "one", "  lead\n\nmid\n\n\ntrail  \n\n", "a\r\n\r\nb\r\n", "x\n \ny\n", "\ufeffbom\n\nz",
])
@pytest.mark.parametrize("mode", ["blank", "lines"])
def test_round_trip_is_exact(text, mode):
    assert join_segments(*segment(text, mode)) == text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \t\n\r\x0b\x0c\x1c\x85\u2028\u00a0\u3000\ufeff")), max_size=40),
       st.sampled_from(["blank", "lines"]))
def test_split_paragraphs_are_the_segments_paragraphs(text, mode):
    assert split_paragraphs(text, mode) == [paragraph for paragraph, _ in segment(text, mode)[1]]


_TEXTS = st.text(alphabet=st.sampled_from(list("ab \t\n\r\x0b\x0c\x1c\x85\u2028\u00a0\u3000\ufeff")), max_size=40)
_BREAK = {"blank": r"\s*\n[^\S\n]*\n\s*", "lines": r"\s*\n\s*"}
_CORE = {"blank": r"\n[^\S\n]*\n", "lines": r"\n"}


@settings(max_examples=400, deadline=None)
@given(_TEXTS, st.sampled_from(["blank", "lines"]))
def test_segments_are_maximal_paragraphs_between_whitespace_breaks(text, mode):
    prefix, pieces = segment(text, mode)
    assert join_segments(prefix, pieces) == text
    assert prefix.strip() == ""
    for index, (paragraph, separator) in enumerate(pieces):
        assert paragraph and paragraph == paragraph.strip()
        assert re.search(_CORE[mode], paragraph) is None  # no break inside a paragraph
        if index < len(pieces) - 1:
            assert re.fullmatch(_BREAK[mode], separator)
        else:
            assert separator.strip() == ""


def test_segments_keep_prefix_and_separators():
    prefix, pieces = segment("\n  a\n\n\nb \n", "blank")
    assert prefix == "\n  "
    assert pieces == [("a", "\n\n\n"), ("b", " \n")]


def test_crlf_is_a_line_break_and_is_kept():
    text = "Home\r\nNews\r\n\r\nThe article.\r\n"
    assert split_paragraphs(text, "blank") == ["Home\r\nNews", "The article."]
    assert split_paragraphs(text, "lines") == ["Home", "News", "The article."]
    prefix, pieces = segment(text, "lines")
    assert pieces[1] == ("News", "\r\n\r\n")


def test_empty_and_whitespace_only_have_no_paragraphs():
    assert split_paragraphs("") == []
    assert split_paragraphs(" \n\t\n ") == []


def test_long_whitespace_run_is_linear():
    # A 2 MB run of spaces without a newline used to make the separator regex quadratic.
    text = "start" + " " * 2_000_000 + "end\n\nnext"
    began = time.perf_counter()
    assert split_paragraphs(text) == ["start" + " " * 2_000_000 + "end", "next"]
    assert time.perf_counter() - began < 2
