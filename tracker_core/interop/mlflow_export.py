"""Export tui-track runs and registered model versions to MLflow (a tracking server, SQLite or a directory).

Each finished run becomes an MLflow run in the experiment of the same name, with its params and
tags as text, every metric point (timestamps in milliseconds), its artifacts, its parent, user and
times, the tag ``tui_track.run_id`` and an artifact ``.tui-track/run.json`` holding the exact
tui-track record, so that importing it back restores typed params and tags. Runs already in the
target (by that tag, or by ``mlflow.run_id`` for runs that came from it) are skipped; runs still
running are left for a later export. Registered versions go to the MLflow registry as logged
models with their stage and aliases, skipped when a version with the same ``tui_track.sha256``
and ``tui_track.registered_at`` is already there.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..jsonio import dumps
from ..records import END_STATUSES, RunSummary
from ..store import Store
from .mlflow_common import (
    META_ARTIFACT,
    MLFLOW_RUN_ID_TAG,
    TUI_RUN_ID_TAG,
    client_for,
    seconds_to_ms,
    value_to_text,
)

BATCH = 1000
PARAM_BATCH = 100
_STAGES = {"staging": "Staging", "production": "Production", "archived": "Archived"}


@dataclass
class ExportReport:
    """What an export did; ``warnings`` name runs that failed and why."""

    target: str
    experiments: list[str] = field(default_factory=list)
    exported: int = 0
    skipped: int = 0
    running: int = 0
    failed: int = 0
    models: int = 0
    versions: int = 0
    warnings: list[str] = field(default_factory=list)


def target_uri(to: str | os.PathLike[str]) -> str:
    """An MLflow URI for an export target; a plain path becomes a file store (created if missing)."""
    text = os.fspath(to)
    if "://" in text or text.startswith(("sqlite:", "file:", "databricks")):
        return text
    path = Path(text).expanduser()
    if path.suffix in (".db", ".sqlite", ".sqlite3"):
        return f"sqlite:///{path.resolve()}"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve().as_uri()


def export_mlflow(
    store: Store, to: str | os.PathLike[str], experiment: str | None = None, *, registry: bool = True
) -> ExportReport:
    """Push the finished runs of ``store`` (or of one experiment) and its registry to MLflow at ``to``."""
    uri = target_uri(to)
    report = ExportReport(target=uri)
    with client_for(uri) as client:
        experiments = [store.get_experiment(experiment)] if experiment else store.list_experiments()
        mlflow_ids: dict[str, str] = {}  # tui-track run id -> MLflow run id
        for exp in experiments:
            _export_experiment(client, store, exp.name, mlflow_ids, report)
        if registry:
            _export_registry(client, store, mlflow_ids, report, experiment)
    return report


def _existing(client: Any, experiment_id: str) -> tuple[dict[str, str], set[str]]:
    from mlflow.entities import ViewType

    by_tui: dict[str, str] = {}
    ids: set[str] = set()
    token = None
    while True:
        page = client.search_runs(
            [experiment_id], run_view_type=ViewType.ACTIVE_ONLY, max_results=BATCH, page_token=token
        )
        for run in page:
            ids.add(run.info.run_id)
            tui = run.data.tags.get(TUI_RUN_ID_TAG)
            if tui:
                by_tui[tui] = run.info.run_id
        token = page.token
        if not token:
            return by_tui, ids


def _export_experiment(client: Any, store: Store, name: str, mlflow_ids: dict[str, str], report: ExportReport) -> None:
    found = client.get_experiment_by_name(name)
    if found is None:
        tags = {k: value_to_text(v) for k, v in store.get_experiment(name).tags.items()}
        experiment_id = client.create_experiment(name, tags=tags)
    else:
        experiment_id = found.experiment_id
        if found.lifecycle_stage == "deleted":
            client.restore_experiment(experiment_id)
    report.experiments.append(name)
    by_tui, ids = _existing(client, experiment_id)
    runs = sorted(store.list_runs(name), key=lambda r: r.start_time or 0.0)  # parents before children
    for run in runs:
        came_from = run.tags.get(MLFLOW_RUN_ID_TAG)
        if run.id in by_tui or came_from in ids:
            mlflow_ids[run.id] = by_tui.get(run.id) or str(came_from)
            report.skipped += 1
            continue
        if run.status not in END_STATUSES:
            report.running += 1
            continue
        try:
            mlflow_ids[run.id] = _export_run(client, store, experiment_id, run, mlflow_ids)
            report.exported += 1
        except Exception as exc:
            report.failed += 1
            report.warnings.append(f"run {run.id[:8]} ({run.name}) not exported: {exc}")


def _export_run(client: Any, store: Store, experiment_id: str, run: RunSummary, mlflow_ids: dict[str, str]) -> str:
    from mlflow.entities import Metric, Param

    tags = {k: value_to_text(v) for k, v in run.tags.items()}
    tags[TUI_RUN_ID_TAG] = run.id
    if run.user:
        tags.setdefault("mlflow.user", run.user)
    if run.parent_id and run.parent_id in mlflow_ids:
        tags["mlflow.parentRunId"] = mlflow_ids[run.parent_id]
    created = client.create_run(experiment_id, start_time=seconds_to_ms(run.start_time), run_name=run.name, tags=tags)
    run_id = created.info.run_id
    try:
        params = [Param(k, value_to_text(v)) for k, v in run.params.items()]
        for i in range(0, len(params), PARAM_BATCH):
            client.log_batch(run_id, params=params[i : i + PARAM_BATCH])
        points = [
            Metric(p.key, p.value, round(p.timestamp * 1000), p.step)
            for history in store.metric_histories(run.id).values()
            for p in history
        ]
        for i in range(0, len(points), BATCH):
            client.log_batch(run_id, metrics=points[i : i + BATCH])
        root = store.artifact_root(run.id)
        if root.is_dir() and any(not p.name.startswith(".") for p in root.iterdir()):
            client.log_artifacts(run_id, str(root))
        with tempfile.TemporaryDirectory() as tmp:
            meta = Path(tmp) / Path(META_ARTIFACT).name
            meta.write_text(dumps(_original(store, run)), encoding="utf-8")
            client.log_artifact(run_id, str(meta), str(Path(META_ARTIFACT).parent))
        client.set_terminated(run_id, run.status.upper(), end_time=seconds_to_ms(run.end_time))
    except BaseException:
        client.delete_run(run_id)  # leave no half-exported run behind: the next export retries it
        raise
    return str(run_id)


def _original(store: Store, run: RunSummary) -> dict[str, Any]:
    """The tui-track record that MLflow cannot hold as is (typed values, host, environment)."""
    from ..jsonio import read_json

    models: list[str] = []
    try:
        record = read_json(store.artifact_root(run.id).parent / "run.json")
        models = list(record.get("models", []))
    except (OSError, ValueError):
        pass
    return {
        "format": "tui-track-run",
        "id": run.id,
        "name": run.name,
        "params": run.params,
        "tags": run.tags,
        "user": run.user,
        "host": run.host,
        "env": run.env,
        "error": run.error,
        "models": models,
        "start_time": run.start_time,
        "end_time": run.end_time,
    }


def _export_registry(
    client: Any, store: Store, mlflow_ids: dict[str, str], report: ExportReport, experiment: str | None
) -> None:
    from ..registry import Registry

    registry = Registry(store)
    for model in registry.list_models():
        versions = registry.list_versions(model.name)
        if experiment is not None:
            exp_id = store.get_experiment(experiment).id
            versions = [
                v for v in versions if v.source_run_id and store.get_run(v.source_run_id).experiment_id == exp_id
            ]
        if not versions:
            continue
        _export_model(client, registry, model, versions, mlflow_ids, report)


def _export_model(
    client: Any, registry: Any, model: Any, versions: list[Any], mlflow_ids: dict[str, str], report: ExportReport
) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(model.name)
    except MlflowException:
        client.create_registered_model(
            model.name, tags={k: value_to_text(v) for k, v in model.tags.items()}, description=model.description
        )
        report.models += 1
    done = {
        (mv.tags.get("tui_track.sha256"), mv.tags.get("tui_track.registered_at"))
        for mv in client.search_model_versions(f"name='{model.name}'")
    }
    experiment_id = _registry_experiment(client)
    versions_dir = registry.models_dir / model.name / "versions"
    for version in versions:
        if (version.sha256, repr(version.registered_at)) in done:
            continue
        run_id = mlflow_ids.get(version.source_run_id or "")
        logged = client.create_logged_model(experiment_id, name=model.name, source_run_id=run_id)
        client.log_model_artifacts(logged.model_id, str(versions_dir / str(version.version)))
        client.finalize_logged_model(logged.model_id, "READY")
        tags = {k: value_to_text(v) for k, v in version.tags.items()}
        tags.update(
            {
                "tui_track.version": str(version.version),
                "tui_track.sha256": version.sha256,
                "tui_track.registered_at": repr(version.registered_at),
            }
        )
        created = client.create_model_version(
            model.name,
            source=f"models:/{logged.model_id}",
            run_id=run_id,
            tags=tags,
            description=version.description,
            model_id=logged.model_id,
            await_creation_for=0,
        )
        if version.stage in _STAGES:
            with warnings.catch_warnings():  # stages are deprecated in MLflow, yet they are what we have
                warnings.simplefilter("ignore", FutureWarning)
                client.transition_model_version_stage(model.name, created.version, _STAGES[version.stage])
        for alias in version.aliases:
            client.set_registered_model_alias(model.name, alias, created.version)
        report.versions += 1


def _registry_experiment(client: Any) -> str:
    """The MLflow experiment that holds exported registry models."""
    name = "tui-track-registry"
    found = client.get_experiment_by_name(name)
    return str(found.experiment_id) if found else str(client.create_experiment(name))
