"""``explain`` and ``info``: look inside a model, for one text or as a whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import artifact
from ..errors import SpamfilterError
from ..io import STDIN, Document, detect_format, iter_batches, iter_documents
from ..paragraphs import split_paragraphs
from .app import BOUNDARY_ERRORS, DebugOption, ModelOption, Split, SplitOption, app, fail

if TYPE_CHECKING:  # explanations need scikit-learn and pandas: imported when a command runs
    from ..explain import Contribution, Explanation

TopOption = Annotated[int, typer.Option("--top", "-k", min=1, help="Features shown each way.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _documents(text: str, split: str) -> list[Document]:
    """The documents of a file, of stdin ('-'), or of ``text`` itself."""
    if text == STDIN or Path(text).is_file():
        return list(iter_documents(text, split))
    if "\n" not in text and " " not in text and Path(text).suffix:
        try:
            detect_format(text)
            typer.echo(f"note: no file {text!r}; explaining it as text", err=True)
        except SpamfilterError:
            pass
    paragraphs = split_paragraphs(text, split)
    return [Document("text", paragraphs, [None] * len(paragraphs))]


def _explained(loaded, documents: list[Document]) -> list[tuple[str, int, Explanation]]:
    """(doc id, paragraph index, explanation) of every paragraph, read in the same batches as
    ``predict`` so that memory stays bounded on large inputs."""
    from ..explain import explain as explain_paragraphs
    from ..tables import documents_to_frame

    results = []
    for batch in iter_batches(documents):
        frame = documents_to_frame(batch)
        for doc_id, index, item in zip(frame["doc_id"], frame["index"], explain_paragraphs(loaded, frame)):
            results.append((str(doc_id), int(index), item))
    return results


def _feature_table(title: str, contributions: list[Contribution], style: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("weight × value", justify="right", style=style)
    table.add_column("feature")
    table.add_column("value", justify="right", style="dim")
    for c in contributions:
        table.add_row(f"{c.contribution:+.3f}", Text(c.name), f"{c.value:.3g}")
    return table


def _print_explanation(console: Console, doc_id: str, index: int, item: Explanation, threshold: float,
                       top: int) -> None:
    label = "spam" if item.score >= threshold else "content"
    colour = "red" if label == "spam" else "green"
    shown = item.text if len(item.text) <= 200 else item.text[:200] + "…"
    console.rule(f"{doc_id} ¶{index}: [bold {colour}]{label}[/] P(spam)={item.score:.3f}", align="left")
    console.print(Text(shown), style="italic")
    groups = ", ".join(f"{name} {total:+.3f}" for name, total in item.by_group().items())
    decided = ("" if item.decided_by == "model" else
               f"; decided by the {item.decided_by}, which scores its n-grams and promotion cues alone")
    console.print(f"log-odds {item.decision:+.3f} = intercept {item.intercept:+.3f} "
                  f"+ {len(item.contributions)} feature contributions ({groups}); "
                  f"first-pass log-odds {item.first_pass:+.3f}{decided}", style="dim")
    console.print(_feature_table("towards spam", item.towards_spam(top), "red"))
    console.print(_feature_table("towards content", item.towards_content(top), "green"))


@app.command()
def explain(
    text: Annotated[str, typer.Argument(help="A text file, document JSONL or paragraph table (.gz ok), '-' for stdin, or the text itself.")],
    model: ModelOption = None,
    json_output: JsonFlag = False,
    top: TopOption = 8,
    split: SplitOption = Split.blank,
    debug: DebugOption = False,
) -> None:
    """Why each paragraph got its score: the features that pushed it most either way.

    Each contribution is model weight × feature value; with the intercept they add up to
    the log-odds. Hashed n-gram columns are named by the n-grams of the paragraph that fall
    in them (of its normalised text; word n-grams in quotes, character n-grams in ‹›,
    n-grams of its shape in ⟨⟩: W capitalised word, a lower case, A capitals, 9 digits,
    C a run of CJK, punctuation as is).
    """
    try:
        loaded = artifact.load_model(model)
        results = _explained(loaded, _documents(text, split.value))
    except (*BOUNDARY_ERRORS, KeyboardInterrupt) as error:
        fail(error, debug)
    threshold = loaded.threshold_
    if json_output:
        records = [{**e.to_dict(top), "doc_id": doc_id, "index": index, "threshold": threshold,
                    "label": "spam" if e.score >= threshold else "content"} for doc_id, index, e in results]
        typer.echo(json.dumps(records, indent=2, ensure_ascii=False))
        return
    console = Console()
    for doc_id, index, item in results:
        _print_explanation(console, doc_id, index, item, threshold, top)


# Spam precisions whose thresholds the card lists (for --min-precision).
LISTED_PRECISIONS = (0.90, 0.95, 0.98, 0.99)


def _operating_points(scorer) -> list[dict]:
    """What ``--min-precision`` would do at each of ``LISTED_PRECISIONS`` the model reaches."""
    points = []
    if scorer.precision_curve is None:
        return points
    for level in LISTED_PRECISIONS:
        try:
            threshold, precision, content_removed = scorer.operating_point(level)
        except ValueError:  # not reached on this model's held-out scores
            continue
        points.append({"min_precision": level, "threshold": threshold, "spam_precision": precision,
                       "content_removed": content_removed})
    return points


def _card(meta: dict, strongest: dict, operating_points: list[dict], scorer) -> dict:
    """The model card as data: what ``meta.json`` holds plus the strongest named features,
    the thresholds of some spam precisions and the promotion detector's cut."""
    detector = scorer.promotion
    return {key: meta.get(key) for key in ("name", "created", "threshold", "versions", "parameters",
                                            "training", "metrics", "model_sha256")} | {
        "strongest": strongest, "operating_points": operating_points,
        "promotion_detector": None if detector is None else {"cut": detector.cut, "at_threshold": detector.threshold,
                                                             "language_cuts": detector.language_cuts}}


def _language_cuts(cuts: dict[str, float]) -> str:
    """The detector's lower cuts per language, for the card ('' when it has one cut for all)."""
    if not cuts:
        return ""
    return "; on pages in " + ", ".join(f"{language} from {cut:+.2f}" for language, cut in sorted(cuts.items()))


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"


def _print_card(console: Console, card: dict) -> None:
    console.rule(f"[bold]model {card['name']}[/]", align="left")
    facts = Table(show_header=False, show_edge=False, pad_edge=False)
    facts.add_column(style="bold")
    facts.add_column()
    training = card.get("training") or {}
    facts.add_row("created", str(card.get("created")))
    facts.add_row("threshold", f"{card['threshold']:.4f} on P(spam)")
    facts.add_row("versions", ", ".join(f"{k} {v}" for k, v in (card.get("versions") or {}).items()))
    facts.add_row("trained on", f"{_count(training.get('paragraphs'))} paragraphs in "
                                f"{_count(training.get('documents'))} documents")
    facts.add_row("by kind", ", ".join(f"{k} {_count(v)}" for k, v in (training.get("by_kind") or {}).items()))
    facts.add_row("by source", ", ".join(f"{k} {_count(v)}" for k, v in (training.get("by_source") or {}).items()))
    for entry in training.get("files") or []:
        facts.add_row("file", f"{entry.get('path')} (sha256 {str(entry.get('sha256'))[:12]}…)")
    parameters = card.get("parameters") or {}
    facts.add_row("parameters", ", ".join(f"{k}={v}" for k, v in parameters.items()))
    detector = card["promotion_detector"]
    facts.add_row("promotion detector", "none" if detector is None else
                  f"n-grams and promotion cues (no length or position), OR-ed with the model: flags its log-odds "
                  f"from {detector['cut']:+.3f} at threshold "
                  f"{detector['at_threshold']:.4f} (a threshold higher or lower moves that cut by as much)"
                  + _language_cuts(detector["language_cuts"]))
    console.print(facts)
    metrics = card.get("metrics") or {}
    overall = metrics.get("overall")
    if overall:
        table = Table(title=f"metrics on {metrics.get('on', '?')} (threshold {metrics.get('threshold', 0):.3f}, "
                            f"{overall['paragraphs']:,} paragraphs)", title_justify="left")
        for column in ("class / weighting", "precision", "recall", "F1"):
            table.add_column(column, justify="left" if column.startswith("class") else "right")
        for weighting in ("paragraph", "words"):
            for label in ("content", "spam"):
                m = overall[weighting][label]
                table.add_row(f"{label} / {weighting}", f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}")
        console.print(table)
        console.print(f"editorial words removed {overall['words']['content_removed']:.2%}; PR-AUC spam "
                      f"{overall['pr_auc']['spam'] or float('nan'):.3f}, content {overall['pr_auc']['content'] or float('nan'):.3f}")
    else:
        console.print(f"metrics: {metrics.get('on', 'none recorded')}")
    if card["operating_points"]:
        table = Table(title="other thresholds (--min-precision), on the same held-out scores", title_justify="left")
        for column in ("--min-precision", "threshold", "spam precision", "editorial paragraphs removed"):
            table.add_column(column, justify="right")
        for point in card["operating_points"]:
            table.add_row(f"{point['min_precision']:g}", f"{point['threshold']:.4f}", f"{point['spam_precision']:.3f}",
                          f"{point['content_removed']:.2%}")
        console.print(table)
    for kind, title in (("dense", "layout and context features (weight per unit; most lie in [0, 1])"),
                        ("ngrams", "word n-grams of the built-in probe phrases (weight of their hashed column)")):
        table = Table(title=f"strongest {title}", title_justify="left")
        table.add_column("towards spam")
        table.add_column("weight", justify="right", style="red")
        table.add_column("towards content")
        table.add_column("weight", justify="right", style="green")
        spam, content = card["strongest"][kind]["spam"], card["strongest"][kind]["content"]
        for row in range(max(len(spam), len(content))):
            left = spam[row] if row < len(spam) else None
            right = content[row] if row < len(content) else None
            table.add_row(Text(left["feature"]) if left else "", f"{left['weight']:+.3f}" if left else "",
                          Text(right["feature"]) if right else "", f"{right['weight']:+.3f}" if right else "")
        console.print(table)
    for key, title in (("second_pass", "second pass: weights on the first-pass scores of the paragraph and its "
                                        "neighbours (scores clipped and scaled)"),
                       ("calibration", "calibration on out-of-source scores: final log-odds = a x two-stage "
                                       "log-odds + b x log(1 + tokens) + c")):
        if card["strongest"][key]:
            table = Table(title=title, title_justify="left")
            table.add_column("feature")
            table.add_column("weight", justify="right")
            for entry in card["strongest"][key]:
                table.add_row(entry["feature"], f"{entry['weight']:+.3f}")
            console.print(table)


@app.command()
def info(
    model: ModelOption = None,
    json_output: JsonFlag = False,
    top: TopOption = 10,
    debug: DebugOption = False,
) -> None:
    """The model card: training data, metrics, threshold, versions and strongest features.

    Layout and context features have names, so the strongest are listed by their
    first-stage weight (and a two-stage model's second-pass weights and a calibrated
    model's calibration in full). N-gram
    features are hashed: a column has no name without a text, and listing "top columns"
    would be meaningless. Instead the card shows the weights of the word n-grams of a
    fixed, built-in list of typical phrases (navigation, promotion, news prose), e.g.
    "privacy policy", "click here", "officials said". A hashed column may also hold other
    n-grams, so read these as indications; use 'spamfilter explain' for a real text."""
    from ..explain import PROBE_PHRASES, calibration_weights, second_pass_weights, strongest_dense, strongest_ngrams

    try:
        loaded = artifact.load_model(model)
    except (*BOUNDARY_ERRORS, KeyboardInterrupt) as error:
        fail(error, debug)
    strongest = {
        "dense": {side: [f.to_dict() for f in items] for side, items in strongest_dense(loaded, top).items()},
        "ngrams": {side: [f.to_dict() for f in items] for side, items in strongest_ngrams(loaded, top).items()},
        "probe_phrases": list(PROBE_PHRASES),
        "second_pass": [f.to_dict() for f in second_pass_weights(loaded)],
        "calibration": [f.to_dict() for f in calibration_weights(loaded)],
    }
    scorer = loaded.scorer()
    card = _card(loaded.metadata_, strongest, _operating_points(scorer), scorer)
    if json_output:
        typer.echo(json.dumps(card, indent=2, ensure_ascii=False))
        return
    _print_card(Console(), card)
