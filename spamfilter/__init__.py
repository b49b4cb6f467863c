"""spamfilter: label paragraphs of scraped text as editorial ``content`` or ``spam``.

The public names load on first use (PEP 562), so ``predict`` and ``filter`` start
without importing scikit-learn and pandas unless they need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "ArtifactError": "errors", "DataError": "errors", "SpamfilterError": "errors",
    "Filter": "filtering", "LinearScorer": "scorer", "SpamClassifier": "model",
    "default_model_dir": "artifact", "load_model": "artifact", "load_scorer": "artifact", "save_model": "artifact",
    "split_paragraphs": "paragraphs", "evaluate": "training", "train": "training",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from .artifact import default_model_dir, load_model, load_scorer, save_model
    from .errors import ArtifactError, DataError, SpamfilterError
    from .filtering import Filter
    from .model import SpamClassifier
    from .paragraphs import split_paragraphs
    from .scorer import LinearScorer
    from .training import evaluate, train
