"""Export to a real MLflow tracking server on loopback, and the round trip tui-track -> MLflow -> tui-track."""

from __future__ import annotations

import math
import pickle
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import tracker_core as tc
from tracker_core.interop.mlflow_export import export_mlflow
from tracker_core.interop.mlflow_import import import_mlflow
from tracker_core.registry import Registry

mlflow = pytest.importorskip("mlflow", reason="the mlflow extra (pip install 'tui-track[mlflow]') is a test dependency")
from mlflow import MlflowClient  # noqa: E402
from mlflow_server import run_server  # noqa: E402

T0 = 1_790_000_000.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``mlflow server`` on 127.0.0.1 for this module."""
    yield from run_server(tmp_path_factory)


def build_source(root: Path, experiment: str) -> tuple[tc.Store, dict[str, str]]:
    """Runs with typed params and tags, non-finite metrics, ms timestamps, binary artifacts and a model."""
    from sklearn.linear_model import LogisticRegression

    store = tc.Store(root)
    with store.start_run(experiment, "parent", tags={"owner": "ana", "priority": 3, "flags": ["a", "b"]}) as parent:
        parent.log_params({"n": 50, "n_text": "50", "lr": 0.125, "deep": True, "layers": [64, 32], "extra": None})
        parent.log_params({"nested": {"opt": "adam", "betas": [0.9, 0.999]}})
        for step in range(30):
            parent.log_metric("loss", 1.0 / (step + 1), step=step, timestamp=T0 + step * 0.5 + 0.001)
        parent.log_metric("weird", math.nan, step=0, timestamp=T0)
        parent.log_metric("weird", math.inf, step=1, timestamp=T0 + 1)
        parent.log_metric("weird", -math.inf, step=2, timestamp=T0 + 2)
        parent.log_text("ünïcode notes\n", "notes/readme.md")
        (root.parent / "blob.bin").write_bytes(bytes(range(256)) * 40)
        parent.log_artifact(root.parent / "blob.bin", "data")
        model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
        parent.log_model(model, "model")
    with store.start_run(experiment, "child", parent_id=parent.id) as child:
        child.log_param("fold", 1)
        child.log_metric("loss", 0.3, step=0, timestamp=T0 + 100)
    try:
        with store.start_run(experiment, "broken") as broken:
            broken.log_param("fold", 2)
            raise RuntimeError("diverged")
    except RuntimeError:
        pass
    return store, {"parent": parent.id, "child": child.id, "broken": broken.id}


def visible(store: tc.Store, run_id: str) -> dict[str, object]:
    run = store.get_run(run_id)
    histories = {
        k: [(p.step, p.value if p.value == p.value else "nan", round(p.timestamp, 3)) for p in pts]
        for k, pts in store.metric_histories(run_id).items()
    }
    return {
        "name": run.name,
        "status": run.status,
        "times": (run.start_time, run.end_time),
        "user": run.user,
        "host": run.host,
        "parent": run.parent_id,
        "error": run.error,
        "params": run.params,
        "tags": {k: v for k, v in run.tags.items() if k != "mlflow.run_id"},
        "histories": histories,
        "artifacts": {
            a.path: store.artifact_path(run_id, a.path).read_bytes()
            for a in store.list_artifacts(run_id)
            if not a.is_dir
        },
    }


def test_round_trip_through_a_server_preserves_every_value(server: str, tmp_path: Path):
    name = f"roundtrip-{uuid.uuid4().hex[:6]}"
    source, ids = build_source(tmp_path / "source", name)
    registry = Registry(source)
    version = registry.register(f"{name}-model", ids["parent"], "model")
    registry.promote(f"{name}-model", version.version, "production")
    registry.set_alias(f"{name}-model", "champion", version.version)

    report = export_mlflow(source, server, name)
    assert (report.exported, report.failed, report.versions) == (3, 0, 1), report.warnings

    client = MlflowClient(tracking_uri=server, registry_uri=server)
    exp = client.get_experiment_by_name(name)
    pushed = {r.info.run_name: r for r in client.search_runs([exp.experiment_id])}
    assert pushed["parent"].data.params["n"] == "50" and pushed["parent"].data.params["lr"] == "0.125"
    assert pushed["child"].data.tags["mlflow.parentRunId"] == pushed["parent"].info.run_id
    assert pushed["broken"].info.status == "FAILED"
    assert len(client.get_metric_history(pushed["parent"].info.run_id, "loss")) == 30
    mv = client.get_model_version(f"{name}-model", "1")
    assert mv.current_stage == "Production" and "champion" in mv.aliases

    back = tc.Store(tmp_path / "back")
    imported = import_mlflow(back, server, name)
    assert imported.imported == 3 and imported.versions == 1
    for run_id in ids.values():
        assert visible(back, run_id) == visible(source, run_id)
    assert back.get_run(ids["parent"]).tags["mlflow.run_id"] == pushed["parent"].info.run_id
    assert back.model_info(ids["parent"])["sha256"] == source.model_info(ids["parent"])["sha256"]

    versions = Registry(back).list_versions(f"{name}-model")
    assert [(v.version, v.stage, v.aliases, v.sha256) for v in versions] == [
        (1, "production", ["champion"], version.sha256)
    ]
    assert versions[0].source_run_id == ids["parent"]
    assert Registry(back).load(f"models:/{name}-model@champion").predict([[3.0]]).tolist() == [1]


def test_export_is_incremental_and_takes_a_run_once_it_ends(server: str, tmp_path: Path):
    name = f"incremental-{uuid.uuid4().hex[:6]}"
    store = tc.Store(tmp_path / "store")
    with store.start_run(name, "done") as done:
        done.log_metric("loss", 0.5)
    live = store.start_run(name, "live")
    live.log_metric("loss", 0.9)
    live.flush()

    first = export_mlflow(store, server, name)
    assert (first.exported, first.running, first.skipped) == (1, 1, 0)
    second = export_mlflow(store, server, name)
    assert (second.exported, second.running, second.skipped) == (0, 1, 1)
    live.log_metric("loss", 0.4)
    live.end()
    third = export_mlflow(store, server, name)
    assert (third.exported, third.running, third.skipped) == (1, 0, 1)

    client = MlflowClient(tracking_uri=server)
    runs = client.search_runs([client.get_experiment_by_name(name).experiment_id])
    assert sorted(r.data.tags["tui_track.run_id"] for r in runs) == sorted([done.id, live.id])
    assert [m.value for m in client.get_metric_history(_mlflow_id(runs, live.id), "loss")] == [
        0.9,
        0.4,
    ]


def _mlflow_id(runs: list[object], tui_id: str) -> str:
    return next(r.info.run_id for r in runs if r.data.tags["tui_track.run_id"] == tui_id)  # type: ignore[attr-defined]


def test_import_native_server_runs_and_registered_pickles(server: str, tmp_path: Path):
    name = f"native-{uuid.uuid4().hex[:6]}"
    client = MlflowClient(tracking_uri=server, registry_uri=server)
    exp = client.create_experiment(name)
    run = client.create_run(exp, run_name="sk")
    client.log_param(run.info.run_id, "C", "0.5")
    client.log_metric(run.info.run_id, "auc", 0.93, step=0)
    (tmp_path / "model").mkdir()
    with open(tmp_path / "model" / "model.pkl", "wb") as fh:
        pickle.dump({"weights": [1, 2, 3]}, fh)
    client.log_artifacts(run.info.run_id, str(tmp_path / "model"), "model")
    client.set_terminated(run.info.run_id)
    client.create_registered_model(f"{name}-model", description="native")
    mv = client.create_model_version(f"{name}-model", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    client.set_registered_model_alias(f"{name}-model", "candidate", mv.version)

    store = tc.Store(tmp_path / "store")
    report = import_mlflow(store, server, name)
    assert report.imported == 1 and report.versions == 1, report.warnings
    (only,) = store.list_runs(name)
    assert only.params == {"C": "0.5"} and only.metric("auc") == 0.93
    registry = Registry(store)
    (version,) = registry.list_versions(f"{name}-model")
    assert version.source_run_id == only.id and version.aliases == ["candidate"]
    assert registry.get_model(f"{name}-model").description == "native"
    assert registry.load(f"models:/{name}-model@candidate") == {"weights": [1, 2, 3]}
    assert import_mlflow(store, server, name).versions == 0


def test_command_line_export_to_a_directory(tmp_path: Path):
    from tui_track.cli import main

    store, _ = build_source(tmp_path / "source", "cli")
    target = tmp_path / "mlruns"
    result = CliRunner().invoke(main, ["--store", str(store.root), "export", "mlflow", "--to", str(target)])
    assert result.exit_code == 0, result.output
    assert "3" in result.output.split()
    again = CliRunner().invoke(main, ["--store", str(store.root), "export", "mlflow", "--to", str(target)])
    assert again.exit_code == 0 and "0" in again.output.split()
    back = tc.Store(tmp_path / "back")
    assert import_mlflow(back, target).imported == 3
