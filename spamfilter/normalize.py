"""Unicode normalisation applied before n-gram features.

Obfuscated promotion ("ＦＲＥＥ", "c4sino", zero-width joiners, Cyrillic look-alikes)
must map onto the same n-grams as its plain form, so the model learns one
pattern instead of one per disguise. Everything here is table-driven
(``str.translate``, precompiled regexes) because it runs on every paragraph.
"""

from __future__ import annotations

import re
import unicodedata

# Zero-width and invisible formatting characters that obfuscators insert between letters.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"))
_WHITESPACE_RUN = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Return the canonical form of ``text`` that features are computed on."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_INVISIBLE)
    return _WHITESPACE_RUN.sub(" ", text).strip()
