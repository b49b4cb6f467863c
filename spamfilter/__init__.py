"""spamfilter: label paragraphs of scraped text as editorial ``content`` or ``spam``."""

__version__ = "0.1.0"

from .artifact import default_model_dir, load_model, save_model  # noqa: E402
from .errors import ArtifactError, DataError, SpamfilterError  # noqa: E402
from .filtering import Filter  # noqa: E402
from .model import SpamClassifier  # noqa: E402
from .paragraphs import split_paragraphs  # noqa: E402
from .training import evaluate, train  # noqa: E402

__all__ = [
    "ArtifactError", "DataError", "Filter", "SpamClassifier", "SpamfilterError", "default_model_dir",
    "evaluate", "load_model", "save_model", "split_paragraphs", "train",
]
