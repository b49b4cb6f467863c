"""``train``, ``evaluate`` and ``predict``: one thin function per command over the library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import artifact
from ..io import STDIN, ColumnNames, atomic_output, iter_documents, output_format, write_jsonl
from ..prediction import predict_rows
from .app import (
    BOUNDARY_ERRORS, DebugOption, DocColumn, FormatOption, InputFormat, LabelColumn, MinPrecisionOption, ModelOption,
    PositionColumn, Split, SplitOption, TextColumn, ThresholdOption, app, chosen_threshold, fail, metrics_table,
    report_progress,
)


@app.command()
def train(
    data: Annotated[list[str], typer.Argument(help="Labeled corpora: document JSONL or paragraph tables (.gz ok).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Model directory to write.")],
    dev: Annotated[Optional[list[str]], typer.Option(help="Labeled data to choose the threshold on (default: out-of-fold scores of the training data, grouped by source when it names several).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed; training is deterministic for a seed.")] = 0,
    min_precision: Annotated[Optional[float], typer.Option(
        min=0.0, max=1.0, help="Pick the lowest threshold whose spam precision is at least this.")] = None,
    split: SplitOption = Split.blank, input_format: FormatOption = InputFormat.auto,
    text_column: TextColumn = "text", label_column: LabelColumn = "label",
    doc_id_column: DocColumn = "doc_id", position_column: PositionColumn = "position",
    promotion_detector: Annotated[bool, typer.Option(
        help="Train the promotion detector when paragraphs are labeled 'promotion' (see above).")] = True,
    language_cuts: Annotated[bool, typer.Option(
        help="Give the promotion detector a lower cut on pages in languages whose editorial text rarely "
             "reaches its cut (see above); off: one cut for every page, and no language is named.")] = True,
    debug: DebugOption = False,
) -> None:
    """Train a model on labeled paragraphs and save it with its metadata.

    When the corpora name several sources (the 'source' field of document JSONL or a
    'source' column, else one source per file), the model is also calibrated for sites
    it has never seen, at the cost of up to five more fits of the first stage (folds grouped by source).

    When some paragraphs are labeled 'promotion', a promotion detector is trained too: a
    linear model over their words and characters alone (no layout or position), OR-ed with
    the model, so that an ad between two editorial paragraphs is still caught. Its cut
    flags 0.25% of the editorial paragraphs of 10+ words of the sources holding promotion.
    On a page in a language with 300+ such paragraphs whose own 0.25% line lies lower
    (often the case outside English), the cut is halfway down to that line; the page's
    language is named by py3langid."""
    from .. import training  # scikit-learn and pandas load only for the commands that need them
    columns = ColumnNames(text_column, label_column, doc_id_column, position_column)
    try:
        result = training.train(data, output, dev, seed, min_precision, split.value, input_format.value,
                                columns, progress=report_progress,
                                **({} if promotion_detector else {"promotion_false_positives": None}),
                                **({} if language_cuts else {"promotion_language_shrink": 0.0}))
    except (*BOUNDARY_ERRORS, KeyboardInterrupt) as error:
        fail(error, debug)
    typer.echo(metrics_table(result.metrics))
    typer.echo(f"model written to {output}")


@app.command()
def evaluate(
    data: Annotated[list[str], typer.Argument(help="Labeled corpora to evaluate on.")],
    model: ModelOption = None,
    json_output: Annotated[Optional[Path], typer.Option("--json", help="Also write the full metrics as JSON.")] = None,
    threshold: ThresholdOption = None, min_precision: MinPrecisionOption = None,
    report_dir: Annotated[Optional[Path], typer.Option("--report", help="Also write report.html (self-contained, with plots, breakdowns and the worst mistakes) and its PNGs to this folder.")] = None,
    split: SplitOption = Split.blank, input_format: FormatOption = InputFormat.auto,
    text_column: TextColumn = "text", label_column: LabelColumn = "label",
    doc_id_column: DocColumn = "doc_id", position_column: PositionColumn = "position",
    debug: DebugOption = False,
) -> None:
    """Measure a model on labeled data: precision, recall, F1, PR-AUC, calibration, confusion matrix.

    Both classes, per paragraph and weighted by words, overall and by source and kind.
    """
    from .. import training
    from ..tables import read_corpus
    columns = ColumnNames(text_column, label_column, doc_id_column, position_column)
    try:
        loaded = artifact.load_model(model)
        threshold = chosen_threshold(loaded.scorer(), threshold, min_precision)
        if report_dir is None:
            report = training.evaluate(data, loaded, threshold, split.value, input_format.value, columns)
        else:
            from ..report import evaluate_with_report  # matplotlib: loaded only when a report is asked for

            frame = read_corpus(data, split.value, input_format.value, columns)
            report, page = evaluate_with_report(frame, loaded, report_dir, threshold)
            report_progress(f"report written to {page}")
        if json_output is not None:
            with atomic_output(str(json_output)) as handle:
                json.dump(report, handle, indent=2)
    except (*BOUNDARY_ERRORS, KeyboardInterrupt) as error:
        fail(error, debug)
    typer.echo(metrics_table(report))


@app.command()
def predict(
    input: Annotated[str, typer.Argument(help="Text file, document JSONL or paragraph table (.gz ok); '-' for stdin.")],
    model: ModelOption = None,
    output: Annotated[str, typer.Option("--output", "-o", help="Output file: .jsonl (default), .csv or .parquet; '-' = stdout.")] = STDIN,
    threshold: ThresholdOption = None, min_precision: MinPrecisionOption = None,
    split: SplitOption = Split.blank, input_format: FormatOption = InputFormat.auto,
    text_column: TextColumn = "text", doc_id_column: DocColumn = "doc_id", position_column: PositionColumn = "position",
    debug: DebugOption = False,
) -> None:
    """One row per paragraph: doc_id, index, text, label (content/spam), score = P(spam)."""
    columns = ColumnNames(text_column, "label", doc_id_column, position_column)
    try:
        scorer = artifact.load_scorer(model)
        rows = predict_rows(scorer, iter_documents(input, split.value, input_format.value, columns),
                            chosen_threshold(scorer, threshold, min_precision))
        fmt = output_format(output)
        if fmt == "jsonl":
            with atomic_output(output, binary=True) as handle:
                write_jsonl(rows, handle)
        else:
            import pandas as pd

            frame = pd.DataFrame(list(rows), columns=["doc_id", "index", "text", "label", "score"])
            with atomic_output(output, binary=True) as handle:
                if fmt == "csv":
                    handle.write(frame.to_csv(index=False).encode("utf-8"))
                else:
                    frame.to_parquet(handle, index=False)
    except (*BOUNDARY_ERRORS, KeyboardInterrupt) as error:
        fail(error, debug)
