"""Exception types that users of the library catch.

The core trusts validated inputs; these are raised at the boundaries
(input files, model artifacts, arguments) with a message that names the
place and the fix.
"""

from __future__ import annotations


class SpamfilterError(Exception):
    """Base class of every error spamfilter raises on purpose."""


class DataError(SpamfilterError):
    """An input file or table is unreadable or malformed.

    ``source`` is the file name and ``line`` the 1-based line or row (when known),
    so the message can point at the exact place.
    """

    def __init__(self, message: str, source: str | None = None, line: int | None = None):
        self.source = source
        self.line = line
        where = source or ""
        if line is not None:
            where = f"{where}:{line}" if where else f"line {line}"
        super().__init__(f"{where}: {message}" if where else message)


class ArtifactError(SpamfilterError):
    """A model directory is missing, modified, foreign or of an unknown schema."""
