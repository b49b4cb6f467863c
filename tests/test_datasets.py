"""Tests for the promotion corpus (datasets/*.jsonl) and the injection builder (datasets/build.py).

Runs on a tiny fixture of base documents written here, so /work/shared is not needed.
"""

from __future__ import annotations

import collections
import gzip
import json
import random
import subprocess
import sys

import pytest

from spamfilter.normalize import normalize_text

from conftest import DATASETS, load_dataset_script

build = load_dataset_script("build")
obfuscate = build.obfuscate
PROMOTIONS, HARD_NEGATIVES = build.load_records(DATASETS)

CATEGORIES = {
    "store_tagline", "autoblog_source", "newsletter", "social", "affiliate_disclosure", "crypto",
    "vpn_software", "casino", "health_supplement", "local_seo", "course", "related_posts",
    "sponsored_label", "donation", "app_download", "cookie_consent", "comment_form", "copyright_legal",
    "loans_finance", "site_prompt", "product_box", "dating", "pharmacy", "essay_services", "giveaway_survey",
    "work_from_home", "lead_generation", "travel_deals", "real_estate", "job_ads", "event_tickets", "web_hosting",
    "author_promo", "media_plug", "keyword_spam",
}

_EN = [
    "The city council voted on Tuesday to expand the bus network to three new districts.",
    "Officials said the first routes would open in the spring, pending a final budget review.",
    "Residents who spoke at the meeting were mostly in favour, though some worried about noise.",
    "The plan will cost about $40 million over five years, according to the transport department.",
    "Opposition members said the money would be better spent on repairing existing roads.",
]
_DE = [
    "Der Gemeinderat hat am Dienstag den Ausbau des Busnetzes beschlossen.",
    "Die ersten Linien sollen im Frühjahr fahren, teilte die Stadtverwaltung mit.",
    "Kritiker bemängeln die hohen Kosten des Projekts.",
]
_FR = ["Le conseil municipal a voté mardi l'extension du réseau de bus.", "Les premières lignes ouvriront au printemps."]
_ZH = ["市议会周二投票决定扩大公交网络。", "首批线路将于明年春季开通。", "部分居民担心噪音问题。"]


def fixture_documents() -> list[dict]:
    """24 small editorial documents in four languages (page ids stand in for benchmark ids)."""
    docs = []
    for i in range(24):
        lang, texts = [("en", _EN), ("en", _EN), ("de", _DE), ("fr", _FR), ("zh", _ZH)][i % 5]
        k = 2 + i % (len(texts) - 1)
        docs.append({"id": f"fixture/page-{i:02d}", "lang": lang, "url": None,
                     "paragraphs": [f"{t} ({i})" for t in texts[:k]]})
    return docs


@pytest.fixture(scope="module")
def small_build():
    return build.build(fixture_documents(), PROMOTIONS, HARD_NEGATIVES, seed=7, n_train=240, n_test=200)


# ----------------------------------------------------------------- committed data


def test_promotions_counts_and_fields():
    assert len(PROMOTIONS) >= 650
    for rec in PROMOTIONS:
        assert set(rec) == {"id", "text", "category", "family", "lang"}
        assert rec["text"].strip() == rec["text"] and rec["text"]
        assert rec["category"] in CATEGORIES
        assert rec["family"].startswith(rec["category"] + "/")
    assert {r["category"] for r in PROMOTIONS} == CATEGORIES and len(CATEGORIES) >= 18
    assert len({r["family"] for r in PROMOTIONS}) >= 150
    assert len({r["id"] for r in PROMOTIONS}) == len(PROMOTIONS)
    # one family = one campaign in one language
    langs = collections.defaultdict(set)
    for r in PROMOTIONS:
        langs[r["family"]].add(r["lang"])
    assert all(len(v) == 1 for v in langs.values())


def test_promotion_languages():
    langs = collections.Counter(r["lang"] for r in PROMOTIONS)
    non_en = {lang: n for lang, n in langs.items() if lang != "en"}
    assert len([lang for lang, n in non_en.items() if n >= 10]) >= 5
    assert sum(non_en.values()) / len(PROMOTIONS) >= 0.20
    # every language with 60+ promotions has two campaigns or more in every category, so the
    # builder can inject promotion in a page's own language on both sides of the family split
    families = collections.defaultdict(set)
    for r in PROMOTIONS:
        families[r["lang"], r["category"]].add(r["family"])
    major = [lang for lang, n in langs.items() if n >= 60]
    assert len(major) >= 22
    assert all(len(families[lang, category]) >= 2 for lang in major for category in CATEGORIES)


def test_promotion_texts_distinct():
    texts = [r["text"] for r in PROMOTIONS]
    assert len(set(texts)) == len(texts)
    assert len({normalize_text(t) for t in texts}) == len(texts)


def test_hard_negatives():
    assert len(HARD_NEGATIVES) >= 320
    for rec in HARD_NEGATIVES:
        assert set(rec) == {"id", "text", "topic", "near_category", "lang"}
        assert rec["text"] and rec["topic"] and rec["lang"]
    assert len({r["id"] for r in HARD_NEGATIVES}) == len(HARD_NEGATIVES)
    texts = [r["text"] for r in HARD_NEGATIVES]
    assert len(set(texts)) == len(texts)
    assert not set(texts) & {r["text"] for r in PROMOTIONS}
    assert len({r["lang"] for r in HARD_NEGATIVES} - {"en"}) >= 5


EDITORIAL = build.load_editorial_articles(DATASETS)
# Languages the promotions are written in whose benchmark pages hold little or no editorial text.
EDITORIAL_LANGUAGES = {"es", "it", "pt", "pl", "cs", "ru", "fr", "nl", "ja", "tr",
                       "ar", "el", "fa", "hu", "id", "ko", "uk", "vi"}


def test_editorial_articles():
    assert {a["lang"] for a in EDITORIAL} == EDITORIAL_LANGUAGES
    assert min(collections.Counter(a["lang"] for a in EDITORIAL).values()) >= 12
    assert len({a["id"] for a in EDITORIAL}) == len(EDITORIAL)
    texts = [t for a in EDITORIAL for t in a["paragraphs"]]
    assert all(5 <= len(a["paragraphs"]) <= 12 for a in EDITORIAL)
    assert all(t == t.strip() and t and "\n" not in t for t in texts)
    # the clean side of the classifier: no links, addresses or texts of the other two files
    assert not [t for t in texts if "http" in t or "www." in t or "@" in t]
    assert len({normalize_text(t) for t in texts}) == len(texts)
    assert not {normalize_text(t) for t in texts} & {normalize_text(r["text"]) for r in PROMOTIONS + HARD_NEGATIVES}


def test_editorial_articles_split_within_each_language():
    """Every language has articles on both sides, and adding them moves no benchmark page."""
    pages = fixture_documents()
    alone = build.build(pages, PROMOTIONS, HARD_NEGATIVES, seed=7, n_train=60, n_test=40)
    both = build.build(pages + EDITORIAL, PROMOTIONS, HARD_NEGATIVES, seed=7, n_train=600, n_test=400)
    side = {d["base_id"]: split for split in ("train", "test") for d in both[split]}
    lang = {a["id"]: a["lang"] for a in EDITORIAL}
    for code in EDITORIAL_LANGUAGES:
        assert {side[i] for i in side if lang.get(i) == code} == {"train", "test"}, code
    assert {d["base_id"] for d in alone["test"]} == {i for i in side if side[i] == "test" and i not in lang}
    article = {a["id"]: a["paragraphs"] for a in EDITORIAL}
    doc = next(d for d in both["train"] if d["base_id"] in article)
    kept = [p["text"] for p in doc["paragraphs"] if p["label"] == "content" and p["topic"] is None]
    assert kept == article[doc["base_id"]] and doc["lang"] == lang[doc["base_id"]]


def test_bad_editorial_file_names_file_and_line(tmp_path):
    (tmp_path / "editorial.jsonl").write_text('{"id": "team-es-001", "lang": "es", "paragraphs": ["Uno"]}\n{"id": oops}\n')
    with pytest.raises(ValueError, match=r"editorial\.jsonl:2: not valid JSON"):
        build.load_editorial_articles(tmp_path)
    (tmp_path / "editorial.jsonl").write_text('{"id": "team-es-001", "lang": "es", "paragraphs": []}\n')
    with pytest.raises(ValueError, match=r"article 1 \('team-es-001'\) needs .* non-empty list"):
        build.load_editorial_articles(tmp_path)


def test_family_split_covers_every_category():
    split = build.split_promotions(PROMOTIONS)
    sides = collections.defaultdict(set)
    for r in PROMOTIONS:
        sides[r["category"]].add(split[r["family"]])
    assert all(s == {"train", "test"} for s in sides.values()), sides
    share = sum(v == "test" for v in split.values()) / len(split)
    assert 0.15 <= share <= 0.35
    topics = build.split_hard_negatives(HARD_NEGATIVES)
    assert set(topics.values()) == {"train", "test"}


def test_split_is_stable_hash():
    assert build.stable_fraction("casino/luckyspin") == build.stable_fraction("casino/luckyspin")
    split = build.assign_split(["a", "b", "c", "d"], 0.25)
    assert split == build.assign_split(["d", "c", "b", "a"], 0.25)
    assert set(split.values()) == {"train", "test"}


def test_no_init_py():
    assert not (DATASETS / "__init__.py").exists()


# ----------------------------------------------------------------- obfuscation records


def test_variants_keep_family():
    rng = random.Random(3)
    for rec in PROMOTIONS[::25]:
        for var in obfuscate.variants(rec, rng, 3):
            assert var["family"] == rec["family"] and var["category"] == rec["category"]
            assert var["source_id"] == rec["id"] and var["obfuscation"] in obfuscate.OBFUSCATIONS
            assert var["text"] != rec["text"]


def test_obfuscation_deterministic():
    rec = PROMOTIONS[0]
    for name, fn in obfuscate.OBFUSCATIONS.items():
        assert fn(rec["text"], random.Random(5)) == fn(rec["text"], random.Random(5)), name


# ----------------------------------------------------------------- builder


def test_build_deterministic(tmp_path):
    docs = fixture_documents()
    a = build.build(docs, PROMOTIONS, HARD_NEGATIVES, seed=1, n_train=60, n_test=30)
    b = build.build(docs, PROMOTIONS, HARD_NEGATIVES, seed=1, n_train=60, n_test=30)
    c = build.build(docs, PROMOTIONS, HARD_NEGATIVES, seed=2, n_train=60, n_test=30)
    for split in ("train", "test"):
        assert build.gzip_jsonl_bytes(a[split]) == build.gzip_jsonl_bytes(b[split])
    assert build.gzip_jsonl_bytes(a["train"]) != build.gzip_jsonl_bytes(c["train"])
    build.write(tmp_path / "x", a, 1)
    build.write(tmp_path / "y", b, 1)
    for name in ("promotion-train.jsonl.gz", "promotion-test.jsonl.gz", "promotion-probe.jsonl.gz", "manifest.json"):
        assert (tmp_path / "x" / name).read_bytes() == (tmp_path / "y" / name).read_bytes()
    back = [json.loads(line) for line in gzip.open(tmp_path / "x" / "promotion-test.jsonl.gz", "rt", encoding="utf-8")]
    assert back == a["test"]
    manifest = json.loads((tmp_path / "x" / "manifest.json").read_text())
    assert manifest["seed"] == 1 and manifest["splits"]["train"]["documents"] == 60


def test_build_format(small_build):
    base_ids = {d["id"] for d in fixture_documents()}
    promo_text = {r["text"] for r in PROMOTIONS}
    family_lang = {r["family"]: r["lang"] for r in PROMOTIONS}
    negative_lang = {r["text"]: r["lang"] for r in HARD_NEGATIVES}
    for split, docs in small_build.items():
        assert docs
        for doc in docs:
            assert set(doc) == {"id", "source", "lang", "url", "base_id", "paragraphs"}
            assert doc["id"].startswith(f"promotion/{split}-") and doc["source"] == "promotion"
            assert doc["base_id"] in base_ids and isinstance(doc["lang"], str)
            assert len(doc["paragraphs"]) >= 2
            for p in doc["paragraphs"]:
                assert set(p) == {"text", "label", "category", "family", "obfuscation", "topic", "lang"}
                assert isinstance(p["text"], str) and p["text"].strip()
                assert p["label"] in {"content", "promotion"}
                if p["label"] == "promotion":
                    assert p["category"] in CATEGORIES and p["family"].startswith(p["category"] + "/")
                    assert p["topic"] is None
                    if p["obfuscation"] is None:
                        assert p["text"] in promo_text
                    assert p["lang"] == family_lang[p["family"]]  # its own, also in a document of another language
                else:
                    assert p["category"] is None and p["family"] is None and p["obfuscation"] is None
                    assert p["lang"] == (negative_lang[p["text"]] if p["topic"] else doc["lang"])
    assert any(p["lang"] != doc["lang"] for docs in small_build.values() for doc in docs for p in doc["paragraphs"]
               if p["label"] == "promotion")  # so the paragraph's language says more than the document's


def test_build_splits_disjoint(small_build):
    def collect(split, key):
        return {p[key] for d in small_build[split] for p in d["paragraphs"] if p[key] is not None}
    assert not collect("train", "family") & collect("test", "family")
    assert not collect("train", "topic") & collect("test", "topic")
    assert not {d["base_id"] for d in small_build["train"]} & {d["base_id"] for d in small_build["test"]}
    for split in ("train", "test"):
        cats = {p["category"] for d in small_build[split] for p in d["paragraphs"] if p["label"] == "promotion"}
        assert cats == CATEGORIES, (split, CATEGORIES - cats)


def test_build_placements(small_build):
    docs = small_build["train"]
    labels = [[p["label"] for p in d["paragraphs"]] for d in docs]
    assert any(ls[0] == "promotion" for ls in labels)                       # tagline on top
    assert any(ls[-1] == "promotion" for ls in labels)                      # footer lines
    assert any(all(l == "content" for l in ls) for ls in labels)            # untouched documents
    assert any(ls[i] == "promotion" and "content" in ls[:i] and "content" in ls[i + 1:]
               for ls in labels for i in range(len(ls)))                    # mid-article
    assert any(a == b == "promotion" for ls in labels for a, b in zip(ls, ls[1:]))   # adjacent lines
    assert any(d["paragraphs"][0]["family"] and d["paragraphs"][0]["family"] == d["paragraphs"][-1]["family"]
               for d in docs)                                               # same campaign top and bottom
    assert any(p["obfuscation"] for d in docs for p in d["paragraphs"])
    assert any(p["topic"] for d in docs for p in d["paragraphs"])           # hard negatives as content
    # non-English promotion goes mostly into documents of its language
    same = total = 0
    lang_of = {r["family"]: r["lang"] for r in PROMOTIONS}
    for d in docs:
        if d["lang"] == "de":
            for p in d["paragraphs"]:
                if p["family"]:
                    total += 1
                    same += lang_of[p["family"]] == "de"
    assert total and same / total > 0.5


def test_probe_places_each_test_promotion_mid_article_in_an_unseen_page_of_its_language(small_build):
    probe = small_build["probe"]
    fixture_langs = {d["lang"] for d in fixture_documents()}
    family_split = build.split_promotions(PROMOTIONS)
    page_split = build.assign_split([d["id"] for d in fixture_documents()])
    expected = sorted(r["text"] for r in PROMOTIONS
                      if family_split[r["family"]] == "test" and r["lang"] in fixture_langs)
    promotions = []
    for doc in probe:
        labels = [p["label"] for p in doc["paragraphs"]]
        assert labels.count("promotion") == 1
        index = labels.index("promotion")
        assert 0 < index < len(labels) - 1                          # between two editorial paragraphs
        promo = doc["paragraphs"][index]
        assert promo["lang"] == doc["lang"] and promo["obfuscation"] is None
        assert family_split[promo["family"]] == "test" and page_split[doc["base_id"]] == "test"
        promotions.append(promo["text"])
    assert sorted(promotions) == expected                           # every one, once


def test_build_help():
    out = subprocess.run([sys.executable, str(DATASETS / "build.py"), "--help"], capture_output=True, text=True, check=True)
    assert "--seed" in out.stdout and "--out" in out.stdout and "--shared" in out.stdout
