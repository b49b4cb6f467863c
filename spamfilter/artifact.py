"""Saving and loading a model directory: ``model.joblib`` + ``scorer.npz`` + ``meta.json``.

``model.joblib`` is the fitted scikit-learn estimator (for the Python API, explanations,
reports); ``scorer.npz`` is the same weights as plain arrays (:mod:`spamfilter.scorer`),
which ``predict`` and ``filter`` load without importing scikit-learn (a second of
start-up) and without unpickling anything.
Unpickling runs code, so loading first validates ``meta.json`` (schema, labels) and
the sha256 of each file it records, and refuses anything that does not match.
Files are written through temporary files, fsynced and renamed, so an interrupted save
never leaves a model that loads with the wrong content.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import signal
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import ArtifactError
from .io import create_beside
from .labels import LABELS
from .scorer import LinearScorer

if TYPE_CHECKING:  # scikit-learn is imported only where an estimator is saved or loaded
    from .model import SpamClassifier

SCHEMA_VERSION = 1
MODEL_FILE = "model.joblib"
SCORER_FILE = "scorer.npz"
META_FILE = "meta.json"
# Installed, the shipped model is package data (pyproject maps models/default to
# spamfilter/default_model); in a source checkout it is models/default.
_INSTALLED_DEFAULT = Path(__file__).resolve().parent / "default_model"
_REPO_DEFAULT = Path(__file__).resolve().parent.parent / "models" / "default"


def default_model_dir() -> Path:
    """The shipped model: installed as package data, or ``models/default`` in a checkout."""
    return _INSTALLED_DEFAULT if (_INSTALLED_DEFAULT / META_FILE).exists() else _REPO_DEFAULT


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _interrupts_deferred():
    """Hold Ctrl-C while two renames publish a model, so they happen together."""
    pending: list[Any] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda *args: pending.append(args))
    except ValueError:  # not the main thread: signals cannot be caught here anyway
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pending:
            raise KeyboardInterrupt


def _write_temporary(directory: Path, name: str, write) -> Path:
    fd, temporary = create_beside(directory / name)
    try:
        with open(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return Path(temporary)


def save_model(model: SpamClassifier, directory: str | Path, training: dict | None = None,
               metrics: dict | None = None, name: str | None = None) -> dict:
    """Write ``model`` to ``directory`` with its metadata; returns the metadata written."""
    import joblib
    import sklearn

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    try:
        written[SCORER_FILE] = _write_temporary(directory, SCORER_FILE, model.scorer().save)
        written[MODEL_FILE] = _write_temporary(directory, MODEL_FILE, lambda h: joblib.dump(model, h, compress=3))
        meta = _metadata(model, directory, written, training, metrics, name, sklearn.__version__)
        text = json.dumps(meta, indent=2, ensure_ascii=False).encode("utf-8")
        written[META_FILE] = _write_temporary(directory, META_FILE, lambda h: h.write(text))
    except BaseException:
        for temporary in written.values():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        raise
    _publish(directory, written)
    return meta


def _metadata(model: SpamClassifier, directory: Path, written: dict[str, Path], training: dict | None,
              metrics: dict | None, name: str | None, sklearn_version: str) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "name": name or directory.name,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": {"spamfilter": __version__, "scikit-learn": sklearn_version,
                     "python": platform.python_version()},
        "labels": list(LABELS),
        "threshold": float(model.threshold_),
        "parameters": {k: list(v) if isinstance(v, tuple) else v for k, v in model.get_params().items()},
        "training": training or {},
        "metrics": metrics or {},
        "model_sha256": sha256_of(written[MODEL_FILE]),
        "scorer_sha256": sha256_of(written[SCORER_FILE]),
    }


def _publish(directory: Path, temporaries: dict[str, Path]) -> None:
    """Rename the temporary files into place (``meta.json`` last), or leave the previous
    model as it was.

    Ctrl-C is held during the renames; if one fails, the files already replaced are put
    back from hard links of the previous ones. Temporary files never remain. Only a power
    loss between the renames can leave new files next to the old metadata, and then
    loading refuses them by checksum instead of loading wrong content.
    """
    backups: list[Path] = []
    replaced: list[tuple[Path, Path | None]] = []
    try:
        with _interrupts_deferred():
            try:
                for name, temporary in temporaries.items():
                    target, backup = directory / name, None
                    if target.exists():
                        backup = directory / f".{name}.{os.getpid()}.previous"
                        if backup.exists():
                            backup.unlink()
                        os.link(target, backup)
                        backups.append(backup)
                    os.replace(temporary, target)
                    replaced.append((target, backup))
            except BaseException:
                for target, backup in reversed(replaced):
                    if backup is not None:
                        os.replace(backup, target)
                    else:
                        target.unlink()
                raise
    finally:
        for leftover in (*temporaries.values(), *backups):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)


def read_meta(directory: str | Path) -> dict:
    """The validated ``meta.json`` of a model directory."""
    directory = Path(directory)
    meta_path = directory / META_FILE
    if not directory.is_dir():
        raise ArtifactError(f"{directory}: no such model directory (train one with 'spamfilter train')")
    if not meta_path.is_file():
        raise ArtifactError(f"{directory}: not a spamfilter model directory (no {META_FILE})")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ArtifactError(f"{meta_path}: unreadable metadata ({error})") from None
    if not isinstance(meta, dict) or meta.get("schema_version") != SCHEMA_VERSION:
        found = meta.get("schema_version") if isinstance(meta, dict) else None
        raise ArtifactError(
            f"{meta_path}: schema version {found!r}, this spamfilter reads {SCHEMA_VERSION}; "
            "retrain the model with this version"
        )
    if meta.get("labels") != list(LABELS) or not isinstance(meta.get("model_sha256"), str):
        raise ArtifactError(f"{meta_path}: missing or foreign labels/checksum; not a spamfilter model")
    return meta


def load_model(directory: str | Path | None = None) -> SpamClassifier:
    """Load a model directory (the shipped default when None), verifying it before unpickling.

    A ``.skops`` file, or a directory holding ``model.skops``, is loaded with the safe
    loader (:mod:`spamfilter.safe_format`) instead: no unpickling at all.
    The metadata is attached as ``model.metadata_``.
    """
    import joblib

    from .model import SpamClassifier

    directory = Path(directory) if directory is not None else default_model_dir()
    if directory.suffix == ".skops" or ((directory / "model.skops").is_file() and not (directory / MODEL_FILE).exists()):
        from .safe_format import load_safe

        if not directory.exists():
            raise ArtifactError(f"{directory}: no such model file")
        model = load_safe(directory)
        _warn_version(model.metadata_)
        return _matching_features(model, directory)
    if directory.is_file():
        raise ArtifactError(f"{directory}: is a file; give the model directory (holding {META_FILE}) "
                            "or a .skops file")
    meta = read_meta(directory)
    model_path = _verified(directory, MODEL_FILE, meta["model_sha256"])
    _warn_version(meta)
    try:
        model = joblib.load(model_path)
    except Exception as error:  # a checksummed file that still fails: e.g. incompatible library versions
        raise ArtifactError(f"{model_path}: cannot be loaded ({type(error).__name__}: {error}); "
                            "retrain the model with this version of spamfilter") from None
    if not isinstance(model, SpamClassifier):
        raise ArtifactError(f"{model_path}: holds a {type(model).__name__}, not a SpamClassifier")
    model.metadata_ = meta
    return _matching_features(model, model_path)


def _matching_features(model: "SpamClassifier", path: Path) -> "SpamClassifier":
    """``model``, once its weights fit the features this version computes."""
    try:
        model.scorer().check_sizes()
    except ValueError as error:
        raise ArtifactError(f"{path}: {error}; retrain the model with this version of spamfilter") from None
    return model


def _verified(directory: Path, name: str, sha256: str) -> Path:
    """The path of ``name`` in ``directory`` once its checksum matches the metadata."""
    path = directory / name
    if not path.is_file():
        raise ArtifactError(f"{directory}: {name} is missing")
    if sha256_of(path) != sha256:
        raise ArtifactError(
            f"{path}: checksum does not match {META_FILE}; the file was modified or "
            "only partly written. Refusing to load it (pickles can run code); retrain or re-copy the model"
        )
    return path


def load_scorer(directory: str | Path | None = None) -> LinearScorer:
    """The prediction weights of a model directory (the shipped default when None).

    Reads ``scorer.npz`` (checksummed, no unpickling, no scikit-learn import); a model
    saved without one, or a ``.skops`` model, is loaded whole and converted.
    """
    directory = Path(directory) if directory is not None else default_model_dir()
    if directory.is_dir() and (directory / META_FILE).is_file():
        meta = read_meta(directory)
        if isinstance(meta.get("scorer_sha256"), str):
            path = _verified(directory, SCORER_FILE, meta["scorer_sha256"])
            try:
                return LinearScorer.load(path, meta)
            except (OSError, ValueError, KeyError) as error:
                raise ArtifactError(f"{path}: cannot be loaded ({type(error).__name__}: {error}); "
                                    "retrain the model with this version of spamfilter") from None
    return load_model(directory).scorer()


def _warn_version(meta: dict) -> None:
    """Warn when the model was trained with another scikit-learn version than the running one."""
    import sklearn

    versions = meta.get("versions") if isinstance(meta.get("versions"), dict) else {}
    trained_with = versions.get("scikit-learn")
    if trained_with != sklearn.__version__:
        warnings.warn(
            f"model trained with scikit-learn {trained_with}, running {sklearn.__version__}; "
            "scores may differ slightly; retrain with 'spamfilter train' to remove this warning",
            stacklevel=3,
        )
