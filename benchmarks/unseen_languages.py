"""How a model treats languages that no training file holds: editorial text kept, promotion caught.

    .venv/bin/python benchmarks/unseen_languages.py [--model DIR]

``datasets/unseen_languages.jsonl`` holds, in six languages the team's corpus and the shared
benchmarks do not train on (Hindi, Thai, Bengali, Tamil, Hebrew, Swahili), four editorial
articles and sixteen promotion lines each (see the datasheet). Per language it prints the
share of editorial paragraphs flagged (each article scored alone, and each paragraph
scored alone, as if it were a document of its own) and the share of promotions flagged
when one is put mid-article (after the third paragraph) or after the last paragraph of an
article of its language. Small (24 articles, 96 lines): a spot-check of
generalisation, not a yardstick to tune on.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "datasets" / "unseen_languages.jsonl"
# A promotion goes after this many paragraphs of an article when placed mid-article
# (before the last one in a shorter article).
MIDDLE = 3


def read_records(path: Path = DATA) -> tuple[dict[str, list[list[str]]], dict[str, list[str]]]:
    """Articles (lists of paragraphs) and promotion texts, by language."""
    articles, promotions = collections.defaultdict(list), collections.defaultdict(list)
    for line in path.open(encoding="utf-8"):
        record = json.loads(line)
        if record["kind"] == "article":
            articles[record["lang"]].append(record["paragraphs"])
        else:
            promotions[record["lang"]].append(record["text"])
    return dict(articles), dict(promotions)


def documents(articles: list[list[str]], promotions: list[str]) -> pd.DataFrame:
    """Paragraph rows (``doc_id``, ``text``, ``role``) of the articles alone, of each of
    their paragraphs alone, and of each promotion mid-article and at the end of an article
    (taken in turn)."""
    rows = []
    for number, article in enumerate(articles):
        rows += [(f"article-{number}", text, "editorial") for text in article]
        rows += [(f"paragraph-{number}-{k}", text, "alone") for k, text in enumerate(article)]
    for number, promotion in enumerate(promotions):
        article = articles[number % len(articles)]
        middle = min(MIDDLE, len(article) - 1)
        for place, body, at in (("middle", article[:middle] + [promotion] + article[middle:], middle),
                                ("end", article + [promotion], len(article))):
            rows += [(f"{place}-{number}", text, place if k == at else "context") for k, text in enumerate(body)]
    return pd.DataFrame(rows, columns=["doc_id", "text", "role"])


def figures(model, articles: dict, promotions: dict) -> dict[str, dict[str, float]]:
    """Per language: editorial paragraphs flagged in their article and alone, promotions
    flagged mid-article and at the end."""
    result = {}
    for lang in sorted(articles):
        frame = documents(articles[lang], promotions.get(lang, []))
        flagged = model.score_paragraphs(frame[["doc_id", "text"]]) >= model.threshold_
        result[lang] = {role: float(flagged[(frame["role"] == role).to_numpy()].mean())
                        for role in ("editorial", "alone", "middle", "end")}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    args = parser.parse_args()
    from spamfilter.artifact import default_model_dir, load_model  # after --help
    from spamfilter.errors import SpamfilterError

    path = args.model or default_model_dir()
    try:
        model = load_model(path)
    except SpamfilterError as error:
        parser.error(f"--model: {error}")
    table = pd.DataFrame(figures(model, *read_records())).T
    table.loc["mean"] = table.mean()
    print(f"model: {path}")
    print("share flagged: editorial paragraphs (each article scored alone; each paragraph alone); "
          "promotions mid-article / after the last paragraph")
    print(table.to_string(float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    sys.exit(main())
