"""Export tui-track runs and registered model versions to MLflow (a tracking server, SQLite or a directory).

Each finished run becomes an MLflow run in the experiment of the same name, with its params and
tags as text, every metric point (timestamps in milliseconds), its artifacts, its parent, user and
times, the tag ``tui_track.run_id`` and an artifact ``.tui-track/run.json`` holding the exact
tui-track record, so that importing it back restores typed params and tags. Runs already in the
target (by that tag, or by ``mlflow.run_id`` for runs that came from it) are skipped; runs still
running are left for a later export; crashed runs go as ``FAILED`` (see :func:`mlflow_status`).
Registered versions go to the MLflow registry as logged models carrying an ``MLmodel`` (MLflow's
own sklearn flavor for scikit-learn models), with their stage and aliases; a version already there
(same ``tui_track.sha256`` and ``tui_track.registered_at``, or the MLflow version it was imported
from) is not added again, but its stage, aliases, description and tags are brought up to date.

MLflow keeps metric timestamps as integer milliseconds: sub-millisecond parts are rounded away.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..jsonio import dumps
from ..records import CRASHED, END_STATUSES, Experiment, RunSummary
from ..store import Store, new_id
from .mlflow_common import (
    EXPERIMENT_META_TAG,
    META_ARTIFACT,
    MLFLOW_RUN_ID_TAG,
    MLFLOW_VERSION_TAG,
    REGISTERED_AT_TAG,
    SHA256_TAG,
    TUI_RUN_ID_TAG,
    client_for,
    registered_aliases,
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
    registry_changes: int = 0
    """Stages, aliases, descriptions and tags brought up to date on versions already in MLflow."""
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


def _experiment_tags(exp: Experiment) -> dict[str, str]:
    """An experiment's tags as MLflow text, plus the record that gives back types, id and creation time."""
    tags = {k: value_to_text(v) for k, v in exp.tags.items()}
    tags[EXPERIMENT_META_TAG] = dumps({"id": exp.id, "created": exp.created, "tags": exp.tags})
    return tags


def _export_experiment(client: Any, store: Store, name: str, mlflow_ids: dict[str, str], report: ExportReport) -> None:
    found = client.get_experiment_by_name(name)
    tags = _experiment_tags(store.get_experiment(name))
    if found is None:
        experiment_id = client.create_experiment(name, tags=tags, artifact_location=artifact_location(client))
    else:
        experiment_id = found.experiment_id
        if found.lifecycle_stage == "deleted":
            client.restore_experiment(experiment_id)
        for key, text in tags.items():  # tags set or changed here since the last export
            if (found.tags or {}).get(key) != text:
                client.set_experiment_tag(experiment_id, key, text)
    report.experiments.append(name)
    by_tui, ids = _existing(client, experiment_id)
    runs = sorted(store.list_runs(name), key=lambda r: r.start_time or 0.0)  # parents before children
    for run in runs:
        came_from = run.tags.get(MLFLOW_RUN_ID_TAG)
        if run.id in by_tui or came_from in ids:
            mlflow_ids[run.id] = by_tui.get(run.id) or str(came_from)
            report.skipped += 1
            continue
        if run.status not in (*END_STATUSES, CRASHED):
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
        client.set_terminated(run_id, mlflow_status(run.status), end_time=seconds_to_ms(_end_time(store, run)))
    except BaseException:
        client.delete_run(run_id)  # leave no half-exported run behind: the next export retries it
        raise
    return str(run_id)


def mlflow_status(status: str) -> str:
    """MLflow's name for a finished run's status; a crashed run (its process died without
    ending it) becomes ``FAILED``: it did not complete, and nobody stopped it on purpose (``KILLED``)."""
    return "FAILED" if status == CRASHED else status.upper()


def _end_time(store: Store, run: RunSummary) -> float | None:
    """When a run ended; for a crashed run, its last sign of life (heartbeat or last metric point)."""
    if run.end_time is not None or run.status != CRASHED:
        return run.end_time
    last = [m.timestamp for m in run.metrics.values()]
    if run.heartbeat is not None:
        last.append(run.heartbeat)
    return max(last, default=run.start_time)


def _original(store: Store, run: RunSummary) -> dict[str, Any]:
    """The tui-track record that MLflow cannot hold as is (typed values, host, environment)."""
    from ..storage.files import read_run_doc

    models: list[str] = []
    try:
        record = read_run_doc(store.artifact_root(run.id).parent)
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
        "pid": run.pid,
        "env": run.env,
        "error": run.error,
        "models": models,
        "start_time": run.start_time,
        "end_time": _end_time(store, run),
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
    """Add the versions MLflow lacks, then bring every version's state there up to date."""
    from mlflow.exceptions import MlflowException

    try:
        remote = client.get_registered_model(model.name)
    except MlflowException:
        remote = client.create_registered_model(
            model.name, tags={k: value_to_text(v) for k, v in model.tags.items()}, description=model.description
        )
        report.models += 1
    _push_model_state(client, model, remote, report)
    existing = {str(mv.version): mv for mv in client.search_model_versions(f"name='{model.name}'")}
    matched: dict[int, str] = {}  # tui-track version -> MLflow version
    for version in versions:
        found = _matching_version(version, existing, mlflow_ids)
        if found is None:
            found = _create_version(client, registry, model, version, mlflow_ids)
            existing[str(found.version)] = found
            report.versions += 1
        matched[version.version] = str(found.version)
        _push_version_state(client, model.name, version, found, report)
    _push_aliases(client, model.name, versions, matched, report)


def _matching_version(version: Any, existing: dict[str, Any], mlflow_ids: dict[str, str]) -> Any:
    """The MLflow version that is this tui-track version: exported from it, or imported into it."""
    identity = (version.sha256, repr(version.registered_at))
    for mv in existing.values():
        tags = mv.tags or {}
        if (tags.get(SHA256_TAG), tags.get(REGISTERED_AT_TAG)) == identity:
            return mv
    came_from = version.tags.get(MLFLOW_VERSION_TAG)
    mv = existing.get(str(came_from)) if came_from is not None else None
    if mv is not None and SHA256_TAG not in (mv.tags or {}):
        source = mlflow_ids.get(version.source_run_id or "")
        if (mv.run_id or None) == source:  # same MLflow run: that store, not another with the same numbers
            return mv
    return None


def _create_version(client: Any, registry: Any, model: Any, version: Any, mlflow_ids: dict[str, str]) -> Any:
    run_id = mlflow_ids.get(version.source_run_id or "")
    logged = client.create_logged_model(_registry_experiment(client), name=model.name, source_run_id=run_id)
    with tempfile.TemporaryDirectory() as tmp:
        client.log_model_artifacts(logged.model_id, str(mlflow_model_dir(registry, version, Path(tmp))))
    client.finalize_logged_model(logged.model_id, "READY")
    tags = {k: value_to_text(v) for k, v in version.tags.items() if k != MLFLOW_VERSION_TAG}
    tags.update(
        {
            "tui_track.version": str(version.version),
            SHA256_TAG: version.sha256,
            REGISTERED_AT_TAG: repr(version.registered_at),
        }
    )
    return client.create_model_version(
        model.name,
        source=f"models:/{logged.model_id}",
        run_id=run_id,
        tags=tags,
        description=version.description,
        model_id=logged.model_id,
        await_creation_for=0,
    )


def mlflow_model_dir(registry: Any, version: Any, tmp: Path) -> Path:
    """A directory MLflow can load as a model: the registry's files, plus an ``MLmodel``.

    A scikit-learn model (the registry's joblib file, checked against its sha256) is saved
    through MLflow's own sklearn flavor, so ``mlflow.pyfunc.load_model`` and
    ``mlflow.sklearn.load_model`` load it; ``model.joblib`` and ``version.json`` stay beside it
    so an import finds the very same file. Other models go as the registry's files alone.
    """
    source = registry.models_dir / version.model / "versions" / str(version.version)
    target = tmp / "model"
    model = registry.load(f"models:/{version.model}/{version.version}") if _is_sklearn(version) else None
    if model is not None:
        import mlflow.sklearn
        import sklearn

        mlflow.sklearn.save_model(
            model,
            str(target),
            serialization_format="cloudpickle",
            pip_requirements=[f"scikit-learn=={sklearn.__version__}"],
        )
    else:
        target.mkdir()
    for item in source.iterdir():
        if item.is_file() and not item.name.startswith("."):
            shutil.copy2(item, target / item.name)
    return target


def _is_sklearn(version: Any) -> bool:
    return str(version.model_class or "").startswith("sklearn.")


def _stage_name(stage: str) -> str:
    return _STAGES.get(stage, "None")


def _push_model_state(client: Any, model: Any, remote: Any, report: ExportReport) -> None:
    if (remote.description or None) != (model.description or None):
        client.update_registered_model(model.name, description=model.description or "")
        report.registry_changes += 1
    for key, value in model.tags.items():
        if (remote.tags or {}).get(key) != value_to_text(value):
            client.set_registered_model_tag(model.name, key, value_to_text(value))
            report.registry_changes += 1


def _push_version_state(client: Any, name: str, version: Any, mv: Any, report: ExportReport) -> None:
    if (mv.current_stage or "None") != _stage_name(version.stage):
        with warnings.catch_warnings():  # stages are deprecated in MLflow, yet they are what we have
            warnings.simplefilter("ignore", FutureWarning)
            client.transition_model_version_stage(
                name, mv.version, _stage_name(version.stage), archive_existing_versions=False
            )
        report.registry_changes += 1
    if (mv.description or None) != (version.description or None):
        client.update_model_version(name, mv.version, description=version.description or "")
        report.registry_changes += 1
    for key, value in version.tags.items():
        if key != MLFLOW_VERSION_TAG and (mv.tags or {}).get(key) != value_to_text(value):
            client.set_model_version_tag(name, mv.version, key, value_to_text(value))
            report.registry_changes += 1


def _push_aliases(client: Any, name: str, versions: list[Any], matched: dict[int, str], report: ExportReport) -> None:
    """MLflow's aliases on the versions exported from here become the aliases those versions have here."""
    wanted = {alias: matched[v.version] for v in versions for alias in v.aliases if v.version in matched}
    current = registered_aliases(client.get_registered_model(name))
    for alias, target in current.items():
        if alias not in wanted and target in matched.values():
            client.delete_registered_model_alias(name, alias)
            report.registry_changes += 1
    for alias, target in wanted.items():
        if current.get(alias) != target:
            client.set_registered_model_alias(name, alias, target)
            report.registry_changes += 1


def _registry_experiment(client: Any) -> str:
    """The MLflow experiment that holds exported registry models."""
    name = "tui-track-registry"
    found = client.get_experiment_by_name(name)
    return (
        str(found.experiment_id)
        if found
        else str(client.create_experiment(name, artifact_location=artifact_location(client)))
    )


def artifact_location(client: Any) -> str | None:
    """Where a new experiment's artifacts go: beside an SQLite target (``<db>-artifacts/``), never in the
    current directory (MLflow's default for SQLite is ``./mlruns``); MLflow's choice for other targets."""
    uri = str(client.tracking_uri)
    if not uri.startswith("sqlite:///"):
        return None
    db = Path(uri[len("sqlite:///") :])
    return (db.parent / f"{db.stem}-artifacts" / new_id()).as_uri()
