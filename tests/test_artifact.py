"""Model artifacts: verification before unpickling, atomic saves, the safe .skops format (issue #6)."""

import json
import os
import shutil
import subprocess
import sys

import joblib
import numpy as np
import pytest
import sklearn
from typer.testing import CliRunner

import spamfilter
from spamfilter import artifact, io as sf_io
from spamfilter.cli import app
from spamfilter.errors import ArtifactError

from conftest import EDITORIAL
from spamfilter.tables import documents_to_frame


def sf_io_frame(texts, doc_ids):
    """A paragraph table of ``texts`` grouped into documents by ``doc_ids`` (contiguous)."""
    documents, start = [], 0
    for doc_id in dict.fromkeys(doc_ids):
        size = doc_ids.count(doc_id)
        documents.append(sf_io.Document(doc_id, texts[start:start + size], [None] * size))
        start += size
    return documents_to_frame(documents)

TEXTS = ["Home", "News", "Log in", EDITORIAL[0], EDITORIAL[5], EDITORIAL[2], "Read more", "Leave a comment"]
LABELS = ["spam"] * 3 + ["content"] * 3 + ["spam"] * 2


@pytest.fixture
def model_dir(tiny_model_dir, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(tiny_model_dir, target)
    return target


def test_flipped_byte_is_refused_before_unpickling(model_dir, monkeypatch):
    path = model_dir / "model.joblib"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    monkeypatch.setattr(joblib, "load", lambda *a, **k: pytest.fail("unpickled a modified file"))
    with pytest.raises(ArtifactError, match="checksum does not match meta.json; the file was modified"):
        spamfilter.load_model(model_dir)


def test_truncated_model_file_is_refused(model_dir):
    path = model_dir / "model.joblib"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ArtifactError, match="only partly written"):
        spamfilter.load_model(model_dir)


def test_flipped_byte_in_scorer_is_refused(model_dir):
    path = model_dir / "scorer.npz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="scorer.npz: checksum does not match meta.json"):
        artifact.load_scorer(model_dir)


def test_scorer_gives_the_estimators_scores(model_dir):
    frame = sf_io_frame(["Home", EDITORIAL[0], "Read more", EDITORIAL[3]], ["a", "a", "a", "b"])
    expected = spamfilter.load_model(model_dir).score_paragraphs(frame)
    scorer = artifact.load_scorer(model_dir)
    got = scorer.score_texts(frame["text"].tolist(), np.array([0, 3, 4]))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(scorer.score_texts(tuple(frame["text"]), [0, 3, 4]), expected, rtol=1e-12)
    assert scorer.threshold_ == spamfilter.load_model(model_dir).threshold_


def test_model_saved_without_scorer_file_still_loads_for_prediction(model_dir):
    meta = json.loads((model_dir / "meta.json").read_text())
    del meta["scorer_sha256"]
    (model_dir / "meta.json").write_text(json.dumps(meta))
    (model_dir / "scorer.npz").unlink()
    scorer = artifact.load_scorer(model_dir)
    assert scorer.score_texts(["Home", EDITORIAL[0]], np.array([0, 2])).shape == (2,)


def test_predict_and_filter_start_without_scikit_learn_or_pandas(tiny_model_dir, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "d", "text": "Home\n\n" + EDITORIAL[0]}) + "\n")
    code = (
        "import sys\n"
        "from spamfilter.cli import app\n"
        f"for command in (['predict', {str(source)!r}, '-o', {str(tmp_path / 'p.jsonl')!r}],\n"
        f"                ['filter', {str(source)!r}, '-o', {str(tmp_path / 'c.jsonl')!r}]):\n"
        f"    app(command + ['-m', {str(tiny_model_dir)!r}], standalone_mode=False)\n"
        "print(sorted(m for m in ('sklearn', 'pandas', 'scipy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "p.jsonl").read_text().count("\n") == 2


@pytest.mark.parametrize("meta, message", [
    ({"schema_version": 99}, "schema version 99, this spamfilter reads 1"),
    ({"schema_version": 1, "labels": ["ham", "spam"], "model_sha256": "x"}, "foreign labels/checksum"),
    ("[1, 2]", "schema version None"),
    ("{not json", "unreadable metadata"),
])
def test_foreign_or_broken_meta_is_refused(model_dir, meta, message):
    (model_dir / "meta.json").write_text(meta if isinstance(meta, str) else json.dumps(meta))
    with pytest.raises(ArtifactError, match=message):
        spamfilter.load_model(model_dir)


def test_model_of_a_version_with_other_features_is_refused_by_name(model_dir, monkeypatch):
    from spamfilter import features

    monkeypatch.setattr(features, "REPETITION_NAMES", features.REPETITION_NAMES + ("a_newer_cue",))
    for load, path in ((spamfilter.load_model, "model.joblib"), (artifact.load_scorer, "scorer.npz")):
        with pytest.raises(ArtifactError, match=rf"{path}: .* first-pass weights, but this version computes .*"
                                                r"retrain the model with this version"):
            load(model_dir)
    result = CliRunner().invoke(app, ["predict", "-", "-m", str(model_dir)], input="Hello\n")
    assert result.exit_code == 1 and "retrain the model" in result.stderr


def test_model_with_another_second_pass_is_refused_by_name(model_dir, monkeypatch):
    from spamfilter import scorer

    monkeypatch.setattr(scorer, "SCORE_CONTEXT_NAMES", scorer.SCORE_CONTEXT_NAMES + ("a_newer_cue",))
    with pytest.raises(ArtifactError, match=r"scorer.npz: .* second-pass weights, but this version computes "):
        artifact.load_scorer(model_dir)


def test_missing_model_file_and_file_instead_of_dir(model_dir):
    with pytest.raises(ArtifactError, match="is a file; give the model directory"):
        spamfilter.load_model(model_dir / "meta.json")
    (model_dir / "model.joblib").unlink()
    with pytest.raises(ArtifactError, match="model.joblib is missing"):
        spamfilter.load_model(model_dir)


def test_other_sklearn_version_loads_with_warning_naming_both(model_dir):
    meta_path = model_dir / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["versions"]["scikit-learn"] = "0.0.1"  # not covered by model_sha256: the model stays verifiable
    meta_path.write_text(json.dumps(meta))
    with pytest.warns(UserWarning, match=rf"trained with scikit-learn 0\.0\.1, running {sklearn.__version__}"):
        model = spamfilter.load_model(model_dir)
    assert list(model.predict(TEXTS)) == LABELS


def _no_temporaries(directory):
    return [p.name for p in directory.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()])
def test_failed_dump_keeps_previous_model(model_dir, monkeypatch, failure):
    before = (model_dir / "model.joblib").read_bytes()
    model = spamfilter.load_model(model_dir)

    def broken_dump(obj, handle, **kwargs):
        handle.write(b"partial")
        raise failure

    monkeypatch.setattr(joblib, "dump", broken_dump)
    with pytest.raises(type(failure)):
        artifact.save_model(model, model_dir)
    assert (model_dir / "model.joblib").read_bytes() == before
    assert spamfilter.load_model(model_dir).threshold_ == model.threshold_
    assert _no_temporaries(model_dir)


@pytest.mark.parametrize("failing_call", [1, 2, 3])
def test_failed_rename_keeps_previous_model(model_dir, monkeypatch, failing_call):
    model = spamfilter.load_model(model_dir)
    model.threshold_ = 0.123  # a visibly different model
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == failing_call:
            raise OSError("rename failed")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError, match="rename failed"):
        artifact.save_model(model, model_dir)
    monkeypatch.setattr(os, "replace", real_replace)
    assert spamfilter.load_model(model_dir).threshold_ != 0.123
    assert _no_temporaries(model_dir)


def test_interrupted_predict_output_keeps_previous_file(tiny_model_dir, tmp_path, monkeypatch):
    page = tmp_path / "page.txt"
    page.write_text("Home\n\nSome article text here.\n")
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")

    def interrupted(records, handle):
        handle.write(b"half a line")
        raise KeyboardInterrupt

    monkeypatch.setattr("spamfilter.cli.core.write_jsonl", interrupted)
    result = CliRunner().invoke(app, ["predict", str(page), "-m", str(tiny_model_dir), "-o", str(out)])
    assert result.exit_code == 130
    assert "interrupted; no partial output was written" in result.stderr
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "page.txt"]


def test_atomic_output_failure_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with sf_io.atomic_output(str(tmp_path / "x.jsonl")) as handle:
            handle.write("data")
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ safe format

def test_export_safe_round_trip(tiny_model_dir, tmp_path):
    out = tmp_path / "shared.skops"
    result = CliRunner().invoke(app, ["export-safe", str(tiny_model_dir), str(out)])
    assert result.exit_code == 0, result.output
    safe = spamfilter.load_model(out)
    original = spamfilter.load_model(tiny_model_dir)
    assert np.array_equal(safe.predict_proba(TEXTS), original.predict_proba(TEXTS))
    assert safe.metadata_["model_sha256"] == original.metadata_["model_sha256"]
    (tmp_path / "dir").mkdir()
    shutil.copy(out, tmp_path / "dir" / "model.skops")
    assert spamfilter.load_model(tmp_path / "dir").threshold_ == original.threshold_


def test_safe_load_refuses_foreign_types(tmp_path):
    import skops.io as sio
    from collections import OrderedDict

    from spamfilter.safe_format import load_safe

    path = tmp_path / "evil.skops"
    sio.dump({"model": OrderedDict(a=1)}, path)
    with pytest.raises(ArtifactError, match=r"refusing to load types .*collections.OrderedDict"):
        load_safe(path)


def test_safe_load_refuses_non_model_and_garbage(tmp_path):
    import skops.io as sio

    path = tmp_path / "list.skops"
    sio.dump([1, 2], path)
    with pytest.raises(ArtifactError, match="holds a list, not a SpamClassifier"):
        spamfilter.load_model(path)
    garbage = tmp_path / "garbage.skops"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(ArtifactError, match="not a readable .skops file"):
        spamfilter.load_model(garbage)


def test_default_model_dir_prefers_the_installed_package_data(tmp_path, monkeypatch):
    from spamfilter import artifact

    installed = tmp_path / "default_model"
    monkeypatch.setattr(artifact, "_INSTALLED_DEFAULT", installed)
    assert artifact.default_model_dir() == artifact._REPO_DEFAULT  # nothing installed there
    installed.mkdir()
    (installed / "meta.json").write_text("{}")
    assert artifact.default_model_dir() == installed


def test_scorer_files_keep_the_calibration_and_curve_and_older_files_still_load(model_dir, tmp_path):
    from dataclasses import replace

    from spamfilter.scorer import LinearScorer

    scorer = artifact.load_scorer(model_dir)
    assert scorer.calibration is not None
    model = artifact.load_model(model_dir)
    np.testing.assert_array_equal(scorer.precision_curve, model.precision_curve_)
    assert scorer.precision_curve.shape[0] == 3
    texts, starts = ["Home", EDITORIAL[0], "Read more"], [0, 3]
    older = replace(scorer, calibration=None, precision_curve=None)
    path = tmp_path / "older.npz"
    with path.open("wb") as handle:
        older.save(handle)
    with np.load(path) as arrays:  # what a version-1 file held: no calibration, format 1
        kept = {name: arrays[name] for name in arrays.files}
    settings = json.loads(str(kept["settings"]))
    kept["settings"] = np.array(json.dumps(dict(settings, format=1)))
    np.savez(path, **kept)
    loaded = LinearScorer.load(path)
    assert loaded.calibration is None and loaded.precision_curve is None
    with pytest.raises(ValueError, match="no precision curve .* give a threshold instead"):
        loaded.operating_point(0.9)
    np.testing.assert_allclose(loaded.logits(texts, starts), older.logits(texts, starts), rtol=1e-12)
    assert not np.allclose(loaded.logits(texts, starts), scorer.logits(texts, starts))
    kept["settings"] = np.array(json.dumps(dict(settings, format=99)))
    np.savez(path, **kept)
    with pytest.raises(ValueError, match="scorer format 99, this version reads 1, 2, 3"):
        LinearScorer.load(path)


@pytest.mark.parametrize("field, value, message", [
    ("calibration", np.array([1.0, 2.0]), r"calibration of shape \(2,\), expected 3 numbers"),
    ("precision_curve", np.zeros((2, 5)), r"precision curve of shape \(2, 5\), expected 3 rows"),
])
def test_scorer_file_with_a_malformed_calibration_or_curve_is_refused(model_dir, tmp_path, field, value, message):
    from dataclasses import replace

    from spamfilter.scorer import LinearScorer

    broken = replace(artifact.load_scorer(model_dir), **{field: value})
    path = tmp_path / "broken.npz"
    with path.open("wb") as handle:
        broken.save(handle)
    with pytest.raises(ValueError, match=message):
        LinearScorer.load(path)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_written_files_get_the_umask_permissions_not_private_ones(tiny_model_dir, tmp_path):
    """A model or output written for a pipeline must be readable as any new file is."""
    previous = os.umask(0o027)
    try:
        artifact.save_model(spamfilter.load_model(tiny_model_dir), tmp_path / "saved")
        with sf_io.atomic_output(str(tmp_path / "out.jsonl")) as handle:
            handle.write("{}\n")
    finally:
        os.umask(previous)
    written = [tmp_path / "out.jsonl", *(tmp_path / "saved").iterdir()]
    assert {path.name for path in written} >= {"out.jsonl", "model.joblib", "scorer.npz", "meta.json"}
    assert {oct(path.stat().st_mode & 0o777) for path in written} == {oct(0o640)}
