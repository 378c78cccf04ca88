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


# ------------------------------------------- issue 10 point 5: every entry point checks its input
def leftovers(root: Path) -> list[str]:
    """Temp files and other leftovers of failed writes anywhere in a store."""
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".creating")
    )


def test_a_bad_tag_or_param_in_start_run_leaves_no_run_and_no_experiment(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s", create=True)
    for kwargs in (
        {"tags": {"": 1}},
        {"params": {"a\n": 1}},
        {"tags": ["not", "a", "dict"]},
        {"params": {"p": "\udcff"}},
        {"flush_interval": float("nan")},
        {"flush_interval": None},
        {"flush_interval": "1"},
        {"flush_interval": 0},
        {"flush_interval": float("inf")},
        {"flush_interval": True},
        {"name": "\ud800"},
    ):
        with pytest.raises(tc.ValidationError) as info:
            store.start_run("fresh", **kwargs)  # type: ignore[arg-type]
        argument = next(iter(kwargs))
        assert argument.rstrip("s") in str(info.value) or "name" in str(info.value), info.value
    assert store.list_experiments() == [] or all(e.name != "fresh" for e in store.list_experiments())
    assert leftovers(tmp_path / "s") == []


def test_flush_interval_errors_name_the_value(tmp_path: Path) -> None:
    with pytest.raises(tc.ValidationError, match=r"flush_interval must be a finite positive number.*nan"):
        tc.Store(tmp_path / "s").start_run("e", flush_interval=float("nan"))


def test_resuming_with_a_conflicting_param_leaves_the_run_as_it_was(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    with store.start_run("e", params={"lr": 0.1}) as run:
        pass
    with pytest.raises(tc.ConflictError, match="lr"):
        store.start_run(run_id=run.id, params={"lr": 0.2})
    again = store.get_run(run.id)
    assert again.status == "finished" and again.params == {"lr": 0.1}
    store.start_run(run_id=run.id, params={"lr": 0.1}).end()  # and it can still be resumed


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.log_metric("m", 10**400), r"metric 'm' value 1000.* too large for a 64-bit float"),
        (lambda r: r.log_metric("m", 1.0, step=2**70), "steps are 64-bit integers"),
        (lambda r: r.log_metric("m", 1.0, timestamp=10**400), "must be unix seconds"),
        (lambda r: r.log_metric("\udcff", 1.0), "lone surrogate"),
        (lambda r: r.log_params(["a", 1]), r"params must be a dict.*list"),
        (lambda r: r.set_tags([("a", 1)]), r"tags must be a dict.*list"),
        (lambda r: r.log_metrics([1.0]), r"metrics must be a dict.*list"),
        (lambda r: r.log_param("big", 2**1100), "integers are kept exactly up to 1024 bits"),
        (lambda r: r.log_param("p", "bad \udcff text"), "lone surrogate"),
        (lambda r: r.set_tag("t", {"\ud800": 1}), "lone surrogate"),
        (lambda r: r.log_text(b"bytes", "a.txt"), "text must be a str"),
        (lambda r: r.log_text("x\udcff", "a.txt"), "lone surrogate"),
        (lambda r: r.log_text("x", "a\udcff.txt"), "lone surrogate"),
        (lambda r: r.log_text("x", None), "artifact path must be a string"),
        (lambda r: r.log_text("x", "n" * 256), "file names hold at most 255"),
        (lambda r: r.log_dict({"a": float}, "d" * 300 + ".json"), "file names hold at most 255"),
        (lambda r: r.log_artifact(None), "local_path must be a path"),
        (lambda r: r.log_artifact("/"), "root has no name"),
        (lambda r: r.log_artifact("/dev/null"), "only regular files and folders"),
        (lambda r: r.log_model(object(), None), "artifact path must be a string"),
        (lambda r: r.end(None), "cannot end a run as None"),
    ],
)
def test_bad_arguments_raise_validation_errors_naming_them(run: tc.Run, call: object, message: str) -> None:
    with pytest.raises(tc.ValidationError, match=message):
        call(run)  # type: ignore[operator]
    assert leftovers(run.dir) == []
    assert not run.ended


def test_self_referencing_and_deeply_nested_values_are_refused(run: tc.Run) -> None:
    loop: list[object] = [1]
    loop.append(loop)
    with pytest.raises(tc.ValidationError, match="contains itself"):
        run.log_param("loop", loop)
    cyclic: dict[str, object] = {}
    cyclic["me"] = cyclic
    with pytest.raises(tc.ValidationError, match="contains itself"):
        run.log_dict(cyclic, "c.json")
    deep: list[object] = []
    for _ in range(500):
        deep = [deep]
    with pytest.raises(tc.ValidationError, match="nested more than 100 levels"):
        run.set_tag("deep", deep)
    shared = [1, 2]
    run.log_param("shared", [shared, shared])  # the same list twice is not a cycle
    assert run.params["shared"] == [[1, 2], [1, 2]]


def test_objects_whose_str_raises_are_refused(run: tc.Run) -> None:
    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no text")

    with pytest.raises(tc.ValidationError, match="Broken"):
        run.log_param("obj", Broken())


def test_unpicklable_model_raises_validation_error_and_leaves_nothing(run: tc.Run) -> None:
    import threading

    with pytest.raises(tc.ValidationError, match=r"cannot be saved with joblib"):
        run.log_model({"lock": threading.Lock()}, "m")
    assert not (run.artifact_dir / "m").exists()
    assert leftovers(run.dir) == []
    run.log_model({"ok": 1}, "m")  # the name is free for a good model
    assert (run.artifact_dir / "m" / "model.joblib").is_file()
    with pytest.raises(tc.ValidationError):
        run.log_model(lambda: 1, "m")  # over an existing model: the old one is kept intact
    assert tc.load_model if hasattr(tc, "load_model") else True
    assert sorted(p.name for p in (run.artifact_dir / "m").iterdir()) == ["model.joblib", "model.json"]


def test_artifact_names_of_255_bytes_work(run: tc.Run, tmp_path: Path) -> None:
    name = "n" * 251 + ".txt"
    assert run.log_text("x", name) == name
    assert (run.artifact_dir / name).read_text() == "x"
    src = tmp_path / ("f" * 255)
    src.write_text("data")
    assert run.log_artifact(src, "sub") == "sub/" + "f" * 255
    assert run.log_model({"a": 1}, "m" * 255)["file"] == "model.joblib"
    run.flush()
    listed = {a.path for a in run.store.list_artifacts(run.id)}
    assert {name, "sub/" + "f" * 255, "m" * 255 + "/model.joblib"} <= listed


def test_a_symlink_artifact_is_stored_under_the_links_name(run: tc.Run, tmp_path: Path) -> None:
    target = tmp_path / "checkpoint-000123.pt"
    target.write_bytes(b"weights")
    link = tmp_path / "best.pt"
    link.symlink_to(target)
    assert run.log_artifact(link) == "best.pt"
    stored = run.artifact_dir / "best.pt"
    assert stored.read_bytes() == b"weights" and not stored.is_symlink()
    assert not (run.artifact_dir / target.name).exists()


def test_odd_artifact_paths_give_validation_errors_not_os_errors(run: tc.Run, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "x.txt").write_text("x")
    (tmp_path / "file.txt").write_text("f")
    run.log_artifact(tmp_path / "folder")
    with pytest.raises(tc.ValidationError, match="already a folder"):
        run.log_text("t", "folder")  # a file over a logged folder
    run.log_artifact(tmp_path / "file.txt")
    with pytest.raises(tc.ValidationError, match="already a file"):
        run.log_text("t", "file.txt/inner.txt")  # a folder where a file is
    with pytest.raises(tc.ValidationError, match="no such file"):
        run.log_artifact(tmp_path / "missing")
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(tc.ValidationError, match="not a pipe"):
        run.log_artifact(tmp_path / "pipe")
    (tmp_path / "folder" / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(tc.ValidationError, match="cannot log artifact"):
        run.log_artifact(tmp_path / "folder", "again")
    assert not (run.artifact_dir / "again").exists()
    assert (run.artifact_dir / "folder" / "x.txt").read_text() == "x"
    assert leftovers(run.dir) == []
    run.log_artifact(tmp_path / "folder" / "x.txt", "folder")  # into a logged folder is fine


def test_integers_beyond_64_bits_round_trip_exactly_and_resume_cleanly(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    big = 2**100 + 1
    values = {"big": big, "neg": -(2**80) - 3, "u64": 2**64 - 1, "nested": {"n": [big, 1.5]}, "max": 2**1024 - 1}
    with store.start_run("e", params=values, tags={"t": big}) as run:
        run.log_dict({"v": big}, "d.json")
    got = store.get_run(run.id)
    assert got.params == values and type(got.params["big"]) is int and got.tags["t"] == big
    assert tc.Store(tmp_path / "s").list_runs("e")[0].params == values  # through a fresh summary cache too
    assert store.list_runs("e")[0].params == values  # and from the cache
    resumed = store.start_run(run_id=run.id, params={"big": big})  # no conflict with itself
    resumed.log_param("neg", -(2**80) - 3)
    resumed.end()
    from tracker_core.jsonio import read_json

    assert read_json(run.artifact_dir / "d.json") == {"v": big}


def test_unhashable_metric_keys_and_odd_stores_are_validation_errors(run: tc.Run, tmp_path: Path) -> None:
    with pytest.raises(tc.ValidationError, match="metric key must be a string"):
        run.log_metric(["loss"], 1.0)  # type: ignore[arg-type]
    with pytest.raises(tc.ValidationError, match="store must be a path or a Store"):
        tc.start_run("e", store=42)  # type: ignore[arg-type]
    assert tc.active_run() is None
