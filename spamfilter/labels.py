"""The label vocabulary: binary ``content``/``spam``, with the finer ``kind`` kept for reports."""

from __future__ import annotations

CONTENT, SPAM = "content", "spam"
LABELS: tuple[str, str] = (CONTENT, SPAM)
# Every word training data may use, mapped to the binary label; the word itself is the kind.
KIND_TO_LABEL: dict[str, str] = {
    "content": CONTENT,
    "spam": SPAM,
    "boilerplate": SPAM,
    "promotion": SPAM,
}
ALLOWED = ", ".join(KIND_TO_LABEL) + " or null"


def parse_kind(value: object) -> str | None:
    """The kind named by a raw label (case and surrounding space ignored); None if unlabeled.

    Raises ``ValueError`` for a word outside :data:`KIND_TO_LABEL`.
    """
    if value is None or (isinstance(value, float) and value != value):
        return None
    if not isinstance(value, str):
        raise ValueError(f"label {value!r} is not a string; allowed: {ALLOWED}")
    kind = value.strip().lower()
    if kind in ("", "null", "none"):
        return None
    if kind not in KIND_TO_LABEL:
        raise ValueError(f"unknown label {value!r}; allowed: {ALLOWED}")
    return kind
