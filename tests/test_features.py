"""Shape n-grams and layout marks: what a paragraph looks like, whatever its language."""

from __future__ import annotations

import numpy as np

from spamfilter.features import (FEATURE_GROUPS, LAYOUT_NAMES, PROMOTION_CUE_NAMES, REPETITION_NAMES, HashedBatch,
                                 dense_features, dense_names, feature_texts, hash_ngrams, layout_features,
                                 promotion_cue_columns, promotion_cues, repetition_features, shape_batch,
                                 text_keys)


def shapes(texts: list[str]) -> list[str]:
    batch = shape_batch(texts)
    text = batch.codes.tobytes().decode("utf-32-le")
    return [text[begin:end] for begin, end in zip(batch.starts[:-1], batch.starts[1:])]


def test_each_word_becomes_its_casing_class_and_punctuation_stays():
    assert shapes(["Home | About us", "Posted by: John SMITH, 3 May 2020", "首页|艺术快讯 2024", "", "a\x00b",
                   "iPhone X1 Ä"]) == [
        " W|Wa \x00", " Wa:WA,9W9 \x00", " C|C9 \x00", "  \x00", " aa \x00", " aAW \x00"]


def test_menus_in_two_languages_share_their_shape_columns():
    def shape_columns(text: str) -> set[int]:
        occurrences = hash_ngrams(HashedBatch([text]), 12, None, None, shape_batch([text]))
        return set(np.concatenate(occurrences.columns).tolist())

    german, english = shape_columns("Startseite | Kontakt | Impressum"), shape_columns("Home | Contact | Imprint")
    assert german and german == english
    assert shape_columns("The rover found rocks, scientists said.") != english


def test_a_korean_or_thai_run_has_the_shape_of_a_word_not_of_a_cjk_run():
    # Korean puts spaces between words and Thai between phrases: their prose has the shape
    # of any uncased script's prose, not that of a spaced CJK menu ("首页 新闻 体育"), which is
    # one "C" per item. (Their characters stay word tokens, as Chinese characters are.)
    assert shapes(["도서관은 옛 교실 네 칸을 터서 만들었다.", "首页 新闻 体育", "Ο σταθμός άνοιξε ξανά.",
                   "รถโดยสารไฟฟ้า เริ่มวิ่งแล้ว"]) == [" aaaaaaa. \x00", " CCC \x00", " Waaa. \x00", " aa \x00"]


def test_combining_marks_belong_to_their_word():
    # Devanagari and Thai vowel signs, and an accent left decomposed, are not punctuation.
    assert shapes(["भारत की राजधानी नई दिल्ली है।", "ประเทศไทยมีประชากรมาก", "Cafe\u0301 ouvert"]) == [
        " aaaaaa। \x00", " a \x00", " Wa \x00"]



def test_promotion_marks_are_read_in_any_script():
    texts = ["खेलबाज़ी क्लब: ₹10,000 तक का बोनस!! 🔥 18+ | ज़िम्मेदारी से खेलें।",
             "בונוס הצטרפות של עד 500 ₪ ! 200% ‰",
             "Two plus two: 2+2 is 4, and the index rose 5 points.",
             ""]
    layout = layout_features(texts, [text.lower() for text in texts])
    marks = ("currency", "pictographs", "exclamations", "percent", "number_plus")
    columns = layout.matrix[:, [LAYOUT_NAMES.index(mark) for mark in marks]]
    np.testing.assert_allclose(columns, [[1, 1 / 3, 2 / 3, 0, 1],
                                         [1, 0, 1 / 3, 1, 0],
                                         [0, 0, 0, 0, 0],
                                         [0, 0, 0, 0, 0]])


def test_an_articles_paragraphs_share_its_words_and_an_injected_line_does_not():
    article = ["The Mars rover found water ice near the crater.",
               "Scientists said the crater water could support a base.",
               "Buy cheap shoes online today with free shipping!",
               "Rover operators will study the crater ice next year."]
    texts = feature_texts([*article, "Scientists said the crater water could support a base."])
    shared = repetition_features(HashedBatch(texts).word_tokens(), text_keys(texts), np.array([0, 4, 5]))
    # "mars rover found water near crater": rover, water and crater recur (ice is too short)
    np.testing.assert_allclose(shared[:, REPETITION_NAMES.index("words_shared_in_document")],
                               [3 / 6, 2 / 7, 0, 2 / 7, 0])  # the last is alone in its document


def test_articles_written_without_spaces_between_words_share_their_character_words():
    chinese = ["火星车在陨石坑附近发现水冰", "科学家说陨石坑的水冰可以支持基地", "立即购买便宜鞋子"]
    korean = ["화성 탐사선이 분화구에서 얼음을 발견했다", "과학자들은 분화구 얼음이 기지를 지원할 수 있다고 말했다",
              "지금 바로 구매하세요"]
    thai = ["นักวิทยาศาสตร์พบน้ำแข็งบนดาวอังคาร", "น้ำแข็งบนดาวอังคารอาจช่วยมนุษย์", "ซื้อรองเท้าราคาถูก"]
    texts = feature_texts([*chinese, *korean, *thai])
    shared = repetition_features(HashedBatch(texts).word_tokens(), text_keys(texts), np.array([0, 3, 6, 9]))
    words_shared = shared[:, REPETITION_NAMES.index("words_shared_in_document")]
    # Chinese, two characters a word: 陨石 石坑 水冰 of 12 and of 15 bigrams.
    # Korean, bigrams inside each spaced word: 분화 화구 얼음 했다 of 13 and of 16 (수 is one syllable).
    np.testing.assert_allclose(words_shared[:6], [3 / 12, 3 / 15, 0, 4 / 13, 4 / 16, 0])
    # Thai, four letters a word: "น้ำแข็งบนดาวอังคาร" (ice on Mars) is in both sentences.
    assert words_shared[6] > 0.4 and words_shared[7] > 0.5 and words_shared[8] == 0


def test_the_detectors_cues_are_the_dense_columns_of_their_names():
    texts = ["Deal of the day: $5 off, 20% more!", "The rover found ice.", "Rover crews study ice 🔥 www.x.com",
             "Elsewhere, 18+ only: ads@x.org"]
    normalised = feature_texts(texts)
    layout, tokens, starts = layout_features(texts, normalised), HashedBatch(normalised).word_tokens(), np.array([0, 3, 4])
    for groups in (FEATURE_GROUPS, ("words", "layout"), ("repetition",), ("words",)):
        dense = dense_features(layout, tokens, text_keys(normalised), starts, groups)
        columns = promotion_cue_columns(groups)
        assert [dense_names(groups)[c] for c in columns] == [n for n in PROMOTION_CUE_NAMES if n.split(":")[0] in groups]
        expected = dense[:, columns] if columns else np.zeros((4, 0))
        np.testing.assert_array_equal(promotion_cues(layout, tokens, starts, groups), expected)
    assert promotion_cues(layout, tokens, starts, FEATURE_GROUPS).any(axis=0).all()  # every cue fires once here
