"""``filter``: stream documents through a model and write them back without spam paragraphs."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import SpamfilterError
from ..filtering import Filter, FilterOptions, FilterStats, run_filter
from ..io import BATCH_PARAGRAPHS, STDIN, atomic_output
from .app import (
    DebugOption, MinPrecisionOption, ModelOption, Split, SplitOption, ThresholdOption, app, chosen_threshold, fail,
)

# Bad-line messages echoed on stderr before only the count is reported.
MAX_MESSAGES = 10


class FilterFormat(str, Enum):
    auto = "auto"
    jsonl = "jsonl"
    text = "text"


class OnError(str, Enum):
    stop = "stop"
    skip = "skip"


class _Progress:
    """A one-line rich progress display on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self._live = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.live import Live

            self._live = Live("", console=Console(stderr=True), transient=True, refresh_per_second=4)

    def __enter__(self) -> "_Progress":
        if self._live is not None:
            self._live.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.stop()

    def update(self, stats: FilterStats) -> None:
        if self._live is not None:
            self._live.update(f"{stats.documents:,} documents, {stats.paragraphs:,} paragraphs, "
                              f"{stats.removed:,} removed, {stats.errors:,} bad lines")


@app.command("filter")
def filter_command(
    input: Annotated[str, typer.Argument(help="Document JSONL or text file (.gz ok), a folder of them, or '-' for stdin.")] = STDIN,
    output: Annotated[str, typer.Option("--output", "-o", help="Output file ('-' = stdout), or a folder when the input is one.")] = STDIN,
    model: ModelOption = None,
    threshold: ThresholdOption = None, min_precision: MinPrecisionOption = None,
    removed: Annotated[Optional[Path], typer.Option(help="Write every removed paragraph (doc_id, index, text, score, separator) as JSONL.")] = None,
    stats: Annotated[Optional[Path], typer.Option(help="Write counts and throughput as JSON.")] = None,
    text_field: Annotated[str, typer.Option(help="JSONL field holding the document text.")] = "text",
    input_format: Annotated[FilterFormat, typer.Option("--input-format", help="'auto' goes by extension; stdin defaults to jsonl.")] = FilterFormat.auto,
    split: SplitOption = Split.blank,
    drop_empty: Annotated[bool, typer.Option("--drop-empty/--keep-empty", help="Drop documents left without content (default: keep them, flagged empty).")] = False,
    on_error: Annotated[OnError, typer.Option(help="Bad input line: 'stop' (exit 1, no output file) or 'skip' (write it to --rejected, count it).")] = OnError.stop,
    rejected: Annotated[Optional[Path], typer.Option(help="With --on-error skip: where bad lines go, unchanged.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes (output order is kept).")] = 1,
    batch_paragraphs: Annotated[int, typer.Option(min=1, help="Paragraphs scored per batch (memory vs speed).")] = BATCH_PARAGRAPHS,
    single_pass: Annotated[bool, typer.Option("--single-pass", help="Score each document once (about twice as fast); by default kept paragraphs are re-scored until nothing more is removed, so filtering the output again changes nothing.")] = False,
    debug: DebugOption = False,
) -> None:
    """Remove spam paragraphs from documents, keeping everything else byte for byte.

    Adds per-document metadata under "spamfilter" (paragraphs, kept, removed, mean_score,
    empty, model). Clean output + --removed restore the input exactly (spamfilter.filtering.restore).
    """
    if rejected is not None and on_error is OnError.stop:
        fail(ValueError("--rejected needs --on-error skip"), debug)
    shown = 0

    def on_message(message: str) -> None:
        nonlocal shown
        shown += 1
        if shown <= MAX_MESSAGES:
            typer.echo(f"skipped: {message}", err=True)

    try:
        flt = Filter(model, threshold, split.value, batch_paragraphs, until_stable=not single_pass)
        if min_precision is not None:  # needs the model loaded here, not only in the workers
            flt.threshold = chosen_threshold(flt.model, threshold, min_precision)
        options = FilterOptions(text_field=text_field, on_error=on_error.value, drop_empty=drop_empty)
        with _Progress() as progress:
            result = run_filter(input, output, flt, options, jobs, input_format.value,
                                None if removed is None else str(removed),
                                None if rejected is None else str(rejected), on_message, progress.update)
        if stats is not None:
            with atomic_output(str(stats)) as handle:
                json.dump({**result.to_dict(), "model": flt.model_name, "threshold": flt.cut}, handle, indent=2)
    except (SpamfilterError, OSError, ValueError) as error:
        fail(error, debug)
    if result.errors:
        typer.echo(f"warning: {result.errors:,} bad input lines skipped"
                   + (f" (written to {rejected})" if rejected else " (not kept: pass --rejected FILE)"), err=True)
