"""Which language a document is written in, for the promotion detector's cut per language.

The detector's log-odds for ordinary prose differ by language (its training holds far
more English editorial text than anything else), so one cut is too strict in most other
languages. py3langid (langid.py's model: 97 languages, numpy only) names the language
of a document from its prose; its model loads once per process, on first use (about half
a second and 80 MB).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

# A page's language is read from its paragraphs of PROSE_TOKENS+ tokens (menus and
# bylines are short, and often in another language than the article), up to
# SAMPLE_CHARACTERS characters: enough to be sure, and a bounded cost per document.
PROSE_TOKENS = 10
SAMPLE_CHARACTERS = 1000


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE)


def identify(texts: Sequence[str]) -> list[str]:
    """The ISO 639-1 code of each text's most likely language (e.g. ``"en"``, ``"zh"``)."""
    if not texts:
        return []
    identifier = _identifier()
    return [identifier.classify(text)[0] for text in texts]


def document_languages(texts: Sequence[str], words: np.ndarray, starts: np.ndarray,
                       documents: np.ndarray) -> list[str]:
    """The language of each of ``documents`` (indices of documents beginning at ``starts``,
    whose paragraphs are ``texts`` with ``words`` tokens each), read from its prose
    paragraphs, or from all of them when it has none."""
    samples = []
    for document in documents.tolist():
        first, end = int(starts[document]), int(starts[document + 1])
        prose, size = [], 0
        for row in range(first, end):
            if words[row] >= PROSE_TOKENS and size < SAMPLE_CHARACTERS:
                prose.append(texts[row])
                size += len(texts[row]) + 1
        samples.append("\n".join(prose or texts[first:end])[:SAMPLE_CHARACTERS])
    return identify(samples)


def page_languages(texts: Sequence[str], words: np.ndarray, starts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The language of the page of each of ``rows`` (paragraph indices), each page named
    once (see :func:`document_languages`)."""
    documents, page_of_row = np.unique(np.searchsorted(starts, rows, side="right") - 1, return_inverse=True)
    return np.array(document_languages(texts, words, starts, documents), dtype=object)[page_of_row]
