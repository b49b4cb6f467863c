"""``export-safe``: write a model as a ``.skops`` file that is safe to share and load."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import artifact
from .app import BOUNDARY_ERRORS, DebugOption, app, fail


@app.command("export-safe")
def export_safe(
    model_dir: Annotated[Path, typer.Argument(help="Model directory to export (checked before loading).")],
    output: Annotated[Path, typer.Argument(help="File to write; must end in .skops.")],
    debug: DebugOption = False,
) -> None:
    """Export a model to the .skops format: share this one, it loads without running code."""
    from .. import safe_format  # skops and scikit-learn: imported only for this command

    try:
        model = artifact.load_model(model_dir)
        safe_format.export_safe(model, output)
        safe_format.check_types(output)  # what a receiver will check, so a bad export fails here
    except BOUNDARY_ERRORS as error:
        fail(error, debug)
    typer.echo(f"safe model written to {output}; load it with --model {output}")
