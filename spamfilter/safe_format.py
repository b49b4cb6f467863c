"""A model format that is safe to load from strangers: ``skops.io`` with an allow-list.

``model.joblib`` is a pickle: loading it can run any code, so only load model
directories you made or trust (spamfilter checks their sha256 against ``meta.json``,
which catches corruption, not malice). To share a model, export it with
``spamfilter export-safe MODEL_DIR OUT.skops``: a ``.skops`` file is a zip of JSON and
numpy arrays that loads without unpickling. Loading refuses any file that holds a type
outside :data:`ALLOWED_TYPES` (and outside numpy, scipy, scikit-learn and builtins),
so a crafted file cannot smuggle in a callable.

Needs the optional dependency: ``pip install 'spamfilter[safe]'``.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from .errors import ArtifactError
from .model import SpamClassifier

SAFE_SUFFIX = ".skops"
SAFE_FILE = "model.skops"
# The only types a spamfilter model holds that skops does not trust by default.
ALLOWED_TYPES: frozenset[str] = frozenset({
    "spamfilter.model.SpamClassifier",
    "spamfilter.feature_matrix.ParagraphFeatures",
    "spamfilter.scorer.PromotionDetector",
})
# Every other type in the file must come from one of these packages.
ALLOWED_MODULES: tuple[str, ...] = ("builtins", "numpy", "scipy.sparse", "sklearn", "spamfilter.")


def _skops_io():
    try:
        import skops.io as sio
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise ArtifactError("reading or writing .skops models needs skops: pip install 'spamfilter[safe]'") from None
    return sio


def is_safe_path(path: str | Path) -> bool:
    """Whether ``path`` is a ``.skops`` file or a directory holding ``model.skops``."""
    path = Path(path)
    return (path.suffix == SAFE_SUFFIX and path.is_file()) or (path / SAFE_FILE).is_file()


def export_safe(model: SpamClassifier, path: str | Path) -> Path:
    """Write ``model`` (with its ``metadata_``) to a ``.skops`` file, atomically; returns the path."""
    from .io import atomic_output

    sio = _skops_io()
    path = Path(path)
    if path.suffix != SAFE_SUFFIX:
        raise ArtifactError(f"{path}: a safe model file must end in {SAFE_SUFFIX}")
    with atomic_output(str(path), binary=True) as handle:
        handle.write(sio.dumps(model))
    return path


def _types_in_schema(node: object, found: set[str]) -> None:
    if isinstance(node, dict):
        if "__class__" in node and "__module__" in node:
            found.add(f"{node['__module__']}.{node['__class__']}")
        for value in node.values():
            _types_in_schema(value, found)
    elif isinstance(node, list):
        for value in node:
            _types_in_schema(value, found)


def check_types(path: Path) -> list[str]:
    """The types the skops file needs trusted; ArtifactError if any is not allowed."""
    sio = _skops_io()
    try:
        with zipfile.ZipFile(path) as archive:
            schema = json.loads(archive.read("schema.json"))
        untrusted = sio.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ArtifactError(f"{path}: not a readable .skops file ({error}); re-export it with "
                            "'spamfilter export-safe'") from None
    found: set[str] = set()
    _types_in_schema(schema, found)
    foreign = sorted({t for t in found if not t.startswith(ALLOWED_MODULES)} | (set(untrusted) - ALLOWED_TYPES))
    if foreign:
        raise ArtifactError(f"{path}: refusing to load types that a spamfilter model never holds: {foreign}")
    return list(untrusted)


def load_safe(path: str | Path) -> SpamClassifier:
    """Load a ``.skops`` file (or a directory holding ``model.skops``) after checking its types."""
    sio = _skops_io()
    path = Path(path)
    if path.is_dir():
        path = path / SAFE_FILE
    trusted = check_types(path)
    try:
        model = sio.load(path, trusted=trusted)
    except Exception as error:  # skops raises many kinds on malformed content
        raise ArtifactError(f"{path}: cannot load the .skops model ({type(error).__name__}: {error})") from None
    if not isinstance(model, SpamClassifier):
        raise ArtifactError(f"{path}: holds a {type(model).__name__}, not a SpamClassifier")
    if not isinstance(getattr(model, "metadata_", None), dict):
        model.metadata_ = {}
    return model
