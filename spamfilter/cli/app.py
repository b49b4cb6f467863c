"""The typer app and the options, error handling and output helpers its commands share."""

from __future__ import annotations

import traceback
import warnings
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import SpamfilterError
from ..io import INPUT_FORMATS

app = typer.Typer(
    help="Label paragraphs of scraped text as editorial content or spam (boilerplate, promotion).",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)


class Split(str, Enum):
    blank = "blank"
    lines = "lines"


InputFormat = Enum("InputFormat", {name: name for name in INPUT_FORMATS}, type=str)

ModelOption = Annotated[Optional[Path], typer.Option(
    "--model", "-m", help="Model directory (default: the shipped model).", show_default=False)]
SplitOption = Annotated[Split, typer.Option(
    help="Paragraph split for plain text: 'blank' = on blank lines, 'lines' = on every line.")]
FormatOption = Annotated[InputFormat, typer.Option(
    "--input-format", help="Input format; 'auto' goes by the file extension.")]
TextColumn = Annotated[str, typer.Option(help="Text column of paragraph tables.")]
LabelColumn = Annotated[str, typer.Option(help="Label column of paragraph tables.")]
DocColumn = Annotated[str, typer.Option(help="Document id column of paragraph tables.")]
PositionColumn = Annotated[str, typer.Option(help="Paragraph position column of paragraph tables.")]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")]
ThresholdOption = Annotated[Optional[float], typer.Option(
    min=0.0, max=1.0, help="Override the model's threshold on P(spam).", show_default=False)]
MinPrecisionOption = Annotated[Optional[float], typer.Option(
    min=0.0, max=1.0, show_default=False,
    help="Instead of the model's threshold, the lowest one whose spam precision on the model's held-out "
         "training scores is at least this ('spamfilter info' lists some). After an HTML extractor, "
         "0.98 removes what the extractor left with almost no editorial text.")]


# Errors a command turns into one line on stderr and exit code 1 (a traceback only
# with --debug): spamfilter's own, the operating system's (disk full, permissions) and
# bad values from libraries. Anything else is a bug and keeps its traceback.
BOUNDARY_ERRORS: tuple[type[BaseException], ...] = (SpamfilterError, OSError, ValueError, MemoryError)


def error_line(error: BaseException) -> str:
    """One readable line for ``error``: its message, first line only, with its type when not ours."""
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, KeyboardInterrupt):
        return "interrupted; no partial output was written"
    if isinstance(error, MemoryError):
        return "out of memory; process the input in smaller files"
    if not isinstance(error, SpamfilterError):
        return f"{text} ({type(error).__name__}; run with --debug for the traceback)"
    return text


def fail(error: BaseException, debug: bool) -> None:
    """Print ``error`` as one line (and its traceback with ``--debug``) and exit non-zero."""
    if debug:
        traceback.print_exception(error)
    typer.echo(f"error: {error_line(error)}", err=True)
    raise typer.Exit(130 if isinstance(error, KeyboardInterrupt) else 1)


def chosen_threshold(scorer, threshold: float | None, min_precision: float | None) -> float | None:
    """The threshold asked for: ``--threshold``, or ``--min-precision`` looked up on the
    model's precision curve, or None (the model's own)."""
    if threshold is not None and min_precision is not None:
        raise SpamfilterError("give --threshold or --min-precision, not both")
    if min_precision is None:
        return threshold
    try:
        return scorer.operating_point(min_precision)[0]
    except ValueError as error:  # no curve in this model, or the precision is out of its reach
        raise SpamfilterError(f"--min-precision {min_precision:g}: {error}") from error


def report_progress(message: str) -> None:
    typer.echo(message, err=True)


def _warn_on_stderr(message, category, filename, lineno, file=None, line=None):
    typer.echo(f"warning: {message}", err=True)


warnings.showwarning = _warn_on_stderr


def metrics_table(report: dict) -> str:
    """A short plain-text summary of an evaluation report."""
    overall = report.get("overall")
    if not overall:
        return f"metrics: {report.get('on', 'none')}"
    lines = [f"threshold {report['threshold']:.3f}, {overall['paragraphs']:,} labeled paragraphs"
             + (f" ({report['on']})" if "on" in report else "")]
    lines.append(f"{'':22}{'precision':>10}{'recall':>10}{'f1':>10}")
    for weighting in ("paragraph", "words"):
        for label in ("content", "spam"):
            m = overall[weighting][label]
            lines.append(f"{label + ' / ' + weighting:22}{m['precision']:10.3f}{m['recall']:10.3f}{m['f1']:10.3f}")
    lines.append(f"editorial words removed: {overall['words']['content_removed']:.1%}; "
                 f"PR-AUC spam {overall['pr_auc']['spam'] or float('nan'):.3f}")
    if "calibration" in overall:  # reports written before it was measured lack it
        lines.append(f"calibration of P(spam): expected error {overall['calibration']['ece']:.3f}, "
                     f"Brier score {overall['calibration']['brier']:.3f}")
    c = overall["confusion"]
    lines.append(f"confusion: content kept {c['content_kept']:,} removed {c['content_removed']:,}; "
                 f"spam kept {c['spam_kept']:,} removed {c['spam_removed']:,}")
    for column in ("source", "kind"):
        groups = report.get(f"by_{column}")
        if not groups:
            continue
        lines.append(f"by {column}:")
        for value, m in groups.items():
            if "flagged_spam" in m:
                lines.append(f"  {value:30} {m['paragraphs']:>8,} paragraphs, {m['flagged_spam']:.1%} flagged spam")
            else:
                lines.append(f"  {value:30} content F1 {m['paragraph']['content']['f1']:.3f} "
                             f"(words {m['words']['content']['f1']:.3f})")
    return "\n".join(lines)
