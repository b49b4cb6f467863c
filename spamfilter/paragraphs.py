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

# A paragraph break is a run of whitespace that contains a blank line ("blank")
# or any line break ("lines"); the paragraph itself never starts or ends with whitespace.
# The look-behind lets a match start only where a whitespace run starts: without it the
# search retried from every space of a long run without a newline (quadratic: a 1 MB run
# of spaces took minutes); with it every run is scanned once.
_SEPARATORS = {
    "blank": re.compile(r"(?<!\s)\s*\n[^\S\n]*\n\s*"),
    "lines": re.compile(r"(?<!\s)\s*\n\s*"),
}
_LEADING = re.compile(r"\s*")


def segment(text: str, mode: SplitMode = "blank") -> tuple[str, list[tuple[str, str]]]:
    """Split ``text`` into ``(prefix, [(paragraph, separator_after), ...])``.

    ``join_segments`` of the result returns ``text`` unchanged.
    """
    separator = _SEPARATORS[mode]
    prefix = _LEADING.match(text).group()
    pieces: list[tuple[str, str]] = []
    start = len(prefix)
    while start < len(text):
        # find() is a fast memchr: a long last paragraph needs no regex scan at all.
        match = separator.search(text, start) if text.find("\n", start) >= 0 else None
        if match is None:
            body = text[start:].rstrip()
            pieces.append((body, text[start + len(body):]))
            break
        pieces.append((text[start:match.start()], match.group()))
        start = match.end()
    if pieces:
        # A trailing separator that holds no further paragraph belongs to the last one.
        body, sep = pieces[-1]
        tail = body.rstrip()
        pieces[-1] = (tail, body[len(tail):] + sep)
    return prefix, pieces


def split_paragraphs(text: str, mode: SplitMode = "blank") -> list[str]:
    """Paragraphs of ``text``: split on blank lines (``blank``) or on every line (``lines``)."""
    return [paragraph for paragraph, _ in segment(text, mode)[1]]


def join_segments(prefix: str, pieces: list[tuple[str, str]]) -> str:
    """Inverse of :func:`segment`."""
    return prefix + "".join(paragraph + sep for paragraph, sep in pieces)
