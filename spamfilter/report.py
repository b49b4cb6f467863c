"""An evaluation report people can look at: one self-contained HTML page plus its PNG plots.

``report.html`` embeds every plot as a base64 PNG and has no external links, so it
opens offline and can be mailed around. Metrics come from :mod:`spamfilter.metrics`;
this module only draws and lays them out. Plots use matplotlib's Agg canvas directly
(no pyplot, no global backend switch), so it is safe in servers and notebooks.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io as _bytes_io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_recall_curve

from .errors import DataError
from .metrics import evaluate_frame
from .labels import CONTENT, SPAM
from .model import SpamClassifier

REPORT_FILE = "report.html"
WORST = 25  # mistakes listed in each of the two tables
TEXT_CHARS = 400  # paragraph text shown per mistake
BREAKDOWNS = ("source", "kind", "category")
# (anchor, heading) of every section, in page order.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("pr-curve", "Precision–recall curve"),
    ("threshold", "Precision, recall and F1 against threshold"),
    ("calibration", "Calibration"),
    ("confusion", "Confusion matrix"),
    ("by-source", "By source"),
    ("by-kind", "By kind"),
    ("by-category", "By category"),
    ("false-positives", "Worst false positives: editorial paragraphs it would remove"),
    ("false-negatives", "Worst false negatives: spam it would keep"),
)
PLOT_FILES = {"pr-curve": "pr_curve.png", "threshold": "threshold_curves.png",
              "calibration": "calibration.png", "confusion": "confusion_matrix.png"}


def _labeled(frame: pd.DataFrame, scores) -> tuple[pd.DataFrame, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) != len(frame):
        raise ValueError(f"got {len(scores)} scores for {len(frame)} paragraphs")
    if "label" not in frame.columns or frame["label"].notna().sum() == 0:
        raise DataError("the evaluation data has no labeled paragraphs; a report compares scores with labels")
    labeled = frame["label"].notna().to_numpy()
    return frame.loc[labeled], scores[labeled]


def worst_mistakes(frame: pd.DataFrame, scores, threshold: float, k: int = WORST
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``k`` most confident false positives (editorial scored as spam, highest score first)
    and false negatives (spam scored as content, lowest score first), with a ``score`` column.
    Rows keep ``frame``'s index."""
    data, data_scores = _labeled(frame, scores)
    data = data.assign(score=data_scores)
    false_positive = data[(data["label"] == CONTENT) & (data["score"] >= threshold)]
    false_negative = data[(data["label"] == SPAM) & (data["score"] < threshold)]
    return (false_positive.sort_values("score", ascending=False, kind="stable").head(k),
            false_negative.sort_values("score", ascending=True, kind="stable").head(k))


# ---------------------------------------------------------------- plots


def _png(draw: Callable[[Figure], None], size: tuple[float, float] = (6.4, 4.2)) -> bytes:
    figure = Figure(figsize=size, dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    draw(figure)
    buffer = _bytes_io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _one_class_note(axes, is_spam: np.ndarray) -> bool:
    if 0 < is_spam.sum() < len(is_spam):
        return False
    axes.text(0.5, 0.5, "needs labeled paragraphs of both classes", ha="center", va="center",
              transform=axes.transAxes)
    return True


def _metric_axes(figure: Figure, is_spam: np.ndarray, **settings):
    """Gridded axes with ``settings``; None (after a note on the plot) when only one class is labeled."""
    axes = figure.add_subplot()
    axes.set(ylim=(0, 1.01), **settings)
    axes.grid(alpha=0.3)
    return None if _one_class_note(axes, is_spam) else axes


def _f1(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    return 2 * precision * recall / np.maximum(precision + recall, 1e-12)


def _pr_curve(is_spam: np.ndarray, scores: np.ndarray, overall: dict) -> Callable[[Figure], None]:
    def draw(figure: Figure) -> None:
        axes = _metric_axes(figure, is_spam, xlabel="recall", ylabel="precision", xlim=(0, 1.01),
                            title="Precision–recall (dot = the model's threshold)")
        if axes is None:
            return
        for label, truth, score, colour in ((SPAM, is_spam, scores, "tab:red"),
                                            (CONTENT, ~is_spam, -scores, "tab:blue")):
            precision, recall, _ = precision_recall_curve(truth, score)
            auc = overall["pr_auc"][label]
            axes.plot(recall, precision, color=colour, label=f"{label} (PR-AUC {auc:.3f})")
            point = overall["paragraph"][label]
            axes.plot(point["recall"], point["precision"], "o", color=colour, markersize=8,
                      markeredgecolor="black")
        axes.legend(loc="lower left")
    return draw


def _threshold_curves(is_spam: np.ndarray, scores: np.ndarray, threshold: float) -> Callable[[Figure], None]:
    def draw(figure: Figure) -> None:
        axes = _metric_axes(figure, is_spam, xlabel="threshold on P(spam)", ylabel="score", xlim=(0, 1),
                            title="Per-paragraph metrics if the threshold were t")
        if axes is None:
            return
        precision, recall, cut = precision_recall_curve(is_spam, scores)
        precision, recall = precision[:-1], recall[:-1]
        axes.plot(cut, precision, color="tab:red", linestyle="--", label="spam precision")
        axes.plot(cut, recall, color="tab:red", linestyle=":", label="spam recall")
        axes.plot(cut, _f1(precision, recall), color="tab:red", label="spam F1")
        # Content is kept when score < t: its curve is the PR curve of -score, at -t.
        c_precision, c_recall, c_cut = precision_recall_curve(~is_spam, -scores)
        c_precision, c_recall = c_precision[:-1], c_recall[:-1]
        axes.plot(-c_cut, _f1(c_precision, c_recall), color="tab:blue", label="content F1")
        axes.axvline(threshold, color="black", linewidth=1)
        axes.annotate(f"model threshold {threshold:.3f}", (threshold, 0.5), xytext=(-12, 0),
                      textcoords="offset points", rotation=90, va="center")
        figure.legend(loc="outside lower center", ncols=4, fontsize="small")
    return draw


def _calibration(is_spam: np.ndarray, scores: np.ndarray) -> Callable[[Figure], None]:
    def draw(figure: Figure) -> None:
        top, bottom = figure.subplots(2, 1, height_ratios=(3, 1.3), sharex=True)
        top.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfectly calibrated")
        top.set(ylabel="share labeled spam", xlim=(0, 1), ylim=(0, 1.01),
                title="Calibration: predicted P(spam) against observed spam share")
        top.grid(alpha=0.3)
        if not _one_class_note(top, is_spam):
            observed, predicted = calibration_curve(is_spam, scores, n_bins=10, strategy="uniform")
            top.plot(predicted, observed, "o-", color="tab:purple", label="model (10 equal-width bins)")
            top.legend(loc="upper left")
        bins = np.linspace(0, 1, 41)
        bottom.hist([scores[~is_spam], scores[is_spam]], bins=bins, histtype="step", log=True,
                    color=["tab:blue", "tab:red"], label=[f"labeled {CONTENT}", f"labeled {SPAM}"])
        bottom.set(xlabel="predicted P(spam)", ylabel="paragraphs")
        bottom.legend(loc="upper center", ncols=2, fontsize="small")
    return draw


def _confusion(confusion: dict) -> Callable[[Figure], None]:
    counts = np.array([[confusion["content_kept"], confusion["content_removed"]],
                       [confusion["spam_kept"], confusion["spam_removed"]]], dtype=np.float64)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        axes.set(xticks=[0, 1], yticks=[0, 1], xticklabels=["kept (content)", "removed (spam)"],
                 yticklabels=[f"labeled {CONTENT}", f"labeled {SPAM}"], xlabel="prediction",
                 title="Confusion matrix (share of each labeled class)")
        for (row, column), count in np.ndenumerate(counts):
            colour = "white" if shares[row, column] > 0.5 else "black"
            axes.text(column, row, f"{int(count):,}\n{shares[row, column]:.1%}", ha="center", va="center",
                      color=colour, fontsize=13)
    return draw


# ---------------------------------------------------------------- html


def _e(value: object) -> str:
    return html.escape(str(value))


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"


def _number(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _table(header: list[str], rows: list[list[str]], classes: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{classes}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _metric_row(name: str, metrics: dict) -> list[str]:
    """One table row of a breakdown value: full metrics, or the flagged share of a one-class group."""
    if "flagged_spam" in metrics:
        return [_e(name), f"{metrics['paragraphs']:,}", f"{metrics['flagged_spam']:.1%}"] + ["–"] * 6
    paragraph, words = metrics["paragraph"], metrics["words"]
    flagged = (metrics["confusion"]["content_removed"] + metrics["confusion"]["spam_removed"]) / max(
        metrics["paragraphs"], 1)
    return [_e(name), f"{metrics['paragraphs']:,}", f"{flagged:.1%}",
            _number(paragraph[CONTENT]["precision"]), _number(paragraph[CONTENT]["recall"]),
            _number(paragraph[CONTENT]["f1"]), _number(words[CONTENT]["f1"]), _number(paragraph[SPAM]["f1"]),
            f"{words['content_removed']:.1%}"]


BREAKDOWN_HEADER = ["value", "paragraphs", "flagged spam", "content precision", "content recall",
                    "content F1", "content F1 (words)", "spam F1", "editorial words removed"]


def _breakdown(metrics: dict, column: str) -> str:
    groups = metrics.get(f"by_{column}")
    if not groups:
        return f"<p class=note>The data has no <code>{_e(column)}</code> values.</p>"
    note = ("<p class=note>Each kind holds one class, so only the share flagged as spam is shown "
            "(for <code>content</code> that share is editorial text removed).</p>" if column == "kind" else
            "<p class=note>Groups with one labeled class only show the share flagged as spam.</p>")
    rows = [_metric_row(name, value) for name, value in groups.items()]
    if all("flagged_spam" in value for value in groups.values()):
        return note + _table(BREAKDOWN_HEADER[:3], [row[:3] for row in rows], "numbers")
    return note + _table(BREAKDOWN_HEADER, rows, "numbers")


def _summary(metrics: dict, threshold: float, model_meta: dict | None) -> str:
    overall = metrics["overall"]
    rows = []
    for weighting in ("paragraph", "words"):
        for label in (CONTENT, SPAM):
            m = overall[weighting][label]
            rows.append([f"{label} / by {weighting}", _number(m["precision"]), _number(m["recall"]),
                         _number(m["f1"]), _number(overall["pr_auc"][label]) if weighting == "paragraph" else "–"])
    facts = [("threshold used", f"{threshold:.4f}"), ("labeled paragraphs", f"{overall['paragraphs']:,}"),
             ("share labeled spam", f"{overall['spam_share']:.1%}"),
             ("editorial words removed", f"{overall['words']['content_removed']:.2%}"),
             ("editorial paragraphs removed", f"{overall['paragraph']['content_removed']:.2%}")]
    if model_meta:
        versions = ", ".join(f"{k} {v}" for k, v in model_meta.get("versions", {}).items())
        training = model_meta.get("training", {})
        facts = [("model", f"{model_meta.get('name', '?')} (created {model_meta.get('created', '?')})"),
                 ("model threshold", _number(model_meta.get("threshold"), 4)),
                 ("trained on", f"{_count(training.get('paragraphs'))} paragraphs in "
                                f"{_count(training.get('documents'))} documents"),
                 ("versions", versions or "unknown")] + facts
    fact_rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts)
    return (f'<table class="facts">{fact_rows}</table>'
            + _table(["class / weighting", "precision", "recall", "F1", "PR-AUC"], rows, "numbers"))


def _mistakes(rows: pd.DataFrame, what: str) -> str:
    if rows.empty:
        return f"<p class=note>No {what} at this threshold.</p>"
    body = []
    for _, row in rows.iterrows():
        text = str(row["text"])
        shown = text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS] + "…"
        body.append([f"{row['score']:.3f}", _e(row.get("doc_id", "")), _e(row.get("index", "")),
                     _e(row.get("source", "") or ""), _e(row.get("kind", "") or ""), _e(shown)])
    return _table(["P(spam)", "document", "paragraph", "source", "kind", "text"], body, "mistakes")


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:0.2em} h2{border-bottom:1px solid #ccc;padding-bottom:0.2em;margin-top:2em}
nav a{margin-right:1em;white-space:nowrap} img{max-width:100%;border:1px solid #eee}
table{border-collapse:collapse;margin:0.8em 0;font-size:0.92em}
th,td{border:1px solid #ddd;padding:0.3em 0.6em;vertical-align:top;text-align:left}
thead th{background:#f3f3f3} table.numbers td:not(:first-child){text-align:right;font-variant-numeric:tabular-nums}
table.facts th{background:#f8f8f8;font-weight:600} table.mistakes td:last-child{max-width:600px}
.note{color:#555;font-size:0.92em}
"""


def _page(sections: dict[str, str], title: str, subtitle: str) -> str:
    nav = " ".join(f'<a href="#{anchor}">{_e(heading)}</a>' for anchor, heading in SECTIONS)
    parts = [f'<section id="{anchor}"><h2>{_e(heading)}</h2>{sections[anchor]}</section>'
             for anchor, heading in SECTIONS]
    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{_e(title)}</h1><p class=note>{_e(subtitle)}</p><nav>{nav}</nav>"
            + "".join(parts) + "</body></html>\n")


def _image(png: bytes, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def write_report(frame: pd.DataFrame, scores, threshold: float, directory: str | Path,
                 model_meta: dict | None = None) -> Path:
    """Write ``report.html`` (self-contained) and its PNG plots to ``directory``; return the page's path.

    ``frame`` is a paragraph table (``text``, ``label`` and optionally ``doc_id``, ``index``,
    ``source``, ``kind``, ``category``), ``scores`` its P(spam) per row. Unlabeled rows are ignored.
    """
    data, data_scores = _labeled(frame, scores)
    data = data.reset_index(drop=True)  # evaluate_frame needs a unique index
    metrics = evaluate_frame(data, data_scores, threshold, by=BREAKDOWNS)
    is_spam = (data["label"] == SPAM).to_numpy()
    overall = metrics["overall"]
    plots = {
        "pr-curve": _png(_pr_curve(is_spam, data_scores, overall)),
        "threshold": _png(_threshold_curves(is_spam, data_scores, threshold)),
        "calibration": _png(_calibration(is_spam, data_scores), (6.4, 5.6)),
        "confusion": _png(_confusion(overall["confusion"]), (5.6, 4.4)),
    }
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for anchor, png in plots.items():
        (directory / PLOT_FILES[anchor]).write_bytes(png)
    false_positives, false_negatives = worst_mistakes(data, data_scores, threshold)
    headings = dict(SECTIONS)
    sections = {anchor: _image(png, headings[anchor]) for anchor, png in plots.items()}
    sections["summary"] = _summary(metrics, threshold, model_meta)
    for column in BREAKDOWNS:
        sections[f"by-{column}"] = _breakdown(metrics, column)
    sections["false-positives"] = (
        f"<p class=note>Editorial paragraphs with P(spam) ≥ {threshold:.3f}, most confident first "
        f"(up to {WORST}).</p>" + _mistakes(false_positives, "false positives"))
    sections["false-negatives"] = (
        f"<p class=note>Spam paragraphs with P(spam) &lt; {threshold:.3f}, most confident first "
        f"(up to {WORST}).</p>" + _mistakes(false_negatives, "false negatives"))
    created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    subtitle = f"{overall['paragraphs']:,} labeled paragraphs; written {created}"
    if model_meta:
        subtitle = f"model {model_meta.get('name', '?')}; " + subtitle
    page = directory / REPORT_FILE
    page.write_text(_page(sections, "spamfilter evaluation report", subtitle), encoding="utf-8")
    return page


def evaluate_with_report(frame: pd.DataFrame, model: SpamClassifier, directory: str | Path,
                         threshold: float | None = None) -> tuple[dict, Path]:
    """Score ``frame`` once, write the report, and return the metrics (as ``training.evaluate``) and the page."""
    scores = model.score_paragraphs(frame)
    used = model.threshold_ if threshold is None else threshold
    page = write_report(frame, scores, used, directory, getattr(model, "metadata_", None))
    return evaluate_frame(frame, scores, used), page
