"""Bad input is refused with a message that says what is wrong, and nothing escapes the run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import tracker_core as tc


@pytest.fixture
def run(tmp_path: Path) -> tc.Run:
    store = tc.Store(tmp_path / "store")
    r = store.start_run("e")
    yield r
    r.end()


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("x" * 251, "251 characters long; the limit is 250"),
        ("a\nb", "control character"),
        ("tab\there", "control character"),
        ("../escape", "'..' path parts"),
        ("a/../b", "'..' path parts"),
        ("/abs", "must not start with '/'"),
        (42, "must be a string"),
    ],
)
def test_bad_keys_are_refused(run: tc.Run, key: object, message: str) -> None:
    for log in (lambda: run.log_metric(key, 1.0), lambda: run.log_param(key, 1), lambda: run.set_tag(key, "v")):  # type: ignore[arg-type]
        with pytest.raises(tc.ValidationError, match=message):
            log()


def test_a_key_of_250_characters_with_slashes_and_spaces_is_fine(run: tc.Run) -> None:
    run.log_metric("val/" + "x" * 246, 1.0)
    run.log_param("model params/depth of tree", 3)


@pytest.mark.parametrize("value", ["0.5", None, b"1", [1.0], object()])
def test_metric_values_must_be_numbers(run: tc.Run, value: object) -> None:
    with pytest.raises(tc.ValidationError, match="must be a number"):
        run.log_metric("loss", value)  # type: ignore[arg-type]


@pytest.mark.parametrize("step", [1.5, "3", True])
def test_steps_must_be_integers(run: tc.Run, step: object) -> None:
    with pytest.raises(tc.ValidationError, match="must be an integer"):
        run.log_metric("loss", 1.0, step=step)  # type: ignore[arg-type]


def test_relogging_a_param_with_another_value_is_an_error(run: tc.Run) -> None:
    run.log_params({"lr": 0.1, "layers": [1, 2]})
    run.log_params({"lr": 0.1, "layers": [1, 2]})  # identical: accepted
    with pytest.raises(tc.ConflictError, match=r"param 'lr' was already logged as 0\.1.*cannot change it to 0\.2"):
        run.log_params({"other": 1, "lr": 0.2})
    assert "other" not in run.params  # nothing of a refused batch is recorded
    with pytest.raises(tc.ConflictError):
        run.log_param("lr", True)


@pytest.mark.parametrize("name", ["../outside.txt", "a/../../outside.txt", "/etc/passwd", "C:/x", "", "."])
def test_artifact_names_cannot_escape_the_run(run: tc.Run, tmp_path: Path, name: str) -> None:
    with pytest.raises(tc.ValidationError):
        run.log_text("x", name)
    assert not (tmp_path / "outside.txt").exists()


def test_symlink_inside_artifacts_pointing_outside_is_not_followed(run: tc.Run, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    run.artifact_dir.mkdir(exist_ok=True)
    os.symlink(outside, run.artifact_dir / "link")
    with pytest.raises(tc.ValidationError, match="outside the run's artifact directory"):
        run.log_text("gotcha", "link/file.txt")
    with pytest.raises(tc.ValidationError, match="outside"):
        run.store.artifact_path(run.id, "link/file.txt")
    assert list(outside.iterdir()) == []


def test_log_artifact_of_missing_file(run: tc.Run, tmp_path: Path) -> None:
    with pytest.raises(tc.ValidationError, match="no such file"):
        run.log_artifact(tmp_path / "nope.txt")


def test_bad_experiment_and_run_names(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    with pytest.raises(tc.ValidationError, match="experiment name"):
        store.start_run("")
    with pytest.raises(tc.ValidationError, match="run name"):
        store.start_run("e", "bad\x00name")
