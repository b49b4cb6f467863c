#!/usr/bin/env python3
"""Build documents with injected promotion from editorial pages (see datasets/README.md).

    python datasets/build.py --out build/promotion --seed 0

Base documents are the ``content`` paragraphs of the pages in the shared benchmark
files (read at build time, never copied into the repository) and the team's own
editorial articles (``datasets/editorial.jsonl``). Promotion paragraphs
(``datasets/promotions.jsonl``, plus obfuscated variants from ``obfuscate.py``) are
inserted where content farms put them: a tagline before the first paragraph, one or
two lines after the last (often adjacent), sometimes the same tagline top and bottom,
occasionally one mid-article. Hard negatives (``datasets/hard_negatives.jsonl``) are
inserted as ``content``. Train and test use disjoint promotion families, hard-negative
topics and base pages (``assign_split``).

Output: ``<out>/promotion-{train,test,probe}.jsonl.gz`` in the shared benchmark format with
``"source": "promotion"``, labels ``content`` / ``promotion``, per paragraph
``category``, ``family``, ``obfuscation`` and ``topic`` (null where not applicable),
per document ``base_id``; plus ``<out>/manifest.json``. Same seed => same bytes. The
probe file places each test-family promotion mid-article in a test page of its own
language (:func:`same_language_probe`), the realistic case the test split has little of.

Tests import this file by path; :func:`build` takes the base documents as an argument.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import hashlib
import importlib.util
import io
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_SHARED = REPO.parent / "shared" / "datasets" / "benchmarks"
TEST_SHARE = 0.25


def _load_obfuscate():
    spec = importlib.util.spec_from_file_location("_promotion_obfuscate", HERE / "obfuscate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


obfuscate = _load_obfuscate()

# Where each category is injected (weights per slot). "ads" = campaign-style promotion.
_ADS = ["crypto", "vpn_software", "casino", "health_supplement", "local_seo", "course", "loans_finance",
        "dating", "pharmacy", "essay_services", "giveaway_survey", "work_from_home", "lead_generation",
        "travel_deals", "real_estate", "job_ads", "event_tickets", "web_hosting"]
TOP_WEIGHTS = {"store_tagline": 10, "sponsored_label": 3, "cookie_consent": 3, "app_download": 2,
               "site_prompt": 2, "newsletter": 1, "media_plug": 1, **{c: 1 for c in _ADS}}
BOTTOM_WEIGHTS = {"autoblog_source": 8, "store_tagline": 6, "social": 4, "newsletter": 3,
                  "affiliate_disclosure": 3, "donation": 2, "comment_form": 3, "copyright_legal": 3,
                  "related_posts": 3, "product_box": 2, "site_prompt": 2, "app_download": 1, "cookie_consent": 1,
                  "author_promo": 2, "media_plug": 2, "keyword_spam": 2, **{c: 1 for c in _ADS}}
MID_WEIGHTS = {"related_posts": 5, "sponsored_label": 3, "newsletter": 3, "product_box": 3, "app_download": 2,
               "site_prompt": 2, "social": 1, "affiliate_disclosure": 1, "donation": 1, "media_plug": 2,
               "author_promo": 1, "keyword_spam": 1, **{c: 2 for c in _ADS}}


# --------------------------------------------------------------------------- inputs

def read_jsonl(path: Path) -> list[dict]:
    """Records of a (optionally gzipped) JSONL file; ValueError naming the file and line of a bad one."""
    opener = gzip.open if str(path).endswith(".gz") else open
    records = []
    with opener(path, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: not valid JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise ValueError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
            records.append(record)
    return records


def load_records(datasets_dir: Path = HERE) -> tuple[list[dict], list[dict]]:
    """The committed promotions and hard negatives."""
    return read_jsonl(datasets_dir / "promotions.jsonl"), read_jsonl(datasets_dir / "hard_negatives.jsonl")


def load_editorial_articles(datasets_dir: Path = HERE) -> list[dict]:
    """The team's editorial articles (``editorial.jsonl``), as base documents.

    The benchmark pages hold little editorial text in most languages the promotions are
    written in (a few hundred paragraphs of Spanish or Polish, almost none of Italian or
    Japanese), so promotion in those languages could only be learned against English
    prose. Each language's articles are split on their own (``split_group``), so every
    language has articles on both sides.
    """
    path = datasets_dir / "editorial.jsonl"
    articles = read_jsonl(path)
    for number, article in enumerate(articles, 1):
        texts = article.get("paragraphs")
        if not (isinstance(article.get("id"), str) and isinstance(article.get("lang"), str) and isinstance(texts, list)
                and texts and all(isinstance(t, str) and t.strip() for t in texts)):
            raise ValueError(f"{path}: article {number} ({article.get('id')!r}) needs a string id and lang and a "
                             f"non-empty list of non-empty paragraph strings")
    return [{"id": a["id"], "lang": a["lang"], "url": None, "paragraphs": a["paragraphs"],
             "split_group": f"team:{a['lang']}"} for a in articles]


def load_base_documents(shared_dir: Path, max_paragraphs: int = 40, min_paragraphs: int = 2) -> list[dict]:
    """Editorial documents: the ``content`` paragraphs of every shared benchmark page.

    Returns ``{"id", "lang", "url", "paragraphs": [str, ...]}`` sorted by id; pages with
    fewer than ``min_paragraphs`` content paragraphs are skipped, long ones truncated.
    """
    docs = []
    for path in sorted(Path(shared_dir).glob("*.jsonl.gz")):
        for page in read_jsonl(path):
            texts = [p["text"] for p in page["paragraphs"] if p.get("label") == "content"]
            if len(texts) >= min_paragraphs:
                docs.append({"id": page["id"], "lang": page.get("lang") or "und",
                             "url": page.get("url"), "paragraphs": texts[:max_paragraphs]})
    docs.sort(key=lambda d: d["id"])
    return docs


# --------------------------------------------------------------------------- splits

def stable_fraction(key: str) -> float:
    """Deterministic number in [0, 1) from a string (first 8 bytes of SHA-1)."""
    return int.from_bytes(hashlib.sha1(key.encode("utf-8")).digest()[:8], "big") / 2.0**64


def assign_split(keys, test_share: float = TEST_SHARE, group_of=None) -> dict[str, str]:
    """Map each key to "train"/"test": test iff ``stable_fraction(key) < test_share``.

    Repair, per group (``group_of(key)``, default one group): if a group with >= 2 keys
    has no test key, its key with the smallest fraction goes to test; if it has no
    train key, its key with the largest fraction goes to train.
    """
    group_of = group_of or (lambda k: "")
    split = {k: "test" if stable_fraction(k) < test_share else "train" for k in set(keys)}
    groups = collections.defaultdict(list)
    for k in split:
        groups[group_of(k)].append(k)
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=stable_fraction)
        if all(split[k] == "train" for k in members):
            split[members[0]] = "test"
        if all(split[k] == "test" for k in members):
            split[members[-1]] = "train"
    return split


def split_promotions(promotions: list[dict], test_share: float = TEST_SHARE) -> dict[str, str]:
    """family -> split, with every category on both sides."""
    category = {p["family"]: p["category"] for p in promotions}
    return assign_split(category, test_share, category.get)


def split_hard_negatives(hard_negatives: list[dict], test_share: float = TEST_SHARE) -> dict[str, str]:
    """topic -> split."""
    return assign_split({h["topic"] for h in hard_negatives}, test_share)


# --------------------------------------------------------------------------- injection

class _Pool:
    """Promotion records of one split, indexed by category, language and family."""

    def __init__(self, records: list[dict]):
        self.by_cat = collections.defaultdict(lambda: collections.defaultdict(list))
        for r in records:
            self.by_cat[r["category"]][r["family"]].append(r)
        self.cat_lang = collections.defaultdict(lambda: collections.defaultdict(list))
        for cat, fams in sorted(self.by_cat.items()):
            for fam, recs in sorted(fams.items()):
                self.cat_lang[cat][recs[0]["lang"]].append(fam)
        self.categories = sorted(self.by_cat)

    def family(self, rng: random.Random, category: str, lang: str) -> str:
        """A family of ``category``, preferably in the document's language."""
        langs = self.cat_lang[category]
        same = langs.get(lang)
        if same and rng.random() < (0.85 if lang != "en" else 0.9):
            return rng.choice(same)
        return rng.choice(sorted(f for fams in langs.values() for f in fams))

    def record(self, rng: random.Random, family: str) -> dict:
        return rng.choice(self.by_cat[family.split("/")[0]][family])


def _pick(rng: random.Random, weights: dict[str, int], available) -> str:
    cats = [c for c in sorted(weights) if c in available]
    return rng.choices(cats, weights=[weights[c] for c in cats])[0]


def _promo_paragraph(rng: random.Random, record: dict, obfuscation_rate: float) -> dict:
    text, obf = record["text"], None
    if rng.random() < obfuscation_rate:
        variants = obfuscate.variants(record, rng, 1)
        if variants:
            text, obf = variants[0]["text"], variants[0]["obfuscation"]
    return {"text": text, "label": "promotion", "category": record["category"],
            "family": record["family"], "obfuscation": obf, "topic": None, "lang": record["lang"]}


def _content(text: str, lang: str, topic: str | None = None) -> dict:
    return {"text": text, "label": "content", "category": None, "family": None,
            "obfuscation": None, "topic": topic, "lang": lang}


def inject(rng: random.Random, base: dict, pool: _Pool, negatives: list[dict],
           obfuscation_rate: float = 0.12, no_promotion_rate: float = 0.15,
           hard_negative_rate: float = 0.35) -> list[dict]:
    """Paragraph list of one document: ``base`` content plus promotion and hard negatives."""
    lang = base["lang"]
    body = [_content(t, lang) for t in base["paragraphs"]]
    if negatives and rng.random() < hard_negative_rate:
        same = [h for h in negatives if h["lang"] == lang]
        for _ in range(rng.choice((1, 1, 2))):
            neg = rng.choice(same if same and rng.random() < 0.9 else negatives)
            body.insert(rng.randint(0, len(body)), _content(neg["text"], neg["lang"], neg["topic"]))
    if rng.random() < no_promotion_rate:
        return body

    def promo(weights, family=None):
        fam = family or pool.family(rng, _pick(rng, weights, pool.by_cat), lang)
        return _promo_paragraph(rng, pool.record(rng, fam), obfuscation_rate), fam

    top, bottom = [], []
    top_family = None
    if rng.random() < 0.6:
        p, top_family = promo(TOP_WEIGHTS)
        top.append(p)
        if rng.random() < 0.1:  # e.g. a cookie notice above the tagline
            top.insert(0, promo(TOP_WEIGHTS)[0])
    if rng.random() < 0.85:
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            bottom.append(promo(BOTTOM_WEIGHTS)[0])
        if top_family and rng.random() < 0.35:  # same campaign top and bottom
            bottom.append(promo(None, top_family)[0])
    if len(body) >= 3 and rng.random() < 0.2:
        body.insert(rng.randint(1, len(body) - 1), promo(MID_WEIGHTS)[0])
    if not top and not bottom and all(p["label"] == "content" for p in body):
        bottom.append(promo(BOTTOM_WEIGHTS)[0])
    return top + body + bottom


def _sample_bases(rng: random.Random, bases: list[dict], n: int) -> list[dict]:
    """``n`` base documents, cycling through shuffled copies (non-English slightly favoured)."""
    weighted = bases + [b for b in bases if b["lang"] not in ("en", "und")]
    out = []
    while len(out) < n and weighted:
        order = weighted[:]
        rng.shuffle(order)
        out.extend(order[: n - len(out)])
    return out


def build(base_docs: list[dict], promotions: list[dict], hard_negatives: list[dict], seed: int = 0,
          n_train: int = 3000, n_test: int = 1000, test_share: float = TEST_SHARE,
          obfuscation_rate: float = 0.12) -> dict[str, list[dict]]:
    """Return ``{"train": docs, "test": docs, "probe": docs}``; deterministic from ``seed`` and the inputs."""
    fam_split = split_promotions(promotions, test_share)
    topic_split = split_hard_negatives(hard_negatives, test_share)
    split_group = {d["id"]: d.get("split_group", "") for d in base_docs}
    page_split = assign_split(list(split_group), test_share, split_group.get)
    result = {}
    for split, n in (("train", n_train), ("test", n_test)):
        rng = random.Random(f"{seed}:{split}")
        pool = _Pool([p for p in promotions if fam_split[p["family"]] == split])
        negs = [h for h in hard_negatives if topic_split[h["topic"]] == split]
        bases = [d for d in base_docs if page_split[d["id"]] == split]
        docs = []
        for i, base in enumerate(_sample_bases(rng, bases, n)):
            docs.append({"id": f"promotion/{split}-{i:05d}", "source": "promotion", "lang": base["lang"],
                         "url": base.get("url"), "base_id": base["id"],
                         "paragraphs": inject(rng, base, pool, negs, obfuscation_rate)})
        result[split] = docs
    rng = random.Random(f"{seed}:probe")
    test_pages = [d for d in base_docs if page_split[d["id"]] == "test"]
    result["probe"] = same_language_probe(rng, test_pages, [p for p in promotions if fam_split[p["family"]] == "test"])
    return result


def same_language_probe(rng: random.Random, pages: list[dict], promotions: list[dict]) -> list[dict]:
    """One document per promotion: the promotion, as written, between two editorial
    paragraphs of a page in its own language.

    A real injected ad mostly shares its page's language, and mid-article is where it is
    hardest to catch; the test split has little of either (a category often has no test
    family in the page's language, so the builder falls back to another). Promotions of a
    language no page is written in are left out. Documents with 3+ paragraphs.
    """
    by_lang = collections.defaultdict(list)
    for page in pages:
        by_lang[page["lang"]].append(page)
    docs = []
    for record in sorted(promotions, key=lambda r: r["id"]):
        candidates = by_lang.get(record["lang"])
        if not candidates:
            continue
        base = rng.choice(candidates)
        body = [_content(t, base["lang"]) for t in base["paragraphs"]]
        body.insert(rng.randint(1, len(body) - 1), _promo_paragraph(rng, record, 0.0))
        docs.append({"id": f"promotion/probe-{len(docs):05d}", "source": "promotion", "lang": base["lang"],
                     "url": base.get("url"), "base_id": base["id"], "paragraphs": body})
    return docs


# --------------------------------------------------------------------------- output

def gzip_jsonl_bytes(records: list[dict]) -> bytes:
    """Gzip of one JSON object per line; mtime=0 and no file name, so bytes are reproducible."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        for r in records:
            gz.write((json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8"))
    return buf.getvalue()


def manifest(result: dict[str, list[dict]], seed: int) -> dict:
    """Counts per split (documents, paragraphs, categories, languages, ...)."""
    out = {"seed": seed, "splits": {}}
    for split, docs in result.items():
        paras = [p for d in docs for p in d["paragraphs"]]
        promos = [p for p in paras if p["label"] == "promotion"]
        adjacent = sum(any(a["label"] == b["label"] == "promotion" for a, b in zip(d["paragraphs"], d["paragraphs"][1:]))
                       for d in docs)
        out["splits"][split] = {
            "documents": len(docs),
            "documents_without_promotion": sum(all(p["label"] == "content" for p in d["paragraphs"]) for d in docs),
            "documents_with_adjacent_promotions": adjacent,
            "base_pages": len({d["base_id"] for d in docs}),
            "content_paragraphs": len(paras) - len(promos),
            "hard_negative_paragraphs": sum(p["topic"] is not None for p in paras),
            "promotion_paragraphs": len(promos),
            "obfuscated_promotions": sum(p["obfuscation"] is not None for p in promos),
            "promotion_families": len({p["family"] for p in promos}),
            "promotion_categories": dict(sorted(collections.Counter(p["category"] for p in promos).items())),
            "document_languages": dict(collections.Counter(d["lang"] for d in docs).most_common()),
        }
    return out


def write(out_dir: Path, result: dict[str, list[dict]], seed: int) -> dict:
    """Write the two gzip JSONL files and manifest.json; return the manifest."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for split, docs in result.items():
        (out_dir / f"promotion-{split}.jsonl.gz").write_bytes(gzip_jsonl_bytes(docs))
    info = manifest(result, seed)
    (out_dir / "manifest.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Output: <out>/promotion-train.jsonl.gz, <out>/promotion-test.jsonl.gz, "
                                        "<out>/promotion-probe.jsonl.gz (each test-family promotion mid-article "
                                        "in a test page of its own language), <out>/manifest.json. "
                                        "Same seed => byte-identical files.")
    ap.add_argument("--out", type=Path, default=REPO / "build" / "promotion", help="output folder (default: build/promotion)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                    help="folder with the benchmark *.jsonl.gz pages (default: ../shared/datasets/benchmarks from the repo root)")
    ap.add_argument("--train-docs", type=int, default=3000, help="training documents (default 3000)")
    ap.add_argument("--test-docs", type=int, default=1000, help="test documents (default 1000)")
    ap.add_argument("--test-share", type=float, default=TEST_SHARE, help="hash share of families/topics/pages in test (0.25)")
    ap.add_argument("--obfuscation-rate", type=float, default=0.12, help="share of injected promotions obfuscated (0.12)")
    ap.add_argument("--max-paragraphs", type=int, default=40, help="keep at most this many content paragraphs per page (40)")
    ap.add_argument("--without-team-articles", action="store_true",
                    help="base documents from the benchmark pages only, not also the team's editorial.jsonl "
                         "(the corpus as built before 2026-11-30)")
    args = ap.parse_args(argv)
    bases = load_base_documents(args.shared, args.max_paragraphs)
    if not bases:
        ap.error(f"no benchmark pages found in {args.shared}")
    try:
        if not args.without_team_articles:
            bases += load_editorial_articles()
        promotions, negatives = load_records()
    except ValueError as error:
        ap.error(str(error))
    result = build(bases, promotions, negatives, args.seed, args.train_docs, args.test_docs,
                   args.test_share, args.obfuscation_rate)
    info = write(args.out, result, args.seed)
    for split, counts in info["splits"].items():
        print(f"{split}: {counts['documents']} documents, {counts['promotion_paragraphs']} promotion / "
              f"{counts['content_paragraphs']} content paragraphs -> {args.out}/promotion-{split}.jsonl.gz")
    return 0


if __name__ == "__main__":
    sys.exit(main())
