"""Property-based tests: splitting, normalisation, features, Filter (issue #6)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import spamfilter
from spamfilter.feature_matrix import ParagraphFeatures
from spamfilter.normalize import normalize_text
from spamfilter.paragraphs import join_segments, segment, split_paragraphs
from spamfilter.scorer import LinearScorer

# Text with many separators and awkward characters, so splits actually happen.
texty = st.text(alphabet=st.one_of(st.sampled_from(list(" \t\r\n\n\x0b\x0c\u00a0\u2028\u3000ab.😀")), st.characters()),
                max_size=200)
modes = st.sampled_from(["blank", "lines"])
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MODEL = settings(FAST, max_examples=40)  # each example scores a document: keep the budget small


@FAST
@given(texty, modes)
def test_segment_round_trips_and_paragraphs_are_trimmed(text, mode):
    prefix, pieces = segment(text, mode)
    assert join_segments(prefix, pieces) == text
    assert prefix.strip() == ""
    for paragraph, separator in pieces:
        assert paragraph and paragraph == paragraph.strip()
        assert separator.strip() == ""
    assert split_paragraphs(text, mode) == [p for p, _ in pieces]


@FAST
@given(texty)
def test_lines_mode_refines_blank_mode(text):
    # Every "lines" paragraph lies inside exactly one "blank" paragraph.
    blank = split_paragraphs(text, "blank")
    lines = split_paragraphs(text, "lines")
    assert len(lines) >= len(blank)
    assert "".join("".join(p.split()) for p in lines) == "".join("".join(p.split()) for p in blank)


@FAST
@given(st.text(max_size=200))
def test_normalize_never_raises_and_has_no_outer_space(text):
    out = normalize_text(text)
    assert isinstance(out, str) and out == out.strip()


@FAST
@given(st.lists(st.text(max_size=80), min_size=1, max_size=8))
def test_features_never_raise_right_shape_finite(texts):
    features = ParagraphFeatures(hash_bits=10).fit(None)
    matrix = features.transform(texts)
    assert matrix.shape == (len(texts), 2**10 + features.n_features_out_)
    assert np.isfinite(matrix.data).all()


@FAST
@given(st.lists(st.one_of(texty, st.text(alphabet=st.sampled_from(list("ab \x00東京")), max_size=30)),
                min_size=1, max_size=8),
       st.integers(0, 2**32 - 1))
def test_scorer_sums_equal_the_feature_matrix_product(texts, seed):
    # The prediction path sums weights straight from the text; it must equal the matrix
    # that training sees, times the weights (NUL inside a text, CJK, empty texts included).
    features = ParagraphFeatures(hash_bits=10).fit(None)
    matrix = features.transform(texts)
    rng = np.random.default_rng(seed)
    scorer = LinearScorer(10, features.char_ngrams, features.word_ngrams, features.groups,
                          rng.normal(size=matrix.shape[1]), 0.3, None, 0.0, 0.5)
    got = scorer.logits(texts, np.array([0, len(texts)]))  # one stage, no calibration: the first pass
    np.testing.assert_allclose(got, matrix @ scorer.coef + 0.3, rtol=1e-9, atol=1e-9)


@FAST
@given(st.lists(st.one_of(texty, st.text(alphabet=st.sampled_from(list("ab \x00東京")), max_size=30)),
                min_size=1, max_size=8))
def test_token_counts_are_the_layout_word_counts(texts):
    # The calibration counts tokens with token_counts when a model has no layout group and
    # takes layout's count otherwise: both must agree.
    from spamfilter.features import feature_texts, layout_features, token_counts

    np.testing.assert_array_equal(token_counts(texts), layout_features(texts, feature_texts(texts)).words)


@pytest.fixture(scope="module")
def tiny_filter(tiny_model_dir):
    return spamfilter.Filter(spamfilter.load_model(tiny_model_dir))


@MODEL
@given(texty)
def test_filter_clean_never_raises_and_reconstructs(tiny_filter, text):
    from spamfilter.filtering import restore

    (cleaned,) = tiny_filter.clean_texts([text])
    assert restore(cleaned.text, cleaned.removed, tiny_filter.split_mode) == text


COUNCIL = "The council voted on Tuesday to expand the bus network to four routes."
EDITORIAL = "Officials said the plan would cost about 12 million euros over three years."


@MODEL
@example(paragraphs=["Home", EDITORIAL, EDITORIAL])
@example(paragraphs=[COUNCIL, COUNCIL, "Home"])
@given(st.lists(st.sampled_from(["Home", "Read more", "Log in", "Subscribe to our newsletter",
                                 "The council voted on Tuesday to expand the bus network to four routes.",
                                 EDITORIAL]),
                max_size=8))
def test_filter_clean_is_idempotent(tiny_filter, paragraphs):
    once = tiny_filter.clean("\n\n".join(paragraphs))
    assert tiny_filter.clean(once) == once
