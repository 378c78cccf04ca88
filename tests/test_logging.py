"""Logging a run through the object and fluent APIs, and reading it back."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tracker_core as tc
from tracker_core.records import FAILED, FINISHED, KILLED


@pytest.fixture
def store(tmp_path: Path) -> tc.Store:
    return tc.Store(tmp_path / "store")


def test_params_metrics_tags_round_trip(store: tc.Store) -> None:
    with store.start_run("churn", "rf") as run:
        run.log_params({"n_estimators": 50, "lr": 0.1, "model": "rf", "bootstrap": True, "layers": [64, 32]})
        run.log_param("max_depth", None)
        for step, loss in enumerate([0.9, 0.5, 0.7, 0.3]):
            run.log_metric("loss", loss, step=step)
        run.log_metrics({"accuracy": 0.91, "auc": 0.95})
        run.set_tags({"team": "growth"})
        run.set_tag("team", "ml")  # tags may change
    summary = store.get_run(run.id)
    assert summary.status == FINISHED
    assert summary.params == {
        "n_estimators": 50, "lr": 0.1, "model": "rf", "bootstrap": True, "layers": [64, 32], "max_depth": None,
    }  # fmt: skip
    assert type(summary.params["n_estimators"]) is int
    assert summary.tags == {"team": "ml"}
    loss = summary.metrics["loss"]
    assert (loss.last, loss.min, loss.max, loss.step, loss.count) == (0.3, 0.3, 0.9, 3, 4)
    assert summary.metric("accuracy") == 0.91
    history = store.metric_history(run.id, "loss")
    assert [(p.step, p.value) for p in history] == [(0, 0.9), (1, 0.5), (2, 0.7), (3, 0.3)]
    assert summary.end_time is not None and summary.duration is not None and summary.duration >= 0


def test_default_steps_count_up_per_metric(store: tc.Store) -> None:
    with store.start_run("e") as run:
        for v in (3.0, 2.0, 1.0):
            run.log_metric("loss", v)
        run.log_metric("acc", 0.5)
        run.log_metric("loss", 0.5, step=10)
        run.log_metric("loss", 0.4)
    steps = [p.step for p in store.metric_history(run.id, "loss")]
    assert steps == [0, 1, 2, 10, 11]
    assert [p.step for p in store.metric_history(run.id, "acc")] == [0]


def test_last_is_the_highest_step_even_when_logged_out_of_order(store: tc.Store) -> None:
    with store.start_run("e") as run:
        run.log_metric("loss", 0.2, step=5)
        run.log_metric("loss", 0.9, step=1)
    assert store.get_run(run.id).metrics["loss"].last == 0.2


def test_numpy_values_are_accepted_and_stored_as_json_types(store: tc.Store) -> None:
    np = pytest.importorskip("numpy")
    with store.start_run("e") as run:
        run.log_params({"n": np.int64(7), "f": np.float32(0.5), "arr": np.arange(3), "flag": np.bool_(True)})
        run.log_metric("loss", np.float64(0.25), step=np.int32(2))
    summary = store.get_run(run.id)
    assert summary.params == {"n": 7, "f": 0.5, "arr": [0, 1, 2], "flag": True}
    assert type(summary.params["n"]) is int
    assert summary.metrics["loss"].last == 0.25 and summary.metrics["loss"].step == 2


def test_status_from_with_block(store: tc.Store) -> None:
    with pytest.raises(ZeroDivisionError), store.start_run("e", "boom") as failing:
        failing.log_metric("x", 1.0)
        _ = 1 / 0
    with pytest.raises(KeyboardInterrupt), store.start_run("e", "ctrl-c") as interrupted:
        raise KeyboardInterrupt
    failed = store.get_run(failing.id)
    assert failed.status == FAILED
    assert failed.error is not None and "ZeroDivisionError" in failed.error and "1 / 0" in failed.error
    assert failed.metrics["x"].last == 1.0  # buffered points are flushed on failure
    assert store.get_run(interrupted.id).status == KILLED


def test_end_with_explicit_status_and_bad_status(store: tc.Store) -> None:
    run = store.start_run("e")
    with pytest.raises(tc.ValidationError, match="finished, failed, killed"):
        run.end("done")
    run.end("killed")
    assert store.get_run(run.id).status == KILLED
    with pytest.raises(tc.RunStateError, match="has ended"):
        run.log_metric("x", 1.0)


def test_nested_runs_and_fluent_api(store: tc.Store) -> None:
    with tc.start_run(experiment="sweep", name="parent", store=store) as parent:
        tc.log_param("grid", "small")
        for i in range(2):
            with tc.start_run(name=f"child-{i}", nested=True, store=store) as child:
                assert tc.active_run() is child
                tc.log_metric("score", i)
        assert tc.active_run() is parent
        with pytest.raises(tc.RunStateError, match="nested=True"):
            tc.start_run(name="oops", store=store)
    assert tc.active_run() is None
    runs = store.list_runs("sweep")
    children = [r for r in runs if r.parent_id == parent.id]
    assert sorted(r.name for r in children) == ["child-0", "child-1"]
    assert store.get_run(parent.id).params == {"grid": "small"}
    with pytest.raises(tc.RunStateError, match="no active run"):
        tc.log_metric("x", 1)


def test_resume_a_run_by_id_keeps_history_and_steps(store: tc.Store) -> None:
    with store.start_run("e", "long") as run:
        run.log_param("lr", 0.1)
        run.log_metric("loss", 1.0)
        run.log_metric("loss", 0.8)
    with store.start_run(run_id=run.id[:8]) as resumed:
        assert resumed.id == run.id
        resumed.log_metric("loss", 0.6)
        resumed.log_param("lr", 0.1)  # same value again is fine
        with pytest.raises(tc.ConflictError, match=r"already logged as 0\.1"):
            resumed.log_param("lr", 0.2)
    history = store.metric_history(run.id, "loss")
    assert [(p.step, p.value) for p in history] == [(0, 1.0), (1, 0.8), (2, 0.6)]
    assert store.get_run(run.id).status == FINISHED


def test_resuming_a_live_run_is_refused(store: tc.Store) -> None:
    run = store.start_run("e")
    with pytest.raises(tc.ConflictError, match="still running"):
        store.start_run(run_id=run.id)
    run.end()


def test_artifacts_files_directories_text_dict(store: tc.Store, tmp_path: Path) -> None:
    src = tmp_path / "plots"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.txt").write_text("beta!")
    single = tmp_path / "cm.png"
    single.write_bytes(b"\x89PNG fake")
    with store.start_run("e") as run:
        assert run.log_artifact(single) == "cm.png"
        assert run.log_artifact(src, "figures") == "figures/plots"
        run.log_text("hello\n", "notes/readme.txt")
        run.log_dict({"auc": float("nan"), "n": 3}, "report.json")
    listing = {a.path: a for a in store.list_artifacts(run.id)}
    assert listing["cm.png"].size == len(b"\x89PNG fake")
    assert listing["figures/plots/sub/b.txt"].size == 5
    assert listing["figures/plots"].is_dir
    assert store.artifact_path(run.id, "notes/readme.txt").read_text() == "hello\n"
    report = store.artifact_path(run.id, "report.json").read_text()
    assert '"$float"' in report and "NaN" in report  # strict JSON, non-finite tagged


def test_log_model_writes_joblib_and_a_sidecar_readable_without_unpickling(store: tc.Store) -> None:
    linear_model = pytest.importorskip("sklearn.linear_model")
    model = linear_model.LogisticRegression(C=0.5).fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    with store.start_run("e") as run:
        sidecar = run.log_model(model, "model")
    info = store.model_info(run.id, "model")
    assert info == sidecar
    assert info["class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert info["params"]["C"] == 0.5
    assert info["size"] == store.artifact_path(run.id, "model/model.joblib").stat().st_size
    assert len(info["sha256"]) == 64 and "scikit-learn" in info["versions"]
    loaded = store.load_model(run.id, "model")
    assert loaded.predict([[0.2], [2.8]]).tolist() == model.predict([[0.2], [2.8]]).tolist()
    # A changed file is refused before unpickling.
    path = store.artifact_path(run.id, "model/model.joblib")
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(tc.CorruptFileError, match="sha256"):
        store.load_model(run.id, "model")


def test_environment_is_recorded(store: tc.Store, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    (repo / "train.py").write_text("print(1)\n")
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=repo, check=True)
    (repo / "train.py").write_text("print(2)\n")  # dirty
    script = (
        "import sys, tracker_core as tc\n"
        f"with tc.start_run(experiment='env', store={str(store.root)!r}) as run:\n"
        "    print(run.id)\n"
    )
    out = subprocess.run([sys.executable, "-c", script, "--epochs", "3"], cwd=repo, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    run = store.get_run(out.stdout.strip())
    env = run.env
    assert env["git"]["branch"] == "main" and env["git"]["dirty"] is True and len(env["git"]["commit"]) == 40
    assert env["command"][-2:] == ["--epochs", "3"]
    assert env["python"] == ".".join(map(str, sys.version_info[:3]))
    assert "numpy" not in env["packages"] or env["packages"]["numpy"]
    assert run.host and run.user and run.pid and run.pid != os.getpid()


def test_experiments_create_rename_tag_delete_restore(store: tc.Store) -> None:
    store.create_experiment("a", tags={"owner": "kim"})
    with pytest.raises(tc.ConflictError, match="already exists"):
        store.create_experiment("a")
    with store.start_run("a"):
        pass
    store.start_run("b").end()
    store.rename_experiment("a", "alpha")
    with pytest.raises(tc.ConflictError, match="already exists"):
        store.rename_experiment("alpha", "b")
    store.set_experiment_tag("alpha", "stage", "research")
    exp = store.get_experiment("alpha")
    assert exp.tags == {"owner": "kim", "stage": "research"} and exp.run_count == 1
    store.delete_experiment("alpha")
    assert [e.name for e in store.list_experiments()] == ["b"]
    assert [e.name for e in store.list_experiments(include_deleted=True)] == ["alpha", "b"]
    store.restore_experiment("alpha")
    assert [e.name for e in store.list_experiments()] == ["alpha", "b"]
    with pytest.raises(tc.NotFoundError, match="experiments: 'alpha', 'b'"):
        store.get_experiment("nope")


def test_soft_delete_and_restore_runs(store: tc.Store) -> None:
    keep = store.start_run("e", "keep")
    keep.end()
    drop = store.start_run("e", "drop")
    drop.end()
    store.delete_run(drop.id)
    assert [r.name for r in store.list_runs("e")] == ["keep"]
    assert store.get_experiment("e").run_count == 1
    assert {r.name: r.deleted for r in store.list_runs("e", include_deleted=True)} == {"keep": False, "drop": True}
    store.restore_run(drop.id)
    assert sorted(r.name for r in store.list_runs("e")) == ["drop", "keep"]
    with pytest.raises(tc.ConflictError, match="not deleted"):
        store.purge_run(drop.id)
    store.delete_run(drop.id)
    store.purge_run(drop.id)
    with pytest.raises(tc.NotFoundError):
        store.get_run(drop.id)


def test_run_id_prefixes(store: tc.Store) -> None:
    runs = [store.start_run("e") for _ in range(40)]
    for r in runs:
        r.end()
    target = runs[0].id
    assert store.resolve_run_id(target[:12]) == target
    with pytest.raises(tc.AmbiguousIdError, match="give more characters"):
        store.resolve_run_id(_shared_prefix([r.id for r in runs]))
    with pytest.raises(tc.NotFoundError, match="no run with id"):
        store.get_run("zzzz")


def _shared_prefix(ids: list[str]) -> str:
    """A one-character prefix that at least two of ``ids`` share (40 ids, 16 hex digits: always one)."""
    firsts = [i[0] for i in ids]
    return next(c for c in firsts if firsts.count(c) > 1)


def test_list_experiments_counts_and_metric_summaries_of_listing(store: tc.Store) -> None:
    for i in range(3):
        with store.start_run("e", f"r{i}") as run:
            run.log_metric("loss", 1.0 / (i + 1))
    summaries = store.list_runs("e")
    assert [r.name for r in summaries] == ["r2", "r1", "r0"]  # newest first
    assert [r.metrics["loss"].last for r in summaries] == [1 / 3, 0.5, 1.0]
    assert all(r.env == {} for r in summaries)  # listings leave the environment out
    assert store.get_run(summaries[0].id).env["python"]
    (exp,) = store.list_experiments()
    assert exp.run_count == 3 and exp.last_activity is not None


def test_non_finite_metrics_round_trip(store: tc.Store) -> None:
    with store.start_run("e") as run:
        for v in (math.nan, math.inf, -math.inf, 1.5):
            run.log_metric("weird", v)
        run.log_param("p", math.inf)
    values = [p.value for p in store.metric_history(run.id, "weird")]
    assert math.isnan(values[0]) and values[1:] == [math.inf, -math.inf, 1.5]
    m = store.get_run(run.id).metrics["weird"]
    assert (m.min, m.max, m.last) == (-math.inf, math.inf, 1.5)
    assert store.get_run(run.id).params["p"] == math.inf


def test_start_run_accepts_an_experiment_id(store: tc.Store) -> None:
    exp = store.create_experiment("named")
    store.start_run(exp.id).end()
    assert [e.name for e in store.list_experiments()] == ["named"]
    assert store.get_experiment("named").run_count == 1


def test_nested_child_lives_in_the_parents_store(tmp_path: Path) -> None:
    elsewhere = tc.Store(tmp_path / "elsewhere")
    with tc.start_run(experiment="e", store=elsewhere) as parent, tc.start_run(nested=True) as child:
        assert child.store is elsewhere
    assert elsewhere.get_run(child.id).parent_id == parent.id
