"""Obfuscation variants of promotion paragraphs (homoglyphs, full-width, zero-width, ...).

Every function takes ``(text, rng)`` with ``rng`` a ``random.Random`` and returns the
disguised text; all randomness comes from ``rng``, so output is deterministic from the
seed. Each disguise is one that ``spamfilter.normalize.normalize_text`` folds back
(tested in ``tests/test_normalize.py``):

* ``homoglyph``   Latin letters -> Cyrillic/Greek look-alikes; every word keeps at least
                  one Latin letter (the normaliser folds look-alikes only in such words).
* ``fullwidth``   ASCII -> full-width forms (U+FF01..U+FF5E), NFKC folds them.
* ``zero_width``  zero-width spaces/joiners inserted inside words.
* ``spaced``      1-3 consecutive words spaced out ("F R E E   S P I N S"), words of
                  the span (and the span from its neighbours) separated by three spaces.
* ``leet``        a/e/i/o/s/t -> 4/3/1/0/5/7 inside words, always leaving a digit
                  between two letters ("c4s1n0").
* ``punct``       repeated punctuation ("!!!", "???").
* ``caps``        ALL CAPS.
* ``caps_punct``  both of the above.

Usage from other scripts: ``variants(record, rng, k)`` returns ``k`` obfuscated copies of
a promotion record; each keeps ``category``, ``family`` and ``lang``, records
``obfuscation`` and the original's id in ``source_id``.
"""

from __future__ import annotations

import random
import re

_WORD = re.compile(r"\w+")

# Look-alikes chosen so that casefold + the normaliser's table map them back.
_HOMOGLYPHS = {
    "a": "аα", "c": "с", "d": "ԁ", "e": "еε", "h": "һ", "i": "іι", "j": "ј", "k": "κ",
    "o": "оο", "p": "рρ", "q": "ԛ", "s": "ѕ", "u": "υ", "v": "ν", "w": "ԝ", "x": "хχ", "y": "у",
    "A": "АΑ", "B": "ВΒ", "C": "С", "E": "ЕΕ", "H": "Н", "I": "ІΙ", "J": "Ј", "K": "КΚ",
    "M": "М", "O": "ОΟ", "P": "РΡ", "S": "Ѕ", "T": "ТΤ", "X": "ХΧ", "Y": "У", "Z": "Ζ",
}
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7",
         "A": "4", "E": "3", "I": "1", "O": "0", "S": "5", "T": "7"}
_LEET_OK = re.compile(r"[^\W\d_][013457]+[^\W\d_]")
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def homoglyph(text: str, rng: random.Random) -> str:
    """Replace ~40% of replaceable Latin letters, keeping one Latin letter per word."""
    def word(m: re.Match) -> str:
        chars = list(m.group())
        slots = [i for i, c in enumerate(chars) if c in _HOMOGLYPHS]
        latin = sum(1 for c in chars if c.isascii() and c.isalpha())
        if len(chars) < 2 or not slots:
            return m.group()
        rng.shuffle(slots)
        budget = min(len(slots), latin - 1, max(1, round(0.4 * len(slots))))
        for i in slots[:budget]:
            chars[i] = rng.choice(_HOMOGLYPHS[chars[i]])
        return "".join(chars)
    return _WORD.sub(word, text)


def fullwidth(text: str, rng: random.Random) -> str:
    """Full-width forms for ASCII, either the whole text or its first 1-4 words."""
    def conv(s: str) -> str:
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)
    if rng.random() < 0.5:
        return conv(text)
    parts = text.split(" ")
    n = rng.randint(1, min(4, len(parts)))
    return " ".join([conv(p) for p in parts[:n]] + parts[n:])


def zero_width(text: str, rng: random.Random) -> str:
    """Insert invisible characters after ~30% of the letters."""
    out = []
    for c in text:
        out.append(c)
        if c.isalnum() and rng.random() < 0.3:
            out.append(rng.choice(_ZERO_WIDTH))
    return "".join(out)


def spaced(text: str, rng: random.Random) -> str:
    """Space out the letters of 1-3 consecutive alphabetic words ("F R E E   S P I N S")."""
    tokens = text.split(" ")
    ok = [i for i, t in enumerate(tokens) if t.isalpha() and 3 <= len(t) <= 12]
    if not ok:
        return text
    start = rng.choice(ok)
    end = start
    while end + 1 < len(tokens) and end - start < 2 and tokens[end + 1].isalpha() and len(tokens[end + 1]) >= 3:
        end += 1
    span = "   ".join(" ".join(tok) for tok in tokens[start:end + 1])
    # Three spaces around the span too, so a one-letter neighbour ("a") is not glued on.
    return "   ".join(x for x in (" ".join(tokens[:start]), span, " ".join(tokens[end + 1:])) if x)


def leet(text: str, rng: random.Random) -> str:
    """Leetspeak digits in ~half of the ASCII words of >= 4 letters; at least one word."""
    def conv(w: str) -> str:
        chars = list(w)
        for i in range(1, len(chars)):
            if chars[i] in _LEET and rng.random() < 0.7:
                chars[i] = _LEET[chars[i]]
        new = "".join(chars)
        return new if _LEET_OK.search(new) else w
    words = [m for m in _WORD.finditer(text) if m.group().isascii() and m.group().isalpha() and len(m.group()) >= 4]
    if not words:
        return text
    chosen = {id(m) for m in words if rng.random() < 0.5} or {id(rng.choice(words))}
    out, pos = [], 0
    for m in words:
        if id(m) in chosen:
            out.append(text[pos:m.start()])
            out.append(conv(m.group()))
            pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def punct(text: str, rng: random.Random) -> str:
    """Repeat existing ! and ? marks; texts of >= 12 chars also get a "!!!" tail."""
    text = re.sub(r"[!?]", lambda m: m.group() * rng.randint(2, 5), text)
    if len(text) < 12:
        return text
    return text.rstrip(".") + "!" * rng.randint(2, 6)


def caps(text: str, rng: random.Random) -> str:
    """ALL CAPS."""
    return text.upper()


def caps_punct(text: str, rng: random.Random) -> str:
    """ALL CAPS plus repeated punctuation."""
    return punct(text.upper(), rng)


OBFUSCATIONS = {
    "homoglyph": homoglyph,
    "fullwidth": fullwidth,
    "zero_width": zero_width,
    "spaced": spaced,
    "leet": leet,
    "punct": punct,
    "caps": caps,
    "caps_punct": caps_punct,
}


def variants(record: dict, rng: random.Random, k: int = 1) -> list[dict]:
    """Return ``k`` obfuscated copies of a promotion record (distinct methods when possible)."""
    names = sorted(OBFUSCATIONS)
    rng.shuffle(names)
    out = []
    for name in names[:k]:
        text = OBFUSCATIONS[name](record["text"], rng)
        if text == record["text"]:
            continue
        out.append({
            "id": f"{record['id']}~{name}",
            "text": text,
            "category": record["category"],
            "family": record["family"],
            "lang": record["lang"],
            "obfuscation": name,
            "source_id": record["id"],
        })
    return out
