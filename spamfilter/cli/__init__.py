"""The ``spamfilter`` command line: parse options, call the library, print, set the exit code.

Each module registers its commands on the shared typer ``app``.
"""

from .runtime import configure

configure()  # before numpy is imported by the commands' modules

from . import core  # noqa: E402,F401  (registers train, evaluate, predict)
from . import inspect  # noqa: E402,F401
from . import filter  # noqa: E402,F401
from . import share  # noqa: E402,F401
from .app import app  # noqa: E402


def main() -> None:
    app()


__all__ = ["app", "main"]
