"""Import from real MLflow stores built with the mlflow package: a file store and an SQLite database."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import tracker_core as tc
from tracker_core.interop.mlflow_import import import_mlflow

mlflow = pytest.importorskip("mlflow", reason="the mlflow extra (pip install 'tui-track[mlflow]') is a test dependency")
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric, Param, RunTag  # noqa: E402

T0 = 1_780_000_000_000  # ms


@pytest.fixture(scope="module", autouse=True)
def allow_file_store() -> Iterator[None]:
    previous = os.environ.get("MLFLOW_ALLOW_FILE_STORE")
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    yield
    if previous is None:
        os.environ.pop("MLFLOW_ALLOW_FILE_STORE", None)
    else:
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = previous


def populate(uri: str, artifact_root: Path, files: Path) -> dict[str, str]:
    """Two experiments: a finished parent with a failed child, a running run, a deleted run; artifacts."""
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    churn = client.create_experiment("churn", artifact_location=(artifact_root / "churn").as_uri(), tags={"team": "a"})
    other = client.create_experiment("other", artifact_location=(artifact_root / "other").as_uri())
    rf = client.create_run(churn, start_time=T0, run_name="rf", tags={"mlflow.user": "alice", "family": "forest"})
    rid = rf.info.run_id
    client.log_batch(
        rid,
        metrics=[Metric("loss", 1.0 / (i + 1), T0 + 1000 * i, i) for i in range(50)]
        + [Metric("accuracy", 0.91, T0 + 60_000, 0), Metric("overflow", math.inf, T0, 0)],
        params=[
            Param("n_estimators", "50"),
            Param("lr", "0.1"),
            Param("criterion", "gini"),
            Param("bootstrap", "True"),
            Param("seed", "007"),
            Param("tol", "0.010"),
            Param("alpha", "1e-3"),
        ],
        tags=[RunTag("stage", "tuning")],
    )
    (files / "plots").mkdir(parents=True, exist_ok=True)
    (files / "plots" / "curve.bin").write_bytes(bytes(range(256)) * 4)
    (files / "notes.txt").write_text("first try\n")
    client.log_artifacts(rid, str(files / "plots"), "plots")
    client.log_artifact(rid, str(files / "notes.txt"))
    client.set_terminated(rid, "FINISHED", end_time=T0 + 120_000)
    child = client.create_run(churn, start_time=T0 + 5000, run_name="fold-1", tags={"mlflow.parentRunId": rid})
    client.log_metric(child.info.run_id, "loss", 0.5, timestamp=T0 + 6000, step=3)
    client.set_terminated(child.info.run_id, "FAILED", end_time=T0 + 7000)
    live = client.create_run(other, start_time=T0 + 9000, run_name="still-going")
    client.log_metric(live.info.run_id, "loss", 0.7, timestamp=T0 + 9500, step=0)
    gone = client.create_run(other, start_time=T0 + 10_000, run_name="discarded")
    client.set_terminated(gone.info.run_id, "KILLED", end_time=T0 + 11_000)
    client.delete_run(gone.info.run_id)
    return {"rf": rid, "child": child.info.run_id, "live": live.info.run_id, "gone": gone.info.run_id}


@pytest.fixture(scope="module", params=["file", "sqlite"])
def source(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    base = tmp_path_factory.mktemp(request.param)
    if request.param == "file":
        where = str(base / "mlruns")
        uri = Path(where).as_uri()
    else:
        where = f"sqlite:///{base / 'mlflow.db'}"
        uri = where
    ids = populate(uri, base / "artifacts", base / "files")
    return where, ids


def by_name(store: tc.Store) -> dict[str, tc.RunSummary]:
    return {r.name: r for r in store.list_runs(include_deleted=True)}


def test_import_carries_runs_params_metrics_times_and_artifacts(source: tuple[str, dict[str, str]], tmp_path: Path):
    where, ids = source
    store = tc.Store(tmp_path / "store")
    report = import_mlflow(store, where)

    assert report.imported == 4 and report.skipped == 0
    assert sorted(e.name for e in store.list_experiments(include_deleted=True)) == ["churn", "other"]
    assert store.get_experiment("churn").tags == {"team": "a"}
    runs = by_name(store)
    rf = runs["rf"]
    assert rf.id == ids["rf"] and rf.tags["mlflow.run_id"] == ids["rf"]
    assert rf.status == "finished" and rf.user == "alice"
    assert rf.start_time == T0 / 1000 and rf.end_time == T0 / 1000 + 120
    # MLflow's params are text: each keeps its exact text, so exporting it back changes nothing
    assert rf.params == {
        **{"n_estimators": "50", "lr": "0.1", "criterion": "gini", "bootstrap": "True"},
        **{"seed": "007", "tol": "0.010", "alpha": "1e-3"},
    }
    assert rf.tags["family"] == "forest" and rf.tags["stage"] == "tuning"
    loss = store.metric_history(rf.id, "loss")
    assert [(p.step, p.value, p.timestamp) for p in loss] == [(i, 1.0 / (i + 1), T0 / 1000 + i) for i in range(50)]
    assert rf.metrics["loss"].min == 1.0 / 50 and rf.metrics["loss"].count == 50
    assert rf.metric("accuracy") == 0.91 and rf.metric("overflow") == math.inf
    assert store.artifact_path(rf.id, "plots/curve.bin").read_bytes() == bytes(range(256)) * 4
    assert store.artifact_path(rf.id, "notes.txt").read_text() == "first try\n"

    child = runs["fold-1"]
    assert child.status == "failed" and child.parent_id == rf.id
    assert store.metric_history(child.id, "loss")[0].step == 3
    assert runs["discarded"].deleted and runs["discarded"].status == "killed"
    assert runs["still-going"].status in ("running", "crashed")  # no local writer: stale after 30 s


def test_import_twice_imports_nothing_twice(source: tuple[str, dict[str, str]], tmp_path: Path):
    where, _ = source
    store = tc.Store(tmp_path / "store")
    import_mlflow(store, where)
    before = {r.id: store.metric_histories(r.id) for r in store.list_runs(include_deleted=True)}
    again = import_mlflow(store, where)

    assert again.imported == 0 and again.updated == 0 and again.skipped == 4
    after = {r.id: store.metric_histories(r.id) for r in store.list_runs(include_deleted=True)}
    assert after == before


def test_run_still_running_in_mlflow_is_taken_again_once_it_ends(tmp_path: Path):
    uri = (tmp_path / "mlruns").as_uri()
    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("live")
    run = client.create_run(exp, start_time=T0, run_name="training")
    client.log_metric(run.info.run_id, "loss", 1.0, timestamp=T0, step=0)
    store = tc.Store(tmp_path / "store")
    assert import_mlflow(store, tmp_path / "mlruns").imported == 1

    client.log_metric(run.info.run_id, "loss", 0.5, timestamp=T0 + 1000, step=1)
    client.set_terminated(run.info.run_id, "FINISHED", end_time=T0 + 2000)
    report = import_mlflow(store, tmp_path / "mlruns")

    assert report.updated == 1 and report.imported == 0
    (only,) = store.list_runs("live")
    assert only.status == "finished" and only.metrics["loss"].count == 2 and only.end_time == T0 / 1000 + 2
    assert import_mlflow(store, tmp_path / "mlruns").skipped == 1


def test_import_one_experiment_only(source: tuple[str, dict[str, str]], tmp_path: Path):
    where, _ = source
    store = tc.Store(tmp_path / "store")
    report = import_mlflow(store, where, "other")
    assert report.experiments == ["other"]
    assert sorted(by_name(store)) == ["discarded", "still-going"]
    with pytest.raises(tc.NotFoundError, match=r"no MLflow experiment named 'nope'.*'churn'"):
        import_mlflow(store, where, "nope")


def test_missing_source_says_what_to_give(tmp_path: Path):
    with pytest.raises(tc.StoreError, match="mlruns directory"):
        import_mlflow(tc.Store(tmp_path / "store"), tmp_path / "nothing-here")


def test_command_line_import(source: tuple[str, dict[str, str]], tmp_path: Path):
    from tui_track.cli import main

    where, _ = source
    store_dir = tmp_path / "store"
    result = CliRunner().invoke(main, ["--store", str(store_dir), "import", "mlflow", where, "-e", "churn"])
    assert result.exit_code == 0, result.output
    assert "churn" in result.output and " 2 " in f" {result.output} "
    assert sorted(by_name(tc.Store(store_dir))) == ["fold-1", "rf"]
    again = CliRunner().invoke(main, ["--store", str(store_dir), "import", "mlflow", where, "-e", "churn"])
    assert again.exit_code == 0 and len(tc.Store(store_dir).list_runs()) == 2


def test_mlflow3_logged_model_comes_along_as_artifacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    monkeypatch.chdir(tmp_path)  # MLflow's fluent API falls back to ./mlflow.db for anything not pointed elsewhere
    uri = (tmp_path / "mlruns").as_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
        with mlflow.start_run(run_name="sk") as run:
            mlflow.log_param("C", 1.0)
            info = mlflow.sklearn.log_model(model, name="clf", pip_requirements=["scikit-learn"])
        mlflow.register_model(info.model_uri, "churn-clf")
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
    store = tc.Store(tmp_path / "store")
    report = import_mlflow(store, tmp_path / "mlruns")

    assert report.imported == 1
    files = {a.path for a in store.list_artifacts(run.info.run_id)}
    assert {"clf/MLmodel", "clf/requirements.txt"} <= files
    assert "sklearn:" in store.artifact_path(run.info.run_id, "clf/MLmodel").read_text()
    # MLflow 3 saves scikit-learn models with skops: loaded through MLflow, registered again with joblib.
    assert report.versions == 1
    from tracker_core.registry import Registry

    registry = Registry(store)
    (version,) = registry.list_versions("churn-clf")
    assert version.source_run_id == run.info.run_id
    assert registry.load("models:/churn-clf/1").predict([[0.2], [2.8]]).tolist() == [0, 1]
