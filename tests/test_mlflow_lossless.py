"""Import/export defects of issue 15, each against the real MLflow package: a file store, SQLite and a server.

Deleted experiments (and the file store's ``.trash``), crashed runs, loadable ``MLmodel``s, ``--to``
any URI without environment variables, registry state carried both ways on every rerun, no
duplicates after a round trip, typed experiment tags / ids / creation times / pid, and exact params.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
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

T0 = 1_780_000_000_000  # ms


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``mlflow server`` on 127.0.0.1 for this module."""
    yield from run_server(tmp_path_factory)


@pytest.fixture(autouse=True)
def no_mlflow_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Nothing points MLflow anywhere: every target must come from the arguments alone."""
    for key in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)  # MLflow's default store (./mlflow.db) would land here, and the test checks it does not
    yield
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "mlruns").exists()


def uri_of(kind: str, base: Path) -> str:
    return (base / "mlruns").as_uri() if kind == "file" else f"sqlite:///{base / 'mlflow.db'}"


def client_on(uri: str) -> MlflowClient:
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # the test's own client reading a file store
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


@pytest.mark.parametrize("kind", ["file", "sqlite"])
def test_deleted_experiment_imports_as_deleted_with_its_histories_and_never_blocks_later_imports(
    kind: str, tmp_path: Path
):
    uri = uri_of(kind, tmp_path / "src")
    (tmp_path / "src").mkdir()
    client = client_on(uri)
    gone = client.create_experiment("gone", artifact_location=(tmp_path / "src" / "art-gone").as_uri())
    run = client.create_run(gone, run_name="old", start_time=T0)
    for step in range(3):
        client.log_metric(run.info.run_id, "loss", 1.0 - step / 10, timestamp=T0 + step, step=step)
    (tmp_path / "note.txt").write_text("kept\n")
    client.log_artifact(run.info.run_id, str(tmp_path / "note.txt"))
    client.set_terminated(run.info.run_id, "FINISHED", end_time=T0 + 10)
    client.delete_experiment(gone)
    if kind == "file":
        assert (tmp_path / "src" / "mlruns" / ".trash" / gone).is_dir()  # where MLflow moved its runs

    store = tc.Store(tmp_path / "store")
    first = import_mlflow(store, uri)
    assert first.imported == 1 and first.warnings == []
    exp = store.get_experiment("gone")
    assert exp.deleted
    (old,) = store.list_runs("gone", include_deleted=True)
    assert old.deleted and old.status == "finished"
    assert [(p.step, p.value) for p in store.metric_history(old.id, "loss")] == [(0, 1.0), (1, 0.9), (2, 0.8)]

    # later imports: the deleted experiment neither fails them nor comes in twice
    live = client.create_experiment("live")
    client.set_terminated(client.create_run(live, run_name="new").info.run_id)
    second = import_mlflow(store, uri)
    assert (second.imported, second.skipped) == (1, 1)
    assert [r.name for r in store.list_runs("live")] == ["new"]
    assert len(store.list_runs("gone", include_deleted=True)) == 1
    assert store.metric_history(old.id, "loss")[-1].value == 0.8


def test_crashed_run_exports_as_failed_and_is_not_reported_running(tmp_path: Path):
    store_dir = tmp_path / "store"
    script = textwrap.dedent(
        f"""
        import os, tracker_core as tc
        run = tc.Store({str(store_dir)!r}).start_run("crashy", "dies")
        run.log_param("lr", 0.1)
        run.log_metric("loss", 0.7, step=0)
        run.log_metric("loss", 0.6, step=1)
        run.flush()
        os._exit(0)  # the process dies without ending the run
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    store = tc.Store(store_dir)
    crashed = store.list_runs("crashy")
    assert [r.status for r in crashed] == ["crashed"]
    target = tmp_path / "mlflow.sqlite"
    report = export_mlflow(store, target)
    assert report.running == 0 and report.failed == 0, report.warnings
    assert report.exported == len(store.list_runs("crashy"))
    client = client_on(f"sqlite:///{target}")
    exp = client.get_experiment_by_name("crashy")
    statuses = {r.data.tags["tui_track.run_id"]: r for r in client.search_runs([exp.experiment_id])}
    for run in crashed:
        pushed = statuses[run.id]
        assert pushed.info.status == "FAILED"
        last = store.metric_history(run.id, "loss")[-1].timestamp
        assert pushed.info.end_time is not None and pushed.info.end_time >= round(last * 1000) - 1


def registered_store(root: Path, experiment: str, model: str) -> tuple[tc.Store, str, object]:
    from sklearn.linear_model import LogisticRegression

    store = tc.Store(root)
    data = [[0.0, 1.0], [1.0, 0.5], [2.0, 0.1], [3.0, 2.0], [4.0, 0.3]]
    with store.start_run(experiment, "fit", tags={"priority": 3}) as run:
        run.log_params({"C": 0.5, "seed": "007"})
        clf = LogisticRegression(C=0.5).fit(data, [0, 0, 1, 1, 1])
        run.log_model(clf, "model")
    registry = Registry(store)
    registry.register(model, run.id, "model", description="first")
    registry.register(model, run.id, "model")
    registry.promote(model, 2, "staging")
    registry.set_alias(model, "champion", 1)
    return store, run.id, data


@pytest.mark.parametrize("kind", ["file", "sqlite", "server"])
def test_exported_versions_load_with_mlflow_pyfunc_and_sklearn(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
):
    name = f"churn-{uuid.uuid4().hex[:6]}"
    store, _, data = registered_store(tmp_path / "store", name, name)
    target = request.getfixturevalue("server") if kind == "server" else uri_of(kind, tmp_path / "dst")
    (tmp_path / "dst").mkdir(exist_ok=True)
    result = CliRunner().invoke(tc_cli(), ["--store", str(store.root), "export", "mlflow", "--to", target])
    assert result.exit_code == 0, result.output
    expected = Registry(store).load(f"models:/{name}/2").predict_proba(data)

    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    mlflow.set_tracking_uri(target)
    mlflow.set_registry_uri(target)
    try:
        pyfunc = mlflow.pyfunc.load_model(f"models:/{name}/2")
        sk = mlflow.sklearn.load_model(f"models:/{name}@champion")
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
    assert (pyfunc.predict(data) == Registry(store).load(f"models:/{name}/2").predict(data)).all()
    assert (sk.predict_proba(data) == expected).all()
    assert "sklearn" in pyfunc.metadata.flavors


def tc_cli():  # type: ignore[no-untyped-def]
    from tui_track.cli import main

    return main


def test_registry_state_is_carried_both_ways_on_every_rerun_and_audited(server: str, tmp_path: Path):
    name = f"flow-{uuid.uuid4().hex[:6]}"
    store, _, _ = registered_store(tmp_path / "store", name, name)
    assert export_mlflow(store, server, name).versions == 2
    client = client_on(server)

    # changed in MLflow: stage, alias, descriptions, tags -> import brings each, through the registry's API
    client.transition_model_version_stage(name, "2", "Archived")
    client.set_registered_model_alias(name, "champion", "2")
    client.set_registered_model_alias(name, "shadow", "1")
    client.update_model_version(name, "1", description="retrained")
    client.set_model_version_tag(name, "1", "reviewed", "yes")
    client.update_registered_model(name, description="churn classifier")
    client.set_registered_model_tag(name, "team", "growth")
    report = import_mlflow(store, server, name)
    assert report.versions == 0 and report.imported == 0, report.warnings
    registry = Registry(store)
    v1, v2 = registry.list_versions(name)
    assert (v1.stage, v2.stage) == ("development", "archived")
    assert sorted(v1.aliases) == ["shadow"] and v2.aliases == ["champion"]
    assert v1.description == "retrained" and v1.tags["reviewed"] == "yes"
    model = registry.get_model(name)
    assert model.description == "churn classifier" and model.tags["team"] == "growth"
    audited = [e for e in registry.history(name) if e.reason and "imported from MLflow" in e.reason]
    assert {e.action for e in audited} >= {"stage", "alias_set", "description", "tag"}
    assert import_mlflow(store, server, name).registry_changes == 0  # nothing new: nothing recorded

    # changed here: a promotion, an alias move, a deleted alias -> export carries them to MLflow
    registry.promote(name, 1, "production")
    registry.set_alias(name, "champion", 1)
    registry.delete_alias(name, "shadow")
    registry.set_version_tag(name, 2, "note", "old")
    pushed = export_mlflow(store, server, name)
    assert pushed.versions == 0 and pushed.registry_changes >= 4
    mv1, mv2 = client.get_model_version(name, "1"), client.get_model_version(name, "2")
    assert (mv1.current_stage, mv2.current_stage) == ("Production", "Archived")
    assert client.get_registered_model(name).aliases == {"champion": "1"}
    assert mv2.tags["note"] == "old"
    assert export_mlflow(store, server, name).registry_changes == 0
    assert len(client.search_model_versions(f"name='{name}'")) == 2


def test_round_trip_store_mlflow_store_mlflow_creates_no_duplicates_and_keeps_identity(server: str, tmp_path: Path):
    name = f"trip-{uuid.uuid4().hex[:6]}"
    store, run_id, _ = registered_store(tmp_path / "a", name, name)
    store.set_experiment_tag(name, "budget", 12)
    store.set_experiment_tag(name, "flags", ["x", "y"])
    original_exp = store.get_experiment(name)
    assert export_mlflow(store, server, name).exported == 1

    back = tc.Store(tmp_path / "b")
    assert import_mlflow(back, server, name).versions == 2
    exp = back.get_experiment(name)
    assert (exp.id, exp.created, exp.tags) == (original_exp.id, original_exp.created, original_exp.tags)
    run = back.get_run(run_id)
    assert run.pid == store.get_run(run_id).pid and run.params == {"C": 0.5, "seed": "007"}
    registry_a, registry_b = Registry(store), Registry(back)
    assert [v.registered_at for v in registry_b.list_versions(name)] == [
        v.registered_at for v in registry_a.list_versions(name)
    ]

    again = export_mlflow(back, server, name)
    assert (again.exported, again.versions) == (0, 0), again.warnings
    client = client_on(server)
    assert len(client.search_model_versions(f"name='{name}'")) == 2
    exp_id = client.get_experiment_by_name(name).experiment_id
    assert len(client.search_runs([exp_id])) == 1


def test_native_mlflow_versions_round_trip_without_duplicates_and_params_keep_their_text(tmp_path: Path):
    from sklearn.linear_model import LogisticRegression

    (tmp_path / "src").mkdir()
    uri = uri_of("sqlite", tmp_path / "src")
    client = client_on(uri)
    exp = client.create_experiment("native", artifact_location=(tmp_path / "art").as_uri())
    texts = {"seed": "007", "tol": "0.010", "alpha": "1e-3", "flag": "True", "n": "50", "name": "gini"}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        with mlflow.start_run(experiment_id=exp, run_name="tree") as active:
            mlflow.log_params(texts)
            clf = LogisticRegression().fit([[0], [1], [2], [3]], [0, 0, 1, 1])
            info = mlflow.sklearn.log_model(clf, name="tree", pip_requirements=["scikit-learn"])
        mlflow.register_model(info.model_uri, "native-tree")
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
    created = client.get_model_version("native-tree", "1").creation_timestamp

    store = tc.Store(tmp_path / "store")
    assert import_mlflow(store, uri).versions == 1
    assert store.get_run(active.info.run_id).params == texts
    (version,) = Registry(store).list_versions("native-tree")
    assert version.registered_at == created / 1000

    assert export_mlflow(store, uri).versions == 0  # the same MLflow version, not a copy
    assert len(client.search_model_versions("name='native-tree'")) == 1
    other = uri_of("file", tmp_path / "other")
    (tmp_path / "other").mkdir()
    assert export_mlflow(store, other).exported == 1
    moved = client_on(other)
    (pushed,) = moved.search_runs([moved.get_experiment_by_name("native").experiment_id])
    assert pushed.data.params == texts
