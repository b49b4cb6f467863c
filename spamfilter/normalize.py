"""Unicode normalisation applied before n-gram features.

Obfuscated promotion ("ＦＲＥＥ", "c4s1n0", zero-width joiners, Cyrillic look-alikes,
"F R E E  S P I N S", "!!!!") must map onto the same n-grams as its plain form, so
the model learns one pattern instead of one per disguise. Everything here is
table-driven (``str.translate``, precompiled regexes): it runs on every paragraph.

Steps of :func:`normalize_text`, in this order (the order matters for idempotence):

1. remove zero-width / invisible formatting characters;
2. NFKC (full-width and mathematical letters -> ASCII), casefold, NFKC again;
3. join spaced-out letters: a run of >= 3 single letters separated by single
   whitespace ("f r e e") becomes one word; runs separated by 2+ spaces stay
   separate words ("f r e e  s p i n s" -> "free spins");
4. collapse whitespace (and NUL) to single spaces and strip;
5. collapse runs of one repeated punctuation mark ("!!!!" -> "!", "...." -> ".");
6. leetspeak: inside a word where a digit run from 0/1/3/4/5/7 sits between two Latin
   letters ("c4s1n0", "fr3e"), those digits become letters; "$" between letters
   becomes "s". Pure numbers and letter+number tokens ("2024", "covid-19",
   "mp3", "5g", "win10") are left alone;
7. homoglyphs: Cyrillic/Greek look-alikes of Latin letters are folded to Latin,
   but only inside words that also contain a Latin letter, so genuine Russian
   or Greek text is untouched ("саsinо" -> "casino", "москва" stays).

If step 6 or 7 changed something, the pipeline is re-run on the result until
nothing changes, which keeps ``normalize_text`` idempotent in corner cases such as
a combining accent that can compose only after folding. Text without
obfuscation never takes that path.

Known limits (deliberate trade-offs): leet digits only at a word's end ("fr33") are not
folded, because "mp3"-like tokens look the same; a word written entirely in look-alikes
("сосо") is not folded, because it cannot be told from genuine Cyrillic; genuine runs
of one-letter words ("a b c", CJK characters separated by spaces) are joined too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from operator import methodcaller

import numpy as np

__all__ = ["normalize_text", "normalize_texts"]

# Zero-width and invisible formatting characters that obfuscators insert between letters.
# (A regex, not str.translate with a dict: translate is ~10x slower on non-ASCII text.)
_INVISIBLE = re.compile(
    "[\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\u034f"
    "\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u202e]+"
)
# >= 3 single letters (no digits, no underscore) separated by one whitespace char,
# not glued to a letter/digit on either side. The hint (a letter between two
# spaces, then a one-letter word) is what every run contains and is cheap to search.
_SPACED_LETTERS = re.compile(r"(?<![^\W_])[^\W\d_](?:\s[^\W\d_]){2,}(?![^\W_])")
_SPACED_HINT = re.compile(r" [^\W\d_] [^\W\d_](?![^\W_])")

# One punctuation mark repeated ("!!!", "???", "....", "$$$", "***").
_PUNCT_CHARS = r"[!?.,;:*~=+#|$_\-•·★☆♥❤]"
_PUNCT_RUN = re.compile("(" + _PUNCT_CHARS + r")\1+")
_THE_MARK = methodcaller("group", 1)  # replacement of a run: a C call, where the template r"\1" is Python code
_PUNCT_HINT = re.compile(_PUNCT_CHARS + "{2}")

# Leetspeak: a Latin letter, a run of leet digits, a Latin letter (so CJK text such as
# "跌破4万" is left alone). The hint starts with a digit (fast scan); then the whole
# Latin/digit word around it is rewritten.
_LATIN = "[a-z\u00df-\u00f6\u00f8-\u024f]"
_LEET_HINT = re.compile(r"[013457](?<=" + _LATIN + r"[013457])[013457]*(?=" + _LATIN + ")")
_LEET_WORD = re.compile(r"(?:" + _LATIN + r"|\d)*" + _LATIN + r"[013457]+" + _LATIN + r"(?:" + _LATIN + r"|\d)*")
_LEET_TABLE = str.maketrans("013457", "oieast")
_DOLLAR_IN_WORD = re.compile(r"\$(?<=[^\W\d_]\$)(?=[^\W\d_])")

# Lower-case Cyrillic/Greek look-alikes (text is already casefolded) -> Latin.
# Greek capital Eta casefolds to eta, which is read as "n" (its lower-case shape);
# Greek nu is read as "v"; Greek mu is ambiguous (m/u) and not folded.
_CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "ь": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "н": "h",
    "і": "i", "ї": "i", "ј": "j", "к": "k", "ӏ": "l", "м": "m", "о": "o", "р": "p", "ԛ": "q",
    "ѕ": "s", "т": "t", "у": "y", "ԝ": "w", "х": "x", "ү": "y",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ζ": "z", "ω": "w",
}
_CONFUSABLE_TABLE = str.maketrans(_CONFUSABLES)
_CONF_CLASS = "[" + "".join(_CONFUSABLES) + "]"
_CONF_CHAR = re.compile(_CONF_CLASS)
_LATIN_CHAR = re.compile(_LATIN)
# A whole \w word that contains both a Latin letter and a confusable.
_MIXED_WORD = re.compile(r"(?<!\w)(?=\w*?" + _LATIN + r")(?=\w*?" + _CONF_CLASS + r")\w+")


def _join_letters(match: re.Match) -> str:
    """'f r e e' -> 'free' (drop the single whitespace between spaced-out letters)."""
    return "".join(match.group().split())


def _unleet(match: re.Match) -> str:
    """'c4s1n0' -> 'casino': translate the leet digits of one mixed word."""
    return match.group().translate(_LEET_TABLE)


def _fold_word(match: re.Match) -> str:
    """'саsinо' -> 'casino': fold look-alikes inside one Latin-containing word."""
    return match.group().translate(_CONFUSABLE_TABLE)


def _case(text: str) -> str:
    """Steps 1-2: what changes characters one by one (``lower`` alone for ASCII text)."""
    if text.isascii():
        return text.lower()
    if not text.isprintable():  # cheap gate: invisible (Cf) chars are not printable
        text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    if _SPACED_HINT.search(text):  # before casefold turns one spaced letter into two ("ß" -> "ss")
        text = _SPACED_LETTERS.sub(_join_letters, text)
    return unicodedata.normalize("NFKC", text.casefold())


def _space(text: str) -> str:
    """Step 4 of a :func:`_case` text (and step 3 where runs of spaces separate words)."""
    if "  " in text or not text.isprintable():  # any whitespace but " " is unprintable
        # NUL separates texts in the batch arrays of the features: read it as a space.
        text = text.replace("\x00", " ")
        # Spaced-out words first, while 2+ spaces still separate them.
        text = _SPACED_LETTERS.sub(_join_letters, text)
        return " ".join(text.split())  # same whitespace set as regex \s; also strips
    return text.strip()


def _tidy(text: str) -> str:
    """Steps 3 and 5 of a folded text: spaced-out letters and runs of one punctuation mark."""
    if _SPACED_HINT.search(text):
        text = _SPACED_LETTERS.sub(_join_letters, text)
    if _PUNCT_HINT.search(text):
        text = _PUNCT_RUN.sub(_THE_MARK, text)
    return text


def _base(text: str) -> str:
    """Steps 1-5: invisible chars, NFKC+casefold, spaced letters, whitespace, punctuation."""
    return _tidy(_space(_case(text)))


def _deobfuscate(text: str) -> str:
    """Steps 6-7: leetspeak digits and homoglyph folding (cheap checks first)."""
    if _LEET_HINT.search(text):
        text = _LEET_WORD.sub(_unleet, text)
    if "$" in text:
        text = _DOLLAR_IN_WORD.sub("s", text)
    if not text.isascii() and _CONF_CHAR.search(text) and _LATIN_CHAR.search(text):
        text = _MIXED_WORD.sub(_fold_word, text)
    return text


def normalize_text(text: str) -> str:
    """Return the canonical form of ``text`` that features are computed on.

    Idempotent: ``normalize_text(normalize_text(x)) == normalize_text(x)``.
    """
    return _settle(_base(text))


def _settle(text: str) -> str:
    """Steps 6-7 of a :func:`_base` text, re-run until they change nothing. A change that
    is not the last one enables the next ("a0а0̀0к" folds one digit per pass). It ends: a
    pass that changes something folds a digit, "$" or look-alike away, and none comes back,
    so there are at most as many passes as characters."""
    for _ in range(len(text) + 1):
        folded = _deobfuscate(text)
        if folded == text:
            break
        text = _base(folded)
    return text


# What the hint regexes look for, as one byte of flags per code point, so a whole batch of
# cased texts is screened with numpy. Each flag over-approximates its regex: a flagged
# text merely takes the exact path. _SPACE and _LEET_DIGIT sit one bit above _ALNUM and
# _LATIN_LETTER, so "a space, then a letter" and "a Latin letter, then a leet digit" are a
# shift and an AND. _CUE marks a character that is a cue on its own: "$", a look-alike, and
# whatever would send a text down the slow branch of step 4 (an unprintable character)
# or is not classified here (anything beyond the Basic Multilingual Plane).
_ALNUM, _SPACE, _LATIN_LETTER, _LEET_DIGIT, _RUN_MARK, _CUE = (np.uint8(1 << bit) for bit in range(6))


def _hint_flags() -> np.ndarray:
    bmp = "".join(map(chr, range(0x10000)))
    flags = np.full(0x110000, _CUE, dtype=np.uint8)
    flags[:0x10000] = (np.fromiter(map(str.isalnum, bmp), dtype=bool, count=0x10000) * _ALNUM
                       | ~np.fromiter(map(str.isprintable, bmp), dtype=bool, count=0x10000) * _CUE)
    flags[ord(" ")] |= _SPACE
    flags[[ord(c) for c in "!?.,;:*~=+#|$_-•·★☆♥❤"]] |= _RUN_MARK
    for lo, hi in (("a", "z"), ("ß", "ö"), ("ø", "ɏ")):
        flags[ord(lo):ord(hi) + 1] |= _LATIN_LETTER
    flags[[ord(c) for c in "013457"]] |= _LEET_DIGIT
    flags[[ord(c) for c in "$" + "".join(_CONFUSABLES)]] |= _CUE
    return flags


_HINT_FLAGS = _hint_flags()


def _cues(cased: list[str]) -> np.ndarray:
    """Per :func:`_case` text, the flags of the cues it may hold: ``_RUN_MARK`` for a run of
    punctuation marks (step 5), other bits for spaced-out letters, leetspeak, a "$" or a
    look-alike letter (steps 3, 6 and 7), a run of spaces or an unprintable character (step
    4's slow branch); 0 for a text that only needs ``strip``."""
    codes = np.frombuffer(("\x00".join(cased) + "\x00").encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    spans = np.fromiter(map(len, cased), dtype=np.int64, count=len(cased)) + 1  # each text and its NUL
    ends = np.cumsum(spans)
    flags = _HINT_FLAGS.take(codes)
    hit = flags & _CUE
    hit[ends - 1] = 0  # the NULs that separate the texts are no cue (a NUL inside one is)
    hit[:-1] |= flags[:-1] & flags[1:] & (_RUN_MARK | _SPACE)  # "!!", "  "
    hit[1:] |= (flags[:-1] << 1) & flags[1:] & _LEET_DIGIT  # "c4"
    # " x y" not followed by a letter or digit, as _SPACED_HINT
    space_alnum = flags[:-1] & (flags[1:] << 1) & _SPACE
    hit[:-4] |= space_alnum[:-3] & space_alnum[2:-1] & (~flags[4:] << 1)
    return np.bitwise_or.reduceat(hit, ends - spans)  # no span is empty


def normalize_texts(texts: Sequence[str]) -> list[str]:
    """:func:`normalize_text` of each text, with the common case settled for the batch at
    once: every text is cased (steps 1-2, C string methods), one vectorised scan finds the
    few that show a cue of steps 3-7 or need more than ``strip`` for step 4, and only
    those take the exact path; the rest are merely stripped.

    A text whose only cue is a run of punctuation marks needs step 5 alone: collapsing a
    run leaves every pair of neighbouring characters one that was there, so it cannot
    make a cue of the other steps."""
    cased = [_case(text) for text in texts]
    normalised = list(map(str.strip, cased))
    if cased:
        cues = _cues(cased)
        for index in np.flatnonzero(cues == _RUN_MARK).tolist():
            normalised[index] = _PUNCT_RUN.sub(_THE_MARK, normalised[index])
        for index in np.flatnonzero(cues & ~_RUN_MARK).tolist():
            normalised[index] = _settle(_tidy(_space(cased[index])))
    return normalised
