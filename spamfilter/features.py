"""Features of paragraphs in their document, as one sparse matrix.

Six groups, each switchable for ablation:

- ``words``: hashed word unigrams and bigrams of the normalised text;
- ``chars``: hashed character n-grams of the normalised text (language independent);
- ``shapes``: hashed n-grams of the paragraph's shape, each word written as the class of
  its casing ("W" capitalised, "a" lower case, "A" capitals, "9" digits, "C" a run of
  Chinese or Japanese characters; a run of Hangul or Thai is a word) and punctuation kept: "Home | About us" is ``W|Wa``, a byline ``Wa:WW``, in any script
  with case (what a menu, a byline or a sentence looks like, whatever its language);
- ``layout``: numeric cues of the paragraph itself (length, casing, digits, punctuation, links,
  and marks of promotion any language shares: currency signs, emoji, "!", "%", "18+");
- ``context``: the paragraph's place in its document and its neighbours' layout;
- ``repetition``: copies of the same normalised text in its document, text or words that
  recur at both ends of it (a campaign wrapped around an article), and the share of its
  words found in the document's other paragraphs.

Hashing is stateless, so a transformer needs no fitted vocabulary and pickles small.
It is vectorised over a whole batch: all normalised texts are laid end to end in one
UTF-32 code array and every n-gram hash is computed from polynomial prefix hashes with
numpy, instead of slicing Python strings one n-gram at a time (that was the hot path).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import re
import unicodedata

import numpy as np

from .normalize import normalize_texts


FEATURE_GROUPS: tuple[str, ...] = ("words", "chars", "shapes", "layout", "context", "repetition")
# Features are computed over batches of about this many paragraphs (whole documents),
# which bounds the memory of the vectorised n-gram hashing.
BATCH_PARAGRAPHS = 20_000
# Only the first this-many characters of a paragraph feed its n-grams: plenty to tell
# what it is, and a 50 MB "paragraph" cannot exhaust memory.
MAX_FEATURE_CHARS = 20_000
# 2**20 hashed dimensions: collisions cost < 0.1 F1 point against 2**22 while the
# coefficient vector stays ~8 MB (the artifact must stay well under 50 MB).
DEFAULT_HASH_BITS = 20
DEFAULT_CHAR_NGRAMS = (2, 4)
DEFAULT_WORD_NGRAMS = (1, 2)
# Shape strings are short (about one symbol a word), so longer n-grams stay specific.
SHAPE_NGRAMS = (2, 5)

_SEP = 0  # code placed between paragraphs; no n-gram may cross it
_PRIME = 0x100000001B3  # FNV-64 prime: odd, hence invertible modulo 2**64
_PRIME_INV = pow(_PRIME, -1, 2**64)

# One byte of flags per Unicode code point, so a whole batch is classified by one lookup.
_WORD, _CJK, _UPPER, _DIGIT, _PUNCT, _MENU, _END, _WORD_SHAPED = (np.uint8(1 << bit) for bit in range(8))
# Scripts whose words are not separated by spaces (CJK ideographs, kana; Thai, Lao,
# Myanmar, Khmer), and Hangul, whose syllables carry meaning across the endings glued to a
# Korean word: each character is a word token, as the benchmarks' own alignment counts
# Chinese. Read by spaces, a Thai paragraph was two or three "words" long, the length of a
# menu item, and half of Thai editorial paragraphs were flagged.
CHARACTER_WORD_RANGES = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x3040, 0x30FF), (0x3400, 0x4DBF),
                         (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF))
# Of those, the scripts written with spaces between words (Korean) or phrases (Thai, Lao,
# Myanmar, Khmer): in a shape their run is a word, not a "C". As a "C" Korean prose had the
# shape of a spaced Chinese menu ("首页 新闻 体育"), and the model shipped before this
# flagged 70% of Korean editorial paragraphs.
WORD_SHAPED_RANGES = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0xAC00, 0xD7AF))
# Topic words (what the repetition cues compare): words this long or longer carry a
# brand, a campaign or an article's subject; shorter ones are mostly function words. In the
# scripts of CHARACTER_WORD_RANGES from SYLLABIC_FROM on (kana, ideographs, Hangul) a
# character is a syllable or a morpheme and two of them mostly make a word; before it
# (Thai, Lao, Myanmar, Khmer) a character is a letter, so four of them, as in words.
TOPIC_WORD_CHARS = 4
SYLLABIC_FROM, SYLLABIC_WORD_CHARS = 0x3040, 2
_MENU_CHARS = "|\u2022\u00b7\u00bb\u203a>/\u2013"
_SENTENCE_END_CHARS = '.!?:;"\')\u201d\u00bb\u3002\uff01\uff1f\u2026'


def _char_flags() -> np.ndarray:
    """Flags of every code point: word (alphanumeric, or a combining mark), CJK, upper
    case, digit, punctuation (none of those, nor space), menu mark, sentence end, shaped as a
    word (see WORD_SHAPED_RANGES). Outside
    the Basic Multilingual Plane everything is a word character and nothing else.

    Combining marks are part of their word: the vowel signs of Devanagari, Bengali, Tamil
    or Thai (and accents a scraper left decomposed) would otherwise cut every word in
    pieces and read as punctuation."""
    bmp = "".join(map(chr, range(0x10000)))

    def table(predicate) -> np.ndarray:
        return np.fromiter(map(predicate, bmp), dtype=bool, count=0x10000)

    alnum = table(str.isalnum) | table(lambda c: unicodedata.category(c)[0] == "M")
    flags = np.full(0x110000, _WORD, dtype=np.uint8)
    flags[:0x10000] = (alnum * _WORD | table(str.isupper) * _UPPER | table(str.isdigit) * _DIGIT
                       | (~alnum & ~table(str.isspace)) * _PUNCT)
    flags[_SEP] = 0
    for lo, hi in CHARACTER_WORD_RANGES:
        flags[lo:hi + 1] |= _CJK
    for lo, hi in WORD_SHAPED_RANGES:
        flags[lo:hi + 1] |= _WORD_SHAPED
    flags[[ord(c) for c in _MENU_CHARS]] |= _MENU
    flags[[ord(c) for c in _SENTENCE_END_CHARS]] |= _END
    return flags


_FLAGS = _char_flags()

# Promotion cues every language writes alike (a second table: _FLAGS has no bit left).
# What the model learns of promotion is mostly its words, which do not carry to a language
# it never saw; "₹5,000", "🔥", "!", "200%" and "18+" do.
_CURRENCY, _PICTOGRAPH, _EXCLAMATION, _PERCENT, _PLUS = (np.uint8(1 << bit) for bit in range(5))
_PICTOGRAPH_RANGES = ((0x1F000, 0x1FAFF),)  # emoji, outside the Basic Multilingual Plane
_EXCLAMATION_CHARS = "!\uff01\u00a1\u203c"
_PERCENT_CHARS = "%\uff05\u066a\u2030"


def _cue_flags() -> np.ndarray:
    """Cue flags of every code point: currency sign (category Sc), pictograph (category So,
    and the emoji planes), exclamation mark, percent sign, plus sign."""
    categories = [unicodedata.category(chr(code)) for code in range(0x10000)]
    cues = np.zeros(0x110000, dtype=np.uint8)
    cues[:0x10000] = (np.array([c == "Sc" for c in categories]) * _CURRENCY
                      | np.array([c == "So" for c in categories]) * _PICTOGRAPH)
    for lo, hi in _PICTOGRAPH_RANGES:
        cues[lo:hi + 1] |= _PICTOGRAPH
    cues[[ord(c) for c in _EXCLAMATION_CHARS]] |= _EXCLAMATION
    cues[[ord(c) for c in _PERCENT_CHARS]] |= _PERCENT
    cues[ord("+")] |= _PLUS
    return cues


_CUES = _cue_flags()
# Token class of a code point: 0 = not part of a word, 1 = word character, 2 = a word
# character that is a token of its own (CHARACTER_WORD_RANGES, flagged _CJK).
_TOKEN_CLASS = ((_FLAGS & _WORD) > 0).astype(np.uint8) + ((_FLAGS & (_WORD | _CJK)) == (_WORD | _CJK))


def _token_edges(token_class: np.ndarray, first: bool) -> np.ndarray:
    """Mask of the codes that begin (``first``) or end a word token."""
    edge = np.empty(len(token_class), dtype=bool)
    if len(token_class):
        if first:
            edge[0] = True
            np.not_equal(token_class[1:], token_class[:-1], out=edge[1:])
        else:
            edge[-1] = True
            np.not_equal(token_class[:-1], token_class[1:], out=edge[:-1])
    edge |= token_class == 2
    edge &= token_class > 0
    return edge


def _codes(texts: Sequence[str], pad: str = "") -> tuple[np.ndarray, np.ndarray]:
    """All ``texts`` (each between two ``pad``) end to end as UTF-32 codes separated by
    ``_SEP``, plus each text's start."""
    joined = pad + f"{pad}\x00{pad}".join(texts) + pad + "\x00" if texts else ""
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + (2 * len(pad) + 1)
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    return codes, starts


@dataclass
class _RawCodes:
    """Raw texts (each cut at ``MAX_FEATURE_CHARS``) laid out by :func:`_codes` with a
    space pad, with each code's flags and token class: what the layout cues, the shapes and
    the token counts read, so a batch is encoded and looked up once for all of them."""

    codes: np.ndarray
    starts: np.ndarray
    flags: np.ndarray
    token_class: np.ndarray

    @classmethod
    def of(cls, texts: Sequence[str]) -> "_RawCodes":
        """Encode a batch of raw texts."""
        codes, starts = _codes([t[:MAX_FEATURE_CHARS] for t in texts], pad=" ")
        return cls(codes, starts, _FLAGS.take(codes), _TOKEN_CLASS.take(codes))


_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # golden-ratio multiplier (Fibonacci hashing)
_CHAR_SALT, _WORD_SALT, _SHAPE_SALT = 100, 0, 200  # keep the n-gram kinds of one length apart


def _columns(raw: np.ndarray, salt: int, hash_bits: int) -> np.ndarray:
    """Bucket raw polynomial hashes: salt by n-gram kind, multiply, keep the top bits."""
    with np.errstate(over="ignore"):
        mixed = (raw + np.uint64(salt)) * _MULTIPLIER
    return (mixed >> np.uint64(64 - hash_bits)).astype(np.int32)


@dataclass
class HashedNgrams:
    """Every n-gram occurrence of a batch, as parts that are each sorted by row.

    ``begin``/``end`` index the part's joined, padded code array (``codes``: the
    normalised texts, or their shapes) and let the explainer map a column back to the
    text that produced it.
    """

    rows: list[np.ndarray]
    columns: list[np.ndarray]
    begin: list[np.ndarray]
    end: list[np.ndarray]
    kind: list[int]  # per part: 0 = word n-gram, 1 = char n-gram, 2 = shape n-gram
    codes: list[np.ndarray]  # per part: the code array its begin/end index

    def add(self, rows, columns, begin, end, kind: int, codes: np.ndarray) -> None:
        for name, value in zip(("rows", "columns", "begin", "end", "kind", "codes"),
                               (rows, columns, begin, end, kind, codes)):
            getattr(self, name).append(value)


def _interleaved(length: int, sizes: range, hashes, last_unit, salt: int, hash_bits: int):
    """Hash n-grams of every size starting at each of ``length`` units, in unit order.

    Emitting all sizes of one start position together keeps the output sorted by row,
    which the CSR construction needs. Returns each n-gram's first unit, last unit
    (``last_unit``: exclusive end for characters, index of the last token for words) and
    hashed column. ``hashes(n, count)`` (raw hashes and validity) and ``last_unit(n, count)``
    give arrays over the ``count = length - n + 1`` start positions.
    """
    width = len(sizes)
    columns = np.zeros((length, width), dtype=np.int32)
    ends = np.zeros((length, width), dtype=np.int64)
    ok = np.zeros((length, width), dtype=bool)
    for j, n in enumerate(sizes):
        count = length - n + 1
        if count <= 0:
            continue
        raw, valid = hashes(n, count)
        columns[:count, j] = _columns(raw, salt + n, hash_bits)
        ends[:count, j] = last_unit(n, count)
        ok[:count, j] = valid
    keep = ok.ravel()
    first = np.repeat(np.arange(length, dtype=np.int64), width)[keep]
    return first, ends.ravel()[keep], columns.ravel()[keep]


_CACHED_POWERS = 1 << 22  # powers kept between batches: 64 MB, more than a typical batch needs


def _powers_of(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``_PRIME**i`` and ``_PRIME**-i`` modulo 2**64 for ``i < n`` (``n >= 1``)."""
    with np.errstate(over="ignore"):
        powers = np.full(n, _PRIME, dtype=np.uint64)
        powers[0] = 1
        np.cumprod(powers, out=powers)
        inverse = np.full(n, _PRIME_INV, dtype=np.uint64)
        inverse[0] = 1
        np.cumprod(inverse, out=inverse)
    return powers, inverse


_POWERS = _powers_of(1)


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``_PRIME**i`` and its inverse for ``i < n`` (mod 2**64), from a cache that grows
    up to ``_CACHED_POWERS``; longer batches get their own arrays."""
    global _POWERS
    if n > len(_POWERS[0]):
        if n > _CACHED_POWERS:
            return _powers_of(n)
        _POWERS = _powers_of(min(max(n, 2 * len(_POWERS[0])), _CACHED_POWERS))
    return _POWERS[0][:n], _POWERS[1][:n]


@dataclass
class WordTokens:
    """The topic words of a batch of normalised texts (see :meth:`HashedBatch.word_tokens`):
    each one's hash and text (row), and which texts are not empty. What the repetition cues
    need, and nothing that depends on where a text sits, so a subset can be taken without
    re-hashing."""

    raw: np.ndarray
    row: np.ndarray
    nonempty: np.ndarray

    def take(self, rows: np.ndarray) -> "WordTokens":
        """The words of the texts at ``rows`` (increasing), renumbered 0..len(rows)-1."""
        position = np.full(len(self.nonempty), -1, dtype=np.int64)
        position[rows] = np.arange(len(rows))
        kept = position[self.row] >= 0
        return WordTokens(self.raw[kept], position[self.row[kept]].astype(np.int32), self.nonempty[rows])


class HashedBatch:
    """A batch of normalised texts as one code array with polynomial prefix hashes.

    Texts are padded with a space at both ends so n-grams see paragraph edges, and
    separated by ``_SEP`` so no n-gram crosses two texts. The hash of any slice is
    position independent and O(1): ``(prefix[end] - prefix[begin]) * inverse[begin]``.
    """

    def __init__(self, texts: Sequence[str]):
        self._hash(*_codes(texts, pad=" "))

    @classmethod
    def from_codes(cls, codes: np.ndarray, starts: np.ndarray) -> "HashedBatch":
        """A batch of texts already laid out as :func:`_codes` does (with a one-code pad)."""
        batch = cls.__new__(cls)
        batch._hash(codes, starts)
        return batch

    def _hash(self, codes: np.ndarray, starts: np.ndarray) -> None:
        self.codes, self.starts = codes, starts
        n_codes = len(self.codes)
        powers, self.inverse = _powers(n_codes)
        with np.errstate(over="ignore"):
            self.prefix = np.zeros(n_codes + 1, dtype=np.uint64)
            np.cumsum((self.codes.astype(np.uint64) + np.uint64(1)) * powers, out=self.prefix[1:])
        self._tokens = None

    @property
    def row_of_code(self) -> np.ndarray:
        """The text each code belongs to."""
        return np.repeat(np.arange(len(self.starts) - 1, dtype=np.int32), np.diff(self.starts))

    @property
    def seps_before(self) -> np.ndarray:
        """Number of separators before each code (equal at both ends of an n-gram inside one text)."""
        out = np.zeros(len(self.codes) + 1, dtype=np.int32)
        np.cumsum(self.codes == _SEP, out=out[1:])
        return out

    def chars(self, n: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Raw hashes of the character n-grams starting at each of the first ``count`` codes, and validity."""
        with np.errstate(over="ignore"):
            raw = (self.prefix[n:] - self.prefix[:count]) * self.inverse[:count]
        seps_before = self.seps_before
        return raw, seps_before[n:] == seps_before[:count]

    def char_weight_sums(self, coef: np.ndarray, sizes: range, hash_bits: int, salt: int = _CHAR_SALT
                         ) -> np.ndarray:
        """Per text, the sum of ``coef`` over the columns of its character n-grams of ``sizes``.

        The same columns as :func:`_columns` of :meth:`chars` (``(raw + salt) * M`` is
        computed as ``prefix difference * (inverse * M) + salt * M``), in place in one
        reused buffer, with n-grams that cross a separator zeroed by index: the
        prediction hot path.
        """
        n_codes = len(self.codes)
        shift = np.uint64(64 - hash_bits)
        seps = np.flatnonzero(self.codes == _SEP)  # text ends (normalisation turns any other NUL into a space)
        weights = np.zeros(n_codes)
        buffer = np.empty(n_codes, dtype=np.uint64)
        with np.errstate(over="ignore"):
            inverse_mixed = self.inverse * _MULTIPLIER
            for n in sizes:
                count = n_codes - n + 1
                if count <= 0:
                    continue
                columns = buffer[:count]
                np.subtract(self.prefix[n:], self.prefix[:count], out=columns)
                np.multiply(columns, inverse_mixed[:count], out=columns)
                columns += np.uint64(salt + n) * _MULTIPLIER
                np.right_shift(columns, shift, out=columns)
                found = coef.take(columns.view(np.int64))
                crossing = (seps[:, None] - np.arange(n)).ravel()
                found[crossing[(crossing >= 0) & (crossing < count)]] = 0.0
                weights[:count] += found
        if len(self.starts) < 2:
            return np.zeros(0)
        return np.add.reduceat(weights, self.starts[:-1])  # every text spans >= 3 codes: no empty segment

    def tokens(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Word tokens: begin and end code, raw hash and row. Every CJK character is a token."""
        if self._tokens is None:
            self._token_class = token_class = _TOKEN_CLASS.take(self.codes)  # take: twice as fast as fancy indexing
            first = _token_edges(token_class, first=True)
            begin = np.flatnonzero(first)
            end = np.flatnonzero(_token_edges(token_class, first=False)) + 1
            with np.errstate(over="ignore"):
                raw = (self.prefix.take(end) - self.prefix.take(begin)) * self.inverse.take(begin)
            per_row = np.add.reduceat(first.view(np.uint8), self.starts[:-1], dtype=np.int64)
            row = np.repeat(np.arange(len(per_row), dtype=np.int32), per_row)  # (a search per token is 10x slower)
            self._tokens = (begin, end, raw, row)
        return self._tokens

    def word_tokens(self) -> WordTokens:
        """The topic words as :class:`WordTokens`: each word of ``TOPIC_WORD_CHARS`` or more
        characters (shorter ones are mostly function words) and, in the scripts written
        without spaces between words, each run of characters that mostly makes a word
        (:meth:`_character_words`)."""
        begin, end, raw, row = self.tokens()
        long_words = np.flatnonzero(end - begin >= TOPIC_WORD_CHARS)
        gram_raw, gram_row = self._character_words()
        return WordTokens(np.concatenate([raw[long_words], gram_raw]),
                          np.concatenate([row[long_words], gram_row]),
                          np.diff(self.starts) > 3)  # " text " + separator

    def _character_words(self) -> tuple[np.ndarray, np.ndarray]:
        """Raw hashes and rows of every ``SYLLABIC_WORD_CHARS`` consecutive ideographs, kana
        or Hangul syllables and every ``TOPIC_WORD_CHARS`` consecutive Thai, Lao, Myanmar or
        Khmer characters: there each character is a token of its own, so no token is long
        enough to be a topic word, and without these a Chinese or Korean article's
        paragraphs shared no words at all."""
        character = self._token_class == 2
        if not character.any():
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int32)
        syllabic = character & (self.codes >= SYLLABIC_FROM)
        raws, rows = [], []
        for script, n in ((syllabic, SYLLABIC_WORD_CHARS), (character & ~syllabic, TOPIC_WORD_CHARS)):
            inside = np.zeros(len(script) + 1, dtype=np.int64)
            np.cumsum(script, out=inside[1:])
            begin = np.flatnonzero(inside[n:] - inside[:-n] == n)
            with np.errstate(over="ignore"):
                raws.append((self.prefix[begin + n] - self.prefix[begin]) * self.inverse[begin])
            rows.append((np.searchsorted(self.starts, begin, side="right") - 1).astype(np.int32))
        return np.concatenate(raws), np.concatenate(rows)

    def words(self, n: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Raw hashes of the word n-grams starting at each of the first ``count`` tokens, and validity."""
        _, _, raw, row = self.tokens()
        value = raw[:count]
        with np.errstate(over="ignore"):
            for k in range(1, n):
                value = value * _MULTIPLIER + raw[k:k + count]
        return value, row[:count] == row[n - 1:]


_SHAPE_OF = {name: np.uint32(ord(symbol)) for name, symbol in
             (("digits", "9"), ("cjk", "C"), ("capitals", "A"), ("capitalised", "W"), ("lower", "a"))}


def shape_batch(texts: Sequence[str]) -> HashedBatch:
    """The shapes of raw texts (each cut at ``MAX_FEATURE_CHARS``), laid out and hashed
    like :class:`HashedBatch`: every word becomes one symbol of its casing class, a run of
    Chinese or Japanese characters one "C" (a run of Hangul or Thai is a word), punctuation stays,
    spaces go; each text keeps its pads.

    Vectorised over the batch like the n-grams (a regex per paragraph costs twice the
    whole prediction)."""
    return _shapes(_RawCodes.of(texts))


def _shapes(raw: _RawCodes) -> HashedBatch:
    """:func:`shape_batch` of texts already encoded."""
    codes, starts, flags, token_class = raw.codes, raw.starts, raw.flags, raw.token_class
    change = token_class[1:] != token_class[:-1]  # code 0 is a pad, the last a separator
    begin = np.flatnonzero(change & (token_class[1:] > 0)) + 1
    end = np.flatnonzero(change & (token_class[:-1] > 0)) + 1  # where the next class begins (a CJK run is one token)

    def per_token(mask: np.ndarray) -> np.ndarray:
        running = np.cumsum(mask, dtype=np.int32)  # code 0 is a pad: every token has a code before it
        return running[end - 1] - running[begin - 1]

    length = end - begin
    digits = per_token((flags & _DIGIT) != 0)
    upper = per_token((flags & _UPPER) != 0)
    shape = np.select(
        [(token_class[begin] == 2) & ((flags[begin] & _WORD_SHAPED) == 0), digits == length,
         (upper == length - digits) & (length > 1), (flags[begin] & _UPPER) != 0],
        [_SHAPE_OF["cjk"], _SHAPE_OF["digits"], _SHAPE_OF["capitals"], _SHAPE_OF["capitalised"]],
        _SHAPE_OF["lower"])
    role = ((flags & _PUNCT) != 0).view(np.uint8)  # 1: kept as it is (a NUL inside a text goes like a space)
    role[begin] = 2  # 2: replaced by its token's shape
    if len(starts) > 1:
        role[starts[:-1]] = 1  # the pads and the separators
        role[starts[1:] - 2] = 1
        role[starts[1:] - 1] = 1
    kept = np.flatnonzero(role != 0)  # (a bool mask: flatnonzero of uint8 is eight times slower)
    shaped = codes[kept]
    shaped[role[kept] == 2] = shape
    return HashedBatch.from_codes(shaped, np.searchsorted(kept, starts))


def hash_ngrams(
    batch: HashedBatch,
    hash_bits: int = DEFAULT_HASH_BITS,
    char_ngrams: tuple[int, int] | None = DEFAULT_CHAR_NGRAMS,
    word_ngrams: tuple[int, int] | None = DEFAULT_WORD_NGRAMS,
    shapes: HashedBatch | None = None,
) -> HashedNgrams:
    """Hash the word and character n-grams of a batch of normalised texts, and the
    ``SHAPE_NGRAMS`` of their :func:`shape_batch` ``shapes`` if given.

    Returns the occurrences, sorted by row within each part.
    """
    occurrences = HashedNgrams([], [], [], [], [], [])
    if char_ngrams:
        begin, end, columns = _interleaved(
            len(batch.codes), range(char_ngrams[0], char_ngrams[1] + 1), batch.chars,
            lambda n, count: np.arange(n, n + count), _CHAR_SALT, hash_bits)
        occurrences.add(batch.row_of_code[begin], columns, begin, end, 1, batch.codes)
    if word_ngrams:
        token_begin, token_end, _, token_row = batch.tokens()
        first, last, columns = _interleaved(
            len(token_begin), range(word_ngrams[0], word_ngrams[1] + 1), batch.words,
            lambda n, count: np.arange(n - 1, n - 1 + count), _WORD_SALT, hash_bits)
        occurrences.add(token_row[first], columns, token_begin[first], token_end[last], 0, batch.codes)
    if shapes is not None:
        begin, end, columns = _interleaved(
            len(shapes.codes), range(SHAPE_NGRAMS[0], SHAPE_NGRAMS[1] + 1), shapes.chars,
            lambda n, count: np.arange(n, n + count), _SHAPE_SALT, hash_bits)
        occurrences.add(shapes.row_of_code[begin], columns, begin, end, 2, shapes.codes)
    return occurrences


def ngram_scores(
    batch: HashedBatch,
    coef: np.ndarray,
    hash_bits: int,
    char_ngrams: tuple[int, int] | None,
    word_ngrams: tuple[int, int] | None,
    shapes: HashedBatch | None = None,
) -> np.ndarray:
    """Per text, the hashed block's contribution ``features @ coef`` without building features.

    Equal to summing ``coef[column] / sqrt(count of that kind in the row)`` over the
    occurrences of :func:`hash_ngrams`, but computed with prefix sums over each unit
    array: no row-sorting, no sparse matrix. This is the prediction hot path.
    """
    n_rows = len(batch.starts) - 1
    total = np.zeros(n_rows)

    def add_kind(sizes: range, units: int, row_starts: np.ndarray, hashes, salt: int) -> None:
        # All sizes' weights are summed at their start unit, so one prefix sum serves all.
        weights = np.zeros(units)
        for n in sizes:
            count = units - n + 1
            if count > 0:
                raw, valid = hashes(n, count)
                weights[:count] += np.where(valid, coef.take(_columns(raw, salt + n, hash_bits)), 0.0)
        running = np.concatenate(([0.0], np.cumsum(weights)))
        return np.diff(running[row_starts])

    def valid_counts(lengths: np.ndarray, sizes: range) -> np.ndarray:
        """N-grams of each size that fit in a row of ``lengths`` units."""
        return sum(np.maximum(lengths - n + 1, 0) for n in sizes)

    shape_ngrams = SHAPE_NGRAMS if shapes is not None else None
    for units, sizes, salt in ((batch, char_ngrams, _CHAR_SALT), (shapes, shape_ngrams, _SHAPE_SALT)):
        if sizes:
            sizes = range(sizes[0], sizes[1] + 1)
            sums = units.char_weight_sums(coef, sizes, hash_bits, salt)
            total += sums / np.sqrt(np.maximum(valid_counts(np.diff(units.starts) - 1, sizes), 1))
    if word_ngrams:
        sizes = range(word_ngrams[0], word_ngrams[1] + 1)
        token_row = batch.tokens()[3]
        token_starts = np.searchsorted(token_row, np.arange(n_rows + 1), side="left")
        sums = add_kind(sizes, len(token_row), token_starts, batch.words, _WORD_SALT)
        total += sums / np.sqrt(np.maximum(valid_counts(np.diff(token_starts), sizes), 1))
    return total


def _find_all(haystack: str, needle: str) -> list[int]:
    """Every start of ``needle`` in ``haystack`` (str.find runs in C; matches are rare)."""
    found, position = [], haystack.find(needle)
    while position != -1:
        found.append(position)
        position = haystack.find(needle, position + 1)
    return found


def _rows_of(positions: list[int], starts: np.ndarray, n: int) -> np.ndarray:
    """Which of the texts laid end to end at ``starts`` contain one of ``positions``."""
    found = np.zeros(n, dtype=bool)
    if positions:
        found[np.searchsorted(starts, np.asarray(positions, dtype=np.int64), side="right") - 1] = True
    return found


def _link_rows(joined: str, starts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Texts with a URL and texts with an e-mail address, found in one pass per marker, in
    normalised (lower-case) texts laid end to end at ``starts``.

    A regex scan of the whole batch is slow in Python's engine unless the pattern starts
    with a literal, so markers are located with str.find (or such a regex) and only their
    surroundings are checked.
    """
    urls = [p for marker in _URL_MARKERS for p in _find_all(joined, marker)]
    urls += [match.start() for match in _URL_SUFFIX.finditer(joined)]  # starts with a literal "."
    emails = [p for p in _find_all(joined, "@") if _EMAIL.search(joined, max(p - 64, 0), p + 64)]
    return _rows_of(urls, starts, n), _rows_of(emails, starts, n)


_URL_MARKERS = ("http://", "https://", "www.")
_URL_SUFFIX = re.compile(r"\.(?:com|net|org|io)(?![^\W_])")  # not followed by a letter or digit
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_WORD_BINS = 12  # one-hot of floor(log2(words + 1)), capped: 1, 2-3, 4-7, ... 2048+
_CHAR_BINS = 14
LAYOUT_NAMES: tuple[str, ...] = (
    "log_chars", "log_words", *(f"words_bin_{b}" for b in range(_WORD_BINS)),
    *(f"chars_bin_{b}" for b in range(_CHAR_BINS)), "upper_ratio", "digit_ratio", "punct_ratio",
    "menu_marks", "ends_sentence", "starts_upper", "title_ratio", "all_caps", "has_url", "has_email",
    "cjk_ratio", "currency", "pictographs", "exclamations", "percent", "number_plus",
)
_NEIGHBOUR_OFFSETS = (-2, -1, 1, 2)
_NEIGHBOUR_CUES = ("exists", "log_words", "ends_sentence", "short", "has_url")
CONTEXT_NAMES: tuple[str, ...] = (
    "relative_position", "is_first", "is_last", "log_index", "log_index_from_end", "log_paragraphs",
    *(f"{cue}_{offset:+d}" for offset in _NEIGHBOUR_OFFSETS for cue in _NEIGHBOUR_CUES),
    "short_share_window", "log_words_vs_longest", "word_share_of_document", "offset_to_longest",
    "before_first_long", "after_last_long",
)
SHORT_WORDS = 4  # menu items, buttons, bylines: "Home", "Share this story"
LONG_WORDS = 20  # a paragraph of running text


@dataclass
class Layout:
    """Per-paragraph numeric cues, kept as arrays so context features can reuse them."""

    words: np.ndarray
    ends_sentence: np.ndarray
    has_url: np.ndarray
    matrix: np.ndarray

    def take(self, rows: np.ndarray) -> "Layout":
        """The cues of the paragraphs at ``rows`` (layout does not depend on neighbours)."""
        return Layout(self.words[rows], self.ends_sentence[rows], self.has_url[rows], self.matrix[rows])


def token_counts(texts: Sequence[str]) -> np.ndarray:
    """Word tokens of each raw text (a CJK character is a token; each text cut at
    ``MAX_FEATURE_CHARS``): the ``words`` of :func:`layout_features`, for models without it."""
    if not texts:
        return np.zeros(0)
    raw = _RawCodes.of(texts)
    token_start = _token_edges(raw.token_class, first=True)
    return np.add.reduceat(token_start.view(np.uint8), raw.starts[:-1], dtype=np.int32).astype(np.float64)


def layout_features(texts: Sequence[str], normalised: Sequence[str]) -> Layout:
    """Length, casing, digit, punctuation, link and promotion-mark cues of raw paragraph
    texts (each cut at ``MAX_FEATURE_CHARS``; links are looked for in their ``normalised``
    forms, already lower-case and width-folded)."""
    return _layout(_RawCodes.of(texts), normalised)


def layout_and_shapes(texts: Sequence[str], normalised: Sequence[str], groups: Sequence[str]
                      ) -> tuple[Layout | None, HashedBatch | None]:
    """:func:`layout_features` (if :func:`uses_layout`) and :func:`shapes_of` of raw
    ``texts``, from one encoding of the batch."""
    layout, shapes = uses_layout(groups), "shapes" in groups
    raw = _RawCodes.of(texts) if layout or shapes else None
    return _layout(raw, normalised) if layout else None, _shapes(raw) if shapes else None


def _layout(raw: _RawCodes, normalised: Sequence[str]) -> Layout:
    """:func:`layout_features` of texts already encoded."""
    starts, flags = raw.starts, raw.flags
    n = len(starts) - 1
    token_start = _token_edges(raw.token_class, first=True)

    def per_text(mask: np.ndarray) -> np.ndarray:
        # Every text spans at least its pads and separator, so no segment is empty.
        return np.add.reduceat(mask.view(np.uint8), starts[:-1], dtype=np.int32).astype(np.float64) if n else np.zeros(0)

    def flagged(flag: np.uint8) -> np.ndarray:
        return (flags & flag) != 0

    chars = np.diff(starts).astype(np.float64) - 3  # less the two pads and the separator
    upper = flagged(_UPPER)
    words = per_text(token_start)
    letters = per_text((flags & (_WORD | _DIGIT)) == _WORD)
    punct = per_text(flagged(_PUNCT))
    last = np.where(chars > 0, flags[starts[1:] - 3], 0)
    first = np.where(chars > 0, flags[starts[:-1] + 1], 0)
    normalised_starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, normalised), dtype=np.int64, count=n) + 1, out=normalised_starts[1:])
    has_url, has_email = _link_rows("\x00".join(normalised), normalised_starts, n)
    upper_ratio = per_text(upper) / np.maximum(letters, 1)
    columns = [
        np.log1p(chars) / 8,
        np.log1p(words) / 6,
        *_one_hot(np.minimum(np.floor(np.log2(words + 1)), _WORD_BINS - 1), _WORD_BINS),
        *_one_hot(np.minimum(np.floor(np.log2(chars + 1)), _CHAR_BINS - 1), _CHAR_BINS),
        upper_ratio,
        per_text(flagged(_DIGIT)) / np.maximum(chars, 1),
        punct / np.maximum(chars, 1),
        np.minimum(per_text(flagged(_MENU)) / np.maximum(words, 1), 1),
        ((last & _END) > 0).astype(np.float64),
        ((first & (_UPPER | _DIGIT)) > 0).astype(np.float64),
        per_text(token_start & upper) / np.maximum(words, 1),
        ((upper_ratio > 0.8) & (letters >= 3)).astype(np.float64),
        has_url.astype(np.float64),
        has_email.astype(np.float64),
        per_text(flagged(_CJK)) / np.maximum(chars, 1),
        *_cue_columns(raw, per_text),
    ]
    ends = columns[2 + _WORD_BINS + _CHAR_BINS + 4]
    return Layout(words, ends, has_url, np.column_stack(columns))


def _cue_columns(raw: _RawCodes, per_text) -> list[np.ndarray]:
    """The language-independent promotion cues (see ``_CUES``): a currency sign, pictographs
    and exclamation marks (counted up to three), a percent sign, and a number followed by
    "+" as in "18+" or "100+" (not a sum: no digit after the "+")."""
    cues = _CUES.take(raw.codes)
    digit = (raw.flags & _DIGIT) != 0
    number_plus = np.zeros(len(cues), dtype=bool)
    number_plus[1:-1] = digit[:-2] & ((cues[1:-1] & _PLUS) != 0) & ~digit[2:]

    def count(cue: np.uint8) -> np.ndarray:
        return per_text((cues & cue) != 0)

    return [np.minimum(count(_CURRENCY), 1), np.minimum(count(_PICTOGRAPH), 3) / 3,
            np.minimum(count(_EXCLAMATION), 3) / 3, np.minimum(count(_PERCENT), 1),
            np.minimum(per_text(number_plus), 1)]


def _one_hot(values: np.ndarray, size: int) -> list[np.ndarray]:
    return [(values == b).astype(np.float64) for b in range(size)]


def document_starts(doc_ids: Sequence | None, n: int) -> np.ndarray:
    """Row where each document begins (rows of a document are contiguous and ordered)."""
    if doc_ids is None or n == 0:
        return np.array([0, n], dtype=np.int64)
    ids = np.asarray(doc_ids, dtype=object)
    changes = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    return np.concatenate(([0], changes, [n])).astype(np.int64)


def context_features(layout: Layout, starts: np.ndarray) -> np.ndarray:
    """Where a paragraph sits in its document and what its neighbours look like."""
    n = len(layout.words)
    sizes = np.diff(starts)
    doc = np.repeat(np.arange(len(sizes)), sizes)
    index = np.arange(n) - starts[doc]
    count = sizes[doc]
    from_end = count - 1 - index
    log_words = np.log1p(layout.words)
    short = layout.words <= SHORT_WORDS
    long_ = layout.words >= LONG_WORDS
    columns = [
        np.where(count > 1, index / np.maximum(count - 1, 1), 0.0),
        (index == 0).astype(np.float64),
        (from_end == 0).astype(np.float64),
        np.log1p(index) / 5,
        np.log1p(from_end) / 5,
        np.log1p(count) / 6,
    ]
    for offset in _NEIGHBOUR_OFFSETS:
        target = np.arange(n) + offset
        exists = (index + offset >= 0) & (index + offset < count)
        target = np.clip(target, 0, max(n - 1, 0))
        for cue in (np.ones(n), log_words / 6, layout.ends_sentence, short, layout.has_url):
            columns.append(np.where(exists, np.asarray(cue, dtype=np.float64)[target], 0.0))
    window = 3
    short_total = np.concatenate(([0], np.cumsum(short)))
    lo = np.maximum(np.arange(n) - window, starts[doc])
    hi = np.minimum(np.arange(n) + window + 1, starts[doc] + count)
    columns.append((short_total[hi] - short_total[lo]) / np.maximum(hi - lo, 1))
    nonempty = sizes > 0
    doc_starts = starts[:-1][nonempty]
    longest = np.maximum.reduceat(log_words, doc_starts) if n else np.zeros(0)
    total_words = np.add.reduceat(layout.words, doc_starts) if n else np.zeros(0)
    argmax = _segment_argmax(layout.words, starts)
    doc_rank = np.cumsum(nonempty) - 1
    columns.append((log_words - longest[doc_rank[doc]]) / 6)
    columns.append(layout.words / np.maximum(total_words[doc_rank[doc]], 1))
    columns.append((index - argmax[doc]) / np.maximum(count, 1))
    big = np.iinfo(np.int64).max
    first_long = _segment_min(np.where(long_, index, big), starts)
    last_long = -_segment_min(np.where(long_, -index, big), starts)
    has_long = first_long[doc] != big
    columns.append((has_long & (index < first_long[doc])).astype(np.float64))
    columns.append((has_long & (index > last_long[doc])).astype(np.float64))
    return np.column_stack(columns) if n else np.zeros((0, len(CONTEXT_NAMES)))


def _segment_min(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Minimum of ``values`` within each document (``int64`` max for an empty document)."""
    out = np.full(len(starts) - 1, np.iinfo(np.int64).max, dtype=np.int64)
    nonempty = np.flatnonzero(np.diff(starts) > 0)
    if len(nonempty):
        out[nonempty] = np.minimum.reduceat(values, starts[:-1][nonempty])
    return out


def _segment_argmax(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Index within each document of its largest value (first one on ties)."""
    sizes = np.diff(starts)
    doc = np.repeat(np.arange(len(sizes)), sizes)
    index = np.arange(len(values)) - starts[doc]
    nonempty = np.flatnonzero(sizes > 0)
    best = np.zeros(len(sizes), dtype=values.dtype)
    if len(nonempty):
        best[nonempty] = np.maximum.reduceat(values, starts[:-1][nonempty])
    first = _segment_min(np.where(values == best[doc], index, np.iinfo(np.int64).max), starts)
    return np.where(sizes > 0, first, 0)


REPETITION_NAMES: tuple[str, ...] = (
    "repeated_in_document", "log_copies_in_document", "repeated_at_other_end",
    "words_shared_with_other_end_only", "words_shared_in_document",
)
EDGE_PARAGRAPHS = 3  # paragraphs at each end of a document where injected lines sit


def feature_texts(texts: Sequence[str]) -> list[str]:
    """The normalised texts n-grams and repetition cues are computed on (each cut at
    ``MAX_FEATURE_CHARS``)."""
    return normalize_texts([t[:MAX_FEATURE_CHARS] for t in texts])


def text_keys(normalised: Sequence[str]) -> np.ndarray:
    """Equal keys for equal normalised texts (Python's string hash: valid within one process)."""
    return np.fromiter(map(hash, normalised), dtype=np.int64, count=len(normalised))


def repetition_features(tokens: WordTokens, keys: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """How often a paragraph's normalised text recurs in its own document, whether it
    (or its words) recur at the other end of it, and how many of its words recur anywhere
    else in it (:func:`shared_words`).

    ``keys`` are the :func:`text_keys` of the batch's texts. Counts over other documents
    of the batch were measured and dropped: the team's corpus reuses each promotion across
    many pages, so they became a shortcut that does not exist for a single document (the
    seed article's tagline was missed with them).
    """
    n = len(keys)
    if n == 0:
        return np.zeros((0, len(REPETITION_NAMES)))
    sizes = np.diff(starts)
    doc = np.repeat(np.arange(len(sizes)), sizes)
    nonempty = tokens.nonempty
    copies = _Pairs.of(keys.view(np.uint64), doc).counts() - 1
    copies[~nonempty] = 0
    at_other_end, shared_with_other_end = _edge_repetition(tokens, keys, doc, starts, nonempty)
    return np.column_stack([copies > 0, np.log1p(copies) / 2, at_other_end, shared_with_other_end,
                            shared_words(tokens, starts)]).astype(np.float64)


_HEAD, _TAIL, _MIDDLE = np.uint8(1), np.uint8(2), np.uint8(4)


@dataclass
class _Pairs:
    """Items grouped by their (group, key) pair (64-bit mixing; a collision is vanishingly
    rare): ``order`` sorts them by pair and each run of one pair begins at ``first`` in it.
    One sort serves counts, unions and one item per pair (np.unique with its inverse sorts
    just the same, and a union over it then needs the slow ``ufunc.at``)."""

    order: np.ndarray
    first: np.ndarray

    @classmethod
    def of(cls, keys: np.ndarray, groups: np.ndarray) -> "_Pairs":
        """Group the items with ``keys`` (uint64) in ``groups``."""
        with np.errstate(over="ignore"):
            mixed = keys ^ (groups.astype(np.uint64) * _MULTIPLIER)
        order = np.argsort(mixed)
        ordered = mixed[order]
        begins = np.ones(len(order), dtype=bool)
        np.not_equal(ordered[1:], ordered[:-1], out=begins[1:])
        return cls(order, np.flatnonzero(begins))

    def spread(self, values: np.ndarray) -> np.ndarray:
        """Each item's entry of ``values`` (one per pair, in the order of ``first``)."""
        out = np.empty(len(self.order), dtype=values.dtype)
        out[self.order] = np.repeat(values, np.diff(self.first, append=len(self.order)))
        return out

    def counts(self) -> np.ndarray:
        """For each item, how many items share its pair."""
        return self.spread(np.diff(self.first, append=len(self.order)))

    def union(self, region: np.ndarray) -> np.ndarray:
        """For each item, the union of the ``region`` flags of every item with its pair."""
        return self.spread(np.bitwise_or.reduceat(region[self.order], self.first))


def _edge_repetition(tokens: WordTokens, keys: np.ndarray, doc: np.ndarray, starts: np.ndarray,
                     nonempty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cues of a campaign wrapped around an article: for a paragraph among the first or last
    ``EDGE_PARAGRAPHS`` of a document, whether its text recurs at the other end, and the
    share of its distinct topic words that recur at the other end but nowhere in
    the middle (a brand in a top tagline and a bottom footer; a headline's words recur in
    the body). Vectorised over the batch with (document, text or word) ids."""
    n = len(keys)
    index = np.arange(n) - starts[doc]
    size = np.diff(starts)[doc]
    region = np.where(index < EDGE_PARAGRAPHS, _HEAD, np.where(index >= size - EDGE_PARAGRAPHS, _TAIL, _MIDDLE))
    region = np.where(size >= 2 * EDGE_PARAGRAPHS + 1, region, 0).astype(np.uint8)
    other_end = np.where(region == _HEAD, _TAIL, np.where(region == _TAIL, _HEAD, 0)).astype(np.uint8)

    same_text = np.zeros(n)
    edge = np.flatnonzero((other_end > 0) & nonempty)
    seen = _Pairs.of(keys.view(np.uint64)[edge], doc[edge]).union(region[edge])
    same_text[edge] = (seen & other_end[edge]) > 0

    chosen = np.flatnonzero(region[tokens.row] > 0)  # (faster than a mask)
    row, raw = tokens.row[chosen], tokens.raw[chosen]
    seen = _Pairs.of(raw, doc[row]).union(region[row])
    good = ((seen & other_end[row]) > 0) & ((seen & _MIDDLE) == 0)
    at_edge = np.flatnonzero(other_end[row] > 0)
    row, raw, good = row[at_edge], raw[at_edge], good[at_edge]
    pairs = _Pairs.of(raw, row)
    first = pairs.order[pairs.first]  # each distinct word of a paragraph once
    total = np.bincount(row[first], minlength=n)
    hits = np.bincount(row[first], weights=good[first], minlength=n)
    return same_text, np.where(total > 0, hits / np.maximum(total, 1), 0.0)


def shared_words(tokens: WordTokens, starts: np.ndarray) -> np.ndarray:
    """The share of a paragraph's distinct topic words (:meth:`HashedBatch.word_tokens`)
    that occur in another paragraph of its document: an article's paragraphs share its
    topic's names and terms, while a promotion dropped into it, or a menu, shares next to
    none, in any language. 0 for a paragraph without such words, or alone in its document."""
    n = len(tokens.nonempty)
    doc = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    row, raw = tokens.row, tokens.raw
    pairs = _Pairs.of(raw, row)
    first = pairs.order[pairs.first]  # each distinct word of a paragraph once
    row, raw = row[first], raw[first]
    elsewhere = _Pairs.of(raw, doc[row]).counts() > 1
    total = np.bincount(row, minlength=n)
    return np.bincount(row, weights=elsewhere, minlength=n) / np.maximum(total, 1)


SCORE_CONTEXT_NAMES: tuple[str, ...] = (
    "score", "score_-1", "score_+1", "score_-2", "score_+2", "exists_-1", "exists_+1",
    "score_window_mean", "score_document_mean", "score_document_max", "score_document_min",
    "document_share_spam", "score_rank_in_document", "has_copy_in_document", "copies_score_above_own",
)


def copy_keys(texts: Sequence[str]) -> np.ndarray:
    """:func:`text_keys` of raw texts: equal for texts equal once normalised."""
    return text_keys(feature_texts(texts))
_SCORE_WINDOW = 3


def score_context_features(logits: np.ndarray, starts: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Second-pass features: a paragraph's first-pass log-odds and its neighbours'.

    jusText and boilerpipe gain most from neighbours: a short heading between two
    editorial paragraphs is editorial, a lone sentence inside a menu is not. Copies of
    one text in a document (``keys`` from :func:`copy_keys`) share their evidence: a
    tagline at the top looks like a headline, its copy in the footer does not.
    """
    n = len(logits)
    if n == 0:
        return np.zeros((0, len(SCORE_CONTEXT_NAMES)))
    s = np.clip(logits, -10, 10) / 5
    sizes = np.diff(starts)
    doc = np.repeat(np.arange(len(sizes)), sizes)
    position = np.arange(n)
    index = position - starts[doc]
    count = sizes[doc]
    columns = [s]
    exists = {}
    for offset in (-1, 1, -2, 2):
        ok = (index + offset >= 0) & (index + offset < count)
        exists[offset] = ok
        columns.append(np.where(ok, s[np.clip(position + offset, 0, n - 1)], 0.0))
    columns += [exists[-1].astype(float), exists[1].astype(float)]
    total = np.concatenate(([0.0], np.cumsum(s)))
    lo = np.maximum(position - _SCORE_WINDOW, starts[doc])
    hi = np.minimum(position + _SCORE_WINDOW + 1, starts[doc] + count)
    others = np.maximum(hi - lo - 1, 1)
    columns.append(np.where(hi - lo > 1, (total[hi] - total[lo] - s) / others, 0.0))
    nonempty = np.flatnonzero(sizes > 0)
    doc_sum = np.zeros(len(sizes))
    doc_max = np.zeros(len(sizes))
    doc_min = np.zeros(len(sizes))
    doc_spam = np.zeros(len(sizes))
    first = starts[:-1][nonempty]
    doc_sum[nonempty] = np.add.reduceat(s, first)
    doc_max[nonempty] = np.maximum.reduceat(s, first)
    doc_min[nonempty] = np.minimum.reduceat(s, first)
    doc_spam[nonempty] = np.add.reduceat((s > 0).astype(float), first)
    columns += [doc_sum[doc] / count, doc_max[doc], doc_min[doc], doc_spam[doc] / count]
    # Rank within the document (0 = most editorial-looking, 1 = most spam-looking): a
    # language or site the first pass never saw shifts all its scores, not their order.
    order = np.lexsort((s, doc))
    rank = np.empty(n)
    rank[order] = np.arange(n) - starts[doc[order]]
    columns.append(np.where(count > 1, rank / np.maximum(count - 1, 1), 0.5))
    _, pair, copies = np.unique(doc * (2 * n) + np.unique(keys, return_inverse=True)[1], return_inverse=True,
                                return_counts=True)
    copy_sum = np.bincount(pair, weights=s)
    others = copies[pair] - 1
    columns.append((others > 0).astype(float))
    copies_mean = np.where(others > 0, (copy_sum[pair] - s) / np.maximum(others, 1), s)
    columns.append(np.maximum(copies_mean - s, 0.0))
    return np.column_stack(columns)


def ngram_settings(groups: Sequence[str], char_ngrams: tuple[int, int],
                   word_ngrams: tuple[int, int]) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """The character and word n-gram ranges in use (None for a group that is switched off)."""
    chars = tuple(char_ngrams) if "chars" in groups else None
    words = tuple(word_ngrams) if "words" in groups else None
    return chars, words


def shapes_of(texts: Sequence[str], groups: Sequence[str]) -> HashedBatch | None:
    """The :func:`shape_batch` of raw ``texts`` if ``groups`` use shapes, else None."""
    return shape_batch(texts) if "shapes" in groups else None


def document_batches(starts: np.ndarray, batch_paragraphs: int = BATCH_PARAGRAPHS):
    """``(first row, end row, document starts relative to the first row)`` per batch of whole
    documents of about ``batch_paragraphs`` rows (a longer document is a batch of its own)."""
    first = 0
    while first < len(starts) - 1:
        last = int(np.searchsorted(starts, starts[first] + batch_paragraphs, side="left"))
        last = min(max(last, first + 1), len(starts) - 1)
        yield int(starts[first]), int(starts[last]), starts[first:last + 1] - starts[first]
        first = last


def dense_names(groups: Sequence[str]) -> list[str]:
    """The name of each dense column (after the hashed block) that ``groups`` compute."""
    names: list[str] = []
    for group, group_names in (("layout", LAYOUT_NAMES), ("context", CONTEXT_NAMES), ("repetition", REPETITION_NAMES)):
        if group in groups:
            names += [f"{group}:{name}" for name in group_names]
    return names


# The dense columns the promotion detector reads besides the hashed n-grams: marks of
# promotion in any language and how much a paragraph shares its document's words. Nothing
# of length or position: an ad between two editorial paragraphs still reads like an ad.
PROMOTION_CUE_NAMES: tuple[str, ...] = (
    "layout:currency", "layout:pictographs", "layout:exclamations", "layout:percent", "layout:number_plus",
    "layout:has_url", "layout:has_email", "repetition:words_shared_in_document",
)


def promotion_cue_columns(groups: Sequence[str]) -> list[int]:
    """Where the :data:`PROMOTION_CUE_NAMES` that ``groups`` compute sit in their dense block."""
    names = dense_names(groups)
    return [names.index(name) for name in PROMOTION_CUE_NAMES if name in names]


def promotion_cues(layout: Layout | None, tokens: WordTokens | None, starts: np.ndarray,
                   groups: Sequence[str]) -> np.ndarray:
    """The columns :func:`promotion_cue_columns` picks out of :func:`dense_features`,
    computed without the rest of it (the detector scores every paragraph)."""
    columns = []
    for group, cue in (name.split(":") for name in PROMOTION_CUE_NAMES):
        if group in groups:  # the one repetition cue is the shared words
            columns.append(layout.matrix[:, LAYOUT_NAMES.index(cue)] if group == "layout"
                           else shared_words(tokens, starts))
    return np.column_stack(columns) if columns else np.zeros((int(starts[-1]), 0))


def uses_layout(groups: Sequence[str]) -> bool:
    """Whether the feature groups need :func:`layout_features`."""
    return "layout" in groups or "context" in groups


def dense_features(layout: Layout | None, tokens: WordTokens | None, keys: np.ndarray, starts: np.ndarray,
                   groups: Sequence[str]) -> np.ndarray | None:
    """The layout, context and repetition columns of one batch (None if all are off).

    ``layout`` is the batch's :func:`layout_features` (None unless :func:`uses_layout`),
    ``tokens`` the normalised texts' word tokens (None without repetition) and ``keys``
    their :func:`text_keys`."""
    dense = []
    if "layout" in groups:
        dense.append(layout.matrix)
    if "context" in groups:
        dense.append(context_features(layout, starts))
    if "repetition" in groups:
        dense.append(repetition_features(tokens, keys, starts))
    return np.hstack(dense) if dense else None
