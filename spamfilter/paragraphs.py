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

# A paragraph break is a run of whitespace that contains a blank line ("blank") or any
# line break ("lines"): its core. Splitting on cores (the pattern starts with a literal
# newline, so the regex engine jumps between newlines at C speed) and moving each piece's
# surrounding whitespace into the separators gives paragraphs that never start or end
# with whitespace.
_CORES = {"blank": re.compile(r"(\n[^\S\n]*\n)"), "lines": re.compile(r"(\n)")}


def segment(text: str, mode: SplitMode = "blank") -> tuple[str, list[tuple[str, str]]]:
    """Split ``text`` into ``(prefix, [(paragraph, separator_after), ...])``.

    ``join_segments`` of the result returns ``text`` unchanged.
    """
    chunks = _CORES[mode].split(text)  # piece, core, piece, core, ..., piece
    pieces: list[tuple[str, str]] = []
    prefix = whitespace = ""  # whitespace seen since the last paragraph
    for i in range(0, len(chunks), 2):
        chunk = chunks[i]
        body = chunk.strip()
        core = chunks[i + 1] if i + 1 < len(chunks) else ""
        if not body:
            whitespace += chunk + core
            continue
        lead = chunk[:len(chunk) - len(chunk.lstrip())]
        if pieces:
            pieces[-1] = (pieces[-1][0], pieces[-1][1] + whitespace + lead)
        else:
            prefix = whitespace + lead
        pieces.append((body, chunk[len(lead) + len(body):] + core))
        whitespace = ""
    if pieces:  # a trailing separator that holds no further paragraph belongs to the last one
        pieces[-1] = (pieces[-1][0], pieces[-1][1] + whitespace)
    else:
        prefix = whitespace
    return prefix, pieces


def split_paragraphs(text: str, mode: SplitMode = "blank") -> list[str]:
    """Paragraphs of ``text``: split on blank lines (``blank``) or on every line (``lines``).

    The paragraphs of :func:`segment`, without the separators that restoring needs."""
    return [paragraph for paragraph in map(str.strip, _CORES[mode].split(text)[::2]) if paragraph]


def join_segments(prefix: str, pieces: list[tuple[str, str]]) -> str:
    """Inverse of :func:`segment`."""
    return prefix + "".join(paragraph + sep for paragraph, sep in pieces)
