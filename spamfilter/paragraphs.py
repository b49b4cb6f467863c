"""Splitting a document into paragraphs and joining them back exactly.

A document is seen as ``prefix + p0 + s0 + p1 + s1 + ... + p(n-1) + s(n-1)``
where ``prefix`` is leading whitespace, ``p_i`` a paragraph and ``s_i`` the
whitespace that follows it. Keeping the separators makes filtering lossless:
removed paragraphs can be put back to restore the input byte for byte.
"""

from __future__ import annotations

import re
from typing import Literal

SplitMode = Literal["blank", "lines"]
SPLIT_MODES: tuple[str, ...] = ("blank", "lines")

# A paragraph break is a run of whitespace that contains a blank line ("blank") or
# any line break ("lines"); the paragraph itself never starts or ends with whitespace.
# Breaks are found by jumping from newline to newline with str.find (C speed) and
# matching the pattern anchored at the start of the whitespace run around it, instead
# of a regex scan that tries every character of the text.
_SEPARATORS = {
    "blank": re.compile(r"\s*\n[^\S\n]*\n\s*"),
    "lines": re.compile(r"\s*\n\s*"),
}
_LEADING = re.compile(r"\s*")


def _breaks(text: str, start: int, mode: SplitMode):
    """Paragraph breaks of ``text`` after ``start`` (a non-space character), in order."""
    separator = _SEPARATORS[mode]
    newline = text.find("\n", start)
    while newline != -1:
        # The whitespace run holding this newline begins after the last non-space before
        # it; walking back over that run only keeps the whole split linear.
        run = newline
        while run > start and text[run - 1].isspace():
            run -= 1
        match = separator.match(text, run)
        if match is not None:
            yield match
            start = match.end()
            newline = text.find("\n", start)
        else:
            newline = text.find("\n", newline + 1)


def segment(text: str, mode: SplitMode = "blank") -> tuple[str, list[tuple[str, str]]]:
    """Split ``text`` into ``(prefix, [(paragraph, separator_after), ...])``.

    ``join_segments`` of the result returns ``text`` unchanged.
    """
    prefix = _LEADING.match(text).group()
    pieces: list[tuple[str, str]] = []
    start = len(prefix)
    for match in _breaks(text, start, mode):
        pieces.append((text[start:match.start()], match.group()))
        start = match.end()
    if start < len(text):
        body = text[start:].rstrip()
        pieces.append((body, text[start + len(body):]))
    if pieces:
        # A trailing separator that holds no further paragraph belongs to the last one.
        body, sep = pieces[-1]
        tail = body.rstrip()
        pieces[-1] = (tail, body[len(tail):] + sep)
    return prefix, pieces


# The core of a break: a blank line, or a line break. A break is the whole whitespace run
# around a core, so splitting on cores and stripping the pieces gives the same paragraphs
# as :func:`segment`, faster (the pattern starts with a literal newline).
_CORES = {"blank": re.compile(r"\n[^\S\n]*\n"), "lines": re.compile(r"\n")}


def split_paragraphs(text: str, mode: SplitMode = "blank") -> list[str]:
    """Paragraphs of ``text``: split on blank lines (``blank``) or on every line (``lines``).

    The paragraphs of :func:`segment`, without the separators that restoring needs."""
    return [paragraph for paragraph in map(str.strip, _CORES[mode].split(text)) if paragraph]


def join_segments(prefix: str, pieces: list[tuple[str, str]]) -> str:
    """Inverse of :func:`segment`."""
    return prefix + "".join(paragraph + sep for paragraph, sep in pieces)
