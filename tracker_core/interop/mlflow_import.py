"""Import MLflow experiments, runs and registered models into a tui-track store.

SOURCE is an MLflow file store directory (``mlruns/``), an SQLite database (``sqlite:///mlflow.db``)
or a tracking server URL. Each MLflow run becomes a tui-track run with its status, times, name,
user, parent, params, tags, full metric histories and artifacts, and the tag ``mlflow.run_id``.
Importing again skips runs already imported, except runs that were still running in MLflow,
which are taken again. Params keep MLflow's exact text (``'007'`` stays ``'007'``). Deleted
experiments come in as deleted, their runs with their histories (a file store keeps those under
``mlruns/.trash/``). Runs that came from tui-track (exported by :mod:`.mlflow_export`) get
their original id, typed params and tags back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConflictError, NotFoundError, ValidationError
from ..records import CRASHED, FAILED, FINISHED, KILLED, RUNNING, Experiment, MetricPoint
from ..storage.codecs import run_record
from ..storage.layout import ARTIFACTS_DIR, RUNS_DIR
from ..store import Store, new_id
from ..validation import validate_key, validate_name
from . import run_files
from .mlflow_common import (
    EXPERIMENT_META_TAG,
    META_ARTIFACT,
    MLFLOW_RUN_ID_TAG,
    TUI_RUN_ID_TAG,
    client_for,
    metric_from_mlflow,
    ms_to_seconds,
    tracking_uri,
    value_to_text,
)
from .mlflow_histories import in_trash, prefetch

_HEX_ID = re.compile(r"[0-9a-f]{32}")
_STATUS = {"RUNNING": RUNNING, "SCHEDULED": RUNNING, "FINISHED": FINISHED, "FAILED": FAILED, "KILLED": KILLED}
PAGE_SIZE = 1000
CHUNK = 500
"""Runs whose metric histories are held in memory at once during an import."""


@dataclass
class ImportReport:
    """What an import did; ``warnings`` lists what was left out and why."""

    source: str
    experiments: list[str] = field(default_factory=list)
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    models: int = 0
    versions: int = 0
    registry_changes: int = 0
    """Stages, aliases, descriptions and tags of versions already here, brought up to date."""
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Existing:
    by_mlflow_id: dict[str, tuple[str, str]]  # mlflow run id -> (tui-track run id, status)
    ids: dict[str, str]  # tui-track run id -> status


def import_mlflow(
    store: Store,
    source: str | os.PathLike[str],
    experiment: str | None = None,
    *,
    artifacts: bool = True,
    registry: bool = True,
    workers: int = 4,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import every MLflow experiment of ``source`` (or only ``experiment``) into ``store``."""
    uri = tracking_uri(source)
    report = ImportReport(source=uri)
    with client_for(uri) as client:
        from mlflow.entities import ViewType

        experiments = _all_pages(lambda token: client.search_experiments(view_type=ViewType.ALL, page_token=token))
        if experiment is not None:
            chosen = [e for e in experiments if e.name == experiment or e.experiment_id == experiment]
            if not chosen:
                names = ", ".join(repr(e.name) for e in experiments) or "none"
                raise NotFoundError(f"no MLflow experiment named {experiment!r} in {uri}; experiments: {names}")
            experiments = chosen
        store.ensure_created()  # an import writes: it may be the store's first writer
        existing = _existing_runs(store)
        id_map: dict[str, str] = {}
        for exp in experiments:
            count = _import_experiment(client, uri, store, exp, existing, id_map, report, artifacts, workers)
            if progress:
                progress(f"{exp.name}: {count} runs")
        if registry:
            from .mlflow_registry import import_registry

            import_registry(client, uri, store, id_map, existing.by_mlflow_id, report, experiment is None)
    return report


def _all_pages(fetch: Callable[[str | None], Any]) -> list[Any]:
    items: list[Any] = []
    token: str | None = None
    while True:
        page = fetch(token)
        items.extend(page)
        token = getattr(page, "token", None)
        if not token:
            return items


def _existing_runs(store: Store) -> _Existing:
    by_mlflow: dict[str, tuple[str, str]] = {}
    ids: dict[str, str] = {}
    for run in store.list_runs(include_deleted=True):
        ids[run.id] = run.status
        mlflow_id = run.tags.get(MLFLOW_RUN_ID_TAG)
        if isinstance(mlflow_id, str):
            by_mlflow[mlflow_id] = (run.id, run.status)
    return _Existing(by_mlflow, ids)


def _experiment_name(exp: Any) -> str:
    for candidate in (exp.name, exp.name.strip("/")):
        try:
            return validate_name(candidate, "experiment name")
        except ValidationError:
            continue
    return f"mlflow-{exp.experiment_id}"


def _target_id(mlflow_run: Any) -> str:
    """tui-track's id for an MLflow run: its original tui-track id, else the MLflow id itself."""
    original = mlflow_run.data.tags.get(TUI_RUN_ID_TAG)
    if isinstance(original, str) and _HEX_ID.fullmatch(original):
        return original
    if _HEX_ID.fullmatch(mlflow_run.info.run_id):
        return str(mlflow_run.info.run_id)
    return new_id()


def _import_experiment(
    client: Any,
    uri: str,
    store: Store,
    exp: Any,
    existing: _Existing,
    id_map: dict[str, str],
    report: ImportReport,
    artifacts: bool,
    workers: int,
) -> int:
    from mlflow.entities import ViewType

    runs = _all_pages(
        lambda token: client.search_runs(
            [exp.experiment_id], run_view_type=ViewType.ALL, max_results=PAGE_SIZE, page_token=token
        )
    )
    if not runs:
        return 0  # e.g. the empty "Default" experiment every MLflow store has
    name = _experiment_name(exp)
    target = _target_experiment(store, name, exp)
    report.experiments.append(name)
    todo = []
    for run in runs:
        mlflow_id = run.info.run_id
        known = existing.by_mlflow_id.get(mlflow_id)
        our_id = known[0] if known else _target_id(run)
        id_map[mlflow_id] = our_id
        status = known[1] if known else existing.ids.get(our_id)
        if status is None:
            todo.append((run, our_id, False))
        elif status in (RUNNING, CRASHED) and _STATUS.get(run.info.status, RUNNING) != RUNNING:
            todo.append((run, our_id, True))  # was still running when imported: take it again
        else:
            report.skipped += 1
    logged_models = _logged_models(client, exp.experiment_id) if artifacts and todo else {}
    runs_dir = store.experiments_dir / target.id / RUNS_DIR
    run_files.clean_leftovers(runs_dir)

    histories: dict[str, list[MetricPoint]] | None = None

    def one(item: tuple[Any, str, bool]) -> tuple[str, bool, list[str]]:
        run, our_id, replace = item
        points = histories.get(run.info.run_id) if histories is not None else None
        if points is None:
            points = _history_by_api(client, run)
        # One point per (key, value, step, time), as MLflow's SQL stores key them; its file store can
        # hold a point twice (MLflow 3 writes a run's metrics again when a model is logged).
        points = list(dict.fromkeys(points))
        warnings = _write_run(client, uri, run, points, our_id, target.id, runs_dir, id_map, artifacts, logged_models)
        return our_id, replace, warnings

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for start in range(0, len(todo), CHUNK):  # bounded memory: one chunk's histories at a time
            chunk = todo[start : start + CHUNK]
            histories = prefetch(uri, [(exp.experiment_id, run.info.run_id) for run, _, _ in chunk])
            results = pool.map(one, chunk) if workers > 1 else map(one, chunk)
            for (run, _, _), (our_id, replace, warnings) in zip(chunk, results, strict=True):
                report.warnings.extend(warnings)
                if replace:
                    report.updated += 1
                else:
                    report.imported += 1
                existing.by_mlflow_id[run.info.run_id] = (our_id, _STATUS.get(run.info.status, RUNNING))
                if run.info.lifecycle_stage == "deleted":
                    store.delete_run(our_id)
    return len(runs)


def _target_experiment(store: Store, name: str, exp: Any) -> Experiment:
    """The store's experiment for an MLflow one, created on first import (deleted if MLflow's is).

    An experiment exported by tui-track comes back with its id, creation time and typed tags
    (from the ``tui_track.experiment`` tag) unless MLflow's copy of a tag has since changed.
    Later imports add tags that are new; an experiment deleted here or there is written to all
    the same (its runs are imported as deleted), never refused.
    """
    meta = _experiment_meta(exp)
    tags: dict[str, Any] = {}
    for key, text in (exp.tags or {}).items():
        if key.startswith(("mlflow.", "tui_track.")):
            continue
        try:
            validate_key(key, "tag")
        except ValidationError:
            continue
        typed = meta.get("tags", {}).get(key, text)
        tags[key] = typed if value_to_text(typed) == text else text
    try:
        found = store.get_experiment(name)
    except NotFoundError:
        created = meta.get("created")
        if not isinstance(created, (int, float)):
            created = ms_to_seconds(getattr(exp, "creation_time", None))
        try:
            found = store.create_experiment(
                name, tags, experiment_id=meta.get("id") if isinstance(meta.get("id"), str) else None, created=created
            )
        except ConflictError:  # another process created it meanwhile
            found = store.get_experiment(name)
        else:
            if exp.lifecycle_stage == "deleted":
                found = store.delete_experiment(name)
            return found
    for key, value in tags.items():
        if key not in found.tags:
            found = store.set_experiment_tag(name, key, value)
    return found


def _experiment_meta(exp: Any) -> dict[str, Any]:
    """What tui-track recorded about an experiment it exported (``tui_track.experiment``), or {}."""
    from ..jsonio import loads

    text = (exp.tags or {}).get(EXPERIMENT_META_TAG)
    try:
        meta = loads(text) if isinstance(text, str) else {}
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _logged_models(client: Any, experiment_id: str) -> dict[str, list[Any]]:
    """MLflow 3 logged models (kept outside run artifacts) by the run that logged them."""
    by_run: dict[str, list[Any]] = {}
    try:
        models = _all_pages(lambda token: client.search_logged_models([experiment_id], page_token=token))
    except Exception:  # older servers have no logged-model API; their models are run artifacts
        return by_run
    for model in models:
        if model.source_run_id:
            by_run.setdefault(model.source_run_id, []).append(model)
    return by_run


def _write_run(
    client: Any,
    uri: str,
    run: Any,
    points: list[MetricPoint],
    our_id: str,
    experiment_id: str,
    runs_dir: Path,
    id_map: dict[str, str],
    artifacts: bool,
    logged_models: dict[str, list[Any]],
) -> list[str]:
    warnings: list[str] = []
    info, data = run.info, run.data
    mlflow_id = info.run_id
    params: dict[str, Any] = {k: text for k, text in data.params.items() if _usable(k, "param", mlflow_id, warnings)}
    tags: dict[str, Any] = {k: v for k, v in data.tags.items() if _usable(k, "tag", mlflow_id, warnings)}
    tags.pop(TUI_RUN_ID_TAG, None)
    tags[MLFLOW_RUN_ID_TAG] = mlflow_id
    inputs = getattr(getattr(run, "inputs", None), "dataset_inputs", None)
    if inputs:
        from ..mlflow.data import INPUTS_TAG, from_mlflow_input

        tags[INPUTS_TAG] = [from_mlflow_input(i) for i in inputs]
    parent = data.tags.get("mlflow.parentRunId")
    record = run_record(
        run_id=our_id,
        experiment_id=experiment_id,
        name=info.run_name or data.tags.get("mlflow.runName") or f"run-{our_id[:8]}",
        status=_STATUS.get(info.status, RUNNING),
        start_time=ms_to_seconds(info.start_time),
        end_time=ms_to_seconds(info.end_time),
        params=params,
        tags=tags,
        user=info.user_id or data.tags.get("mlflow.user"),
        parent_id=id_map.get(parent) if parent else None,
        env={"mlflow": {"tracking_uri": uri, "run_id": mlflow_id, "artifact_uri": info.artifact_uri}},
    )
    staged = run_files.staging_dir(runs_dir, ".importing-", our_id)
    try:
        if artifacts:
            _download_artifacts(client, uri, run, staged / ARTIFACTS_DIR, logged_models.get(mlflow_id, []))
            meta_file = staged / ARTIFACTS_DIR / META_ARTIFACT
            if meta_file.is_file():
                _restore_original(record, json.loads(meta_file.read_text("utf-8")), mlflow_id)
                shutil.rmtree(meta_file.parent)
        last = max([p.timestamp for p in points] + [record["end_time"] or record["start_time"] or time.time()])
        run_files.write_run_dir(staged, record, points, last)
        run_files.install(staged, runs_dir / our_id)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return warnings


def _history_by_api(client: Any, run: Any) -> list[MetricPoint]:
    points: list[MetricPoint] = []
    for key in run.data.metrics:
        for m in client.get_metric_history(run.info.run_id, key):
            points.append(MetricPoint(key, metric_from_mlflow(m.value), int(m.step), m.timestamp / 1000.0))
    return points


def _usable(key: str, kind: str, run_id: str, warnings: list[str]) -> bool:
    try:
        validate_key(key, kind)
    except ValidationError as exc:
        warnings.append(f"run {run_id}: {kind} {key!r} left out ({exc})")
        return False
    return True


def _restore_original(record: dict[str, Any], meta: dict[str, Any], mlflow_id: str) -> None:
    """A run exported from tui-track: put back what MLflow's text-only params and tags lose."""
    from ..jsonio import loads

    original = loads(json.dumps(meta))
    for key in ("name", "params", "user", "host", "pid", "env", "error", "models", "start_time", "end_time"):
        if key in original:
            record[key] = original[key]
    if isinstance(original.get("tags"), dict):
        record["tags"] = {**original["tags"], MLFLOW_RUN_ID_TAG: mlflow_id}


def _local_path(artifact_uri: str | None) -> Path | None:
    """The directory of a local artifact location (``file:`` URI or plain path), else None."""
    from urllib.parse import unquote, urlparse

    if not artifact_uri:
        return None
    parsed = urlparse(artifact_uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    return Path(artifact_uri) if parsed.scheme == "" else None  # mlflow-artifacts:, s3:, http: go through MLflow


def _download_artifacts(client: Any, uri: str, run: Any, dest: Path, models: list[Any]) -> None:
    local = _local_path(run.info.artifact_uri)
    if local is not None and not local.exists():
        local = in_trash(uri, local) or local
    if local is not None:  # same bytes as download_artifacts, without a query per run
        if local.is_dir() and any(local.iterdir()):
            shutil.copytree(local, dest, symlinks=False)
    elif client.list_artifacts(run.info.run_id):
        tmp = dest.with_name(".download")
        client.download_artifacts(run.info.run_id, "", str(tmp))
        tmp.rename(dest)
    for model in models:
        target = dest / model.name
        if target.exists() or not model.artifact_location:
            continue
        import mlflow.artifacts

        dest.mkdir(exist_ok=True)
        tmp = dest.with_name(f".model-{model.model_id}")
        try:
            fetched = mlflow.artifacts.download_artifacts(
                artifact_uri=model.artifact_location, dst_path=str(tmp), tracking_uri=uri
            )
            Path(fetched).rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
