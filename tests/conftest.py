"""Shared fixtures: small literal corpora written by the team and a tiny trained model."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATASETS = Path(__file__).resolve().parents[1] / "datasets"
SEED_ARTICLE = SHARED / "seeds" / "scraped-article-with-injected-promotion.txt"

EDITORIAL = [
    "The city council voted on Tuesday to expand the bus network, adding four routes that will serve the eastern districts from next spring.",
    "Officials said the plan would cost about 12 million euros over three years, most of it paid from the regional transport fund.",
    "Residents who spoke at the meeting welcomed the decision but asked for more frequent service in the evenings and at weekends.",
    "The mayor told reporters that construction of the new depot would begin in March if the budget is approved by the regional parliament.",
    "Researchers at the university found that the river's water quality has improved steadily since the treatment plant opened in 2015.",
    "The study, published in a peer-reviewed journal, measured nitrate levels at twelve sites along the river over eight years.",
    "Farmers in the valley have reduced fertiliser use, which the authors say explains about half of the improvement they observed.",
    "Local fishing clubs report that trout have returned to stretches of the river where none had been caught for decades.",
]
BOILERPLATE = [
    "Home", "News", "Sport", "Contact us", "Share this article", "Subscribe to our newsletter",
    "Copyright 2024 Example Media. All rights reserved.", "Privacy policy | Terms of use",
    "Related posts", "Leave a comment", "Follow us on social media", "Read more", "Log in",
    "Advertisement", "Sign up for our daily briefing", "Next article", "Cookies help us deliver our services.",
]


def make_document(doc_id: str, rng: random.Random, source: str = "fixture") -> dict:
    """A page in the shared benchmark format: menu, article, footer."""
    top = rng.sample(BOILERPLATE, 3)
    body = rng.sample(EDITORIAL, 4)
    bottom = rng.sample(BOILERPLATE, 3)
    paragraphs = ([{"text": t, "label": "boilerplate"} for t in top]
                  + [{"text": t, "label": "content"} for t in body]
                  + [{"text": t, "label": "boilerplate"} for t in bottom])
    return {"id": doc_id, "source": source, "lang": "en", "url": None, "paragraphs": paragraphs}


def write_jsonl(path: Path, records: list[dict]) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    return path


@pytest.fixture(scope="session")
def corpus_path(tmp_path_factory) -> Path:
    """A labeled document JSONL of 40 small pages from two sources."""
    rng = random.Random(7)
    records = [make_document(f"doc-{i}", rng, source="alpha" if i % 2 else "beta") for i in range(40)]
    return write_jsonl(tmp_path_factory.mktemp("corpus") / "corpus.jsonl", records)


# Small hashing space and few n-gram sizes keep fixture training under a second.
TINY_PARAMS = {"hash_bits": 16, "char_ngrams": (3, 4)}


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, corpus_path) -> Path:
    """A model trained on :func:`corpus_path` and saved like a real one."""
    import spamfilter

    directory = tmp_path_factory.mktemp("models") / "tiny"
    spamfilter.train([str(corpus_path)], output=directory, seed=0, **TINY_PARAMS)
    return directory


def load_dataset_script(name: str):
    """A script of ``datasets/`` as a module (the folder is no package: a package named
    ``datasets`` would shadow Hugging Face's)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_test_{name}", DATASETS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
