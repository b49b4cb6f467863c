"""Tests for spamfilter.normalize.normalize_text (examples + hypothesis properties)."""

from __future__ import annotations

import difflib
import json
import random

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from spamfilter.normalize import normalize_text, normalize_texts

from conftest import DATASETS, load_dataset_script

obfuscate = load_dataset_script("build").obfuscate
PROMOTIONS = [json.loads(line) for line in (DATASETS / "promotions.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("raw, expected", [
    ("Hello   World\n\t!", "hello world !"),
    ("ＦＲＥＥ ＳＰＩＮＳ", "free spins"),
    ("F\u200bR\u200dE\ufeffE spins", "free spins"),
    ("C4S1N0 bonus", "casino bonus"),
    ("fr3e sp1ns", "free spins"),
    ("b0nus c0d3", "bonus code"),
    ("ca$ino", "casino"),
    ("F R E E   S P I N S today", "free spins today"),
    ("claim your f r e e spins", "claim your free spins"),
    ("WIN!!!!! now???", "win! now?"),
    ("Wait....", "wait."),
    ("Сlаim уоur bоnus", "claim your bonus"),          # Cyrillic look-alikes in Latin words
    ("Cαsinο", "casino"),                               # Greek look-alikes
    ("Straße", "strasse"),
])
def test_examples_fold(raw, expected):
    assert normalize_text(raw) == expected


@pytest.mark.parametrize("raw", [
    "covid-19 cases rose in 2024",
    "the mp3 player and 5g phones",
    "windows 10, win10, 4x4 and a 3d printer",
    "москва и санкт-петербург",                        # genuine Cyrillic stays
    "η αθήνα είναι η πρωτεύουσα",                        # genuine Greek stays
    "比特币价格周四跌破4万美元",
    "plan b for 2025: 1,000 jobs at 3.5%",
])
def test_examples_left_alone(raw):
    assert normalize_text(raw) == " ".join(raw.casefold().split())


def test_empty_and_whitespace():
    assert normalize_text("") == ""
    assert normalize_text(" \u200b\n\t ") == ""


# Alphabet that concentrates on the tricky parts: Latin, look-alikes, leet digits,
# spaces of several kinds, repeated punctuation, combining marks, invisibles.
_TRICKY = st.text(
    alphabet=st.sampled_from(list("abcesxyoiAEIOST01345789 $!?.-_") + list("аеосрхуАЕОСαοεηνΖ")
                             + ["\u200b", "\u00a0", "\t", "\n", "\u0301", "\u0308", "ß", "ﬁ", "Ｆ", "ǅ", "ς", "İ"]),
    max_size=40)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), _TRICKY))
@example("A0А0\u03000К")  # four passes of folding: one leet digit enables the next (found by CI)
def test_never_raises_and_idempotent(text):
    once = normalize_text(text)
    assert isinstance(once, str)
    assert normalize_text(once) == once
    assert once == once.strip() and "  " not in once


def test_batch_equals_one_by_one_on_every_kind_of_cue():
    texts = ["plain text here", "", "F R E E   S P I N S", "a b c", "say a b", "x y", "WIN!!!", "ok..", "--",
             "c4s1n0", "ca$ino", "Сlаim", "nul\x00inside", "ends with a b", "\U0001d5d9\U0001d5e5 \U0001d5e6", "Straße",
             *[p["text"] for p in PROMOTIONS[:200]]]
    assert normalize_texts(texts) == [normalize_text(t) for t in texts]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.text(max_size=60), _TRICKY), max_size=12))
def test_batch_equals_one_by_one(texts):
    assert normalize_texts(texts) == [normalize_text(t) for t in texts]


# Texts where the batch's shortcuts (lower-casing, a vectorised scan over the batch laid
# end to end with NULs, then strip) could part from the exact path: NUL, lone surrogates,
# combining marks at either end (which must not compose across texts), Turkish and German
# case mappings, full-width and mathematical letters, invisible characters with and
# without another unprintable one, text that NFKC or casefold lengthens or shortens,
# every kind of whitespace, characters beyond the Basic Multilingual Plane next to a
# spaced-out word, and each cue of steps 3-7 at a text's edge.
_BATCH_CASES = [
    "", " ", "  ", "\x00", "a\x00b", " \x00 ", "\ud800", "x \udfff y", "\udbff\udc00",
    "\u0301", "\u0301abc", "abc\u0301", "e\u0301", "\u0308o", "ı", "I", "İstanbul", "KAYISI", "ΟΔΟΣ", "ς",
    "Straße", "STRASSE", "ß", "ẞ", "ＦＲＥＥ ＳＰＩＮＳ", "\U0001d5d9\U0001d5e5", "ﬁne", "ǅ", "㎒", "½", "ﾊﾟ",
    "F\u200bR\u200dE\ufeffE", "\u200b", "a\u034fb", "a\xa0b\u034f", "\u00ad", "\u2060x\u2060",
    "a\tb", "a\nb", "a\u2028b", "a\u3000b", "a\x1fb", "a\x7fb", "\xa0", " a ", "a  b", "\xa0 x",
    "x a b\U0001F600", "\U0001F600 a b c", "x a b\U00010400", "x a b", "a b", "b c", "!", "!!", "..", "$",
    "ca$ino", "c4", "4s", "c4s1n0", "Сlаim", "а", "x\ue000", "\U000e0001en", "\U0010ffff",
]


def test_batch_equals_one_by_one_on_tricky_texts():
    expected = {text: normalize_text(text) for text in _BATCH_CASES}
    assert normalize_texts(_BATCH_CASES) == list(expected.values())
    for text in _BATCH_CASES:  # every pair, so each case also sits at both ends of a neighbour
        pairs = [(text, other) for other in _BATCH_CASES]
        flat = [t for pair in pairs for t in pair]
        assert normalize_texts(flat) == [expected[t] for t in flat], text


_ODD = st.text(alphabet=st.one_of(
    st.characters(codec=None, categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Lu", "Ll", "So")),
    st.sampled_from([c for c in "".join(_BATCH_CASES)] + list(" ab1$!")),
), max_size=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.text(max_size=60), _TRICKY, _ODD), max_size=12))
def test_batch_equals_one_by_one_on_odd_unicode(texts):
    assert normalize_texts(texts) == [normalize_text(t) for t in texts]


EXACT = {"homoglyph", "fullwidth", "zero_width", "spaced", "leet", "caps"}


def normalized_original(record: dict, name: str) -> str:
    """What an obfuscation of ``record`` folds back to. Turkish dotless ı upper-cases to I,
    which case-folds to a dotted i: Unicode case mapping cannot be undone there."""
    original = normalize_text(record["text"])
    return original.replace("ı", "i") if name.startswith("caps") else original


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PROMOTIONS), st.sampled_from(sorted(obfuscate.OBFUSCATIONS)), st.integers(0, 2**32))
def test_obfuscations_fold_back(record, name, seed):
    original = normalized_original(record, name)
    disguised = obfuscate.OBFUSCATIONS[name](record["text"], random.Random(seed))
    folded = normalize_text(disguised)
    if name in EXACT:
        assert folded == original
    else:  # repeated punctuation: equal up to an added trailing "!"
        assert folded.rstrip("!.") == original.rstrip("!.") or \
            difflib.SequenceMatcher(None, folded, original).ratio() >= 0.9


def test_every_obfuscation_on_every_promotion():
    """Deterministic sweep (hypothesis samples; this covers all records once)."""
    rng = random.Random(0)
    for record in PROMOTIONS:
        for name, fn in obfuscate.OBFUSCATIONS.items():
            original = normalized_original(record, name)
            folded = normalize_text(fn(record["text"], rng))
            if name in EXACT:
                assert folded == original, (name, record["text"])
            else:
                assert folded.rstrip("!.") == original.rstrip("!."), (name, record["text"])


def test_spaced_out_letters_join_before_casefold_expands_one_into_two():
    # Casefold turns "ß" into "ss"; joined afterwards, the run would break at it.
    assert normalize_text("a b s c h l i e ß e n") == normalize_text("abschließen") == "abschliessen"
    assert normalize_texts(["J e t z t  a b s c h l i e ß e n"]) == ["jetzt abschliessen"]
