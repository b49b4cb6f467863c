"""The ``spamfilter`` command line: parse options, call the library, print, set the exit code.

Each module registers its commands on the shared typer ``app``.
"""

from . import core  # noqa: F401  (registers train, evaluate, predict)
from . import inspect  # noqa: F401
from . import filter  # noqa: F401
from . import share  # noqa: F401
from .app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
