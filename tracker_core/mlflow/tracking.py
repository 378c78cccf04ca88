"""``MlflowClient`` over a tui-track store: runs, metric histories, experiments, model versions, stages, aliases."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError, ValidationError
from . import _state
from ._state import unsupported
from .entities import Experiment, Metric, ModelVersion, Param, RegisteredModel, Run, RunTag, ViewType, text

if TYPE_CHECKING:
    from ..registry import Registry
    from ..run import Run as TcRun

__all__ = ["MlflowClient"]

_open: dict[str, TcRun] = {}
"""Runs this process opened through the client (create_run, or logging to a run by id), until terminated."""


def open_run(run_id: str) -> TcRun:
    """A writer for ``run_id``: one this process has open, else the run resumed."""

    for candidate in (*_open.values(), *(a._run for a in _active())):
        if candidate.id == run_id and not candidate.ended:
            found: TcRun = candidate
            return found
    run = _state.get_store().start_run(run_id=run_id)
    _open[run_id] = run
    return run


def _active() -> list[Any]:
    from . import _runs

    return list(_runs)


def _model_source(source: str) -> tuple[str, str]:
    """``runs:/<run_id>/<path>`` as (run id, artifact path)."""
    if not source.startswith("runs:/"):
        raise unsupported(f"registering {source!r}", "register a model logged on a run: runs:/<run_id>/<artifact_path>")
    run_id, _, path = source[len("runs:/") :].partition("/")
    return run_id, path.strip("/") or "model"


class MlflowClient:
    """MLflow's client for one tui-track store (``tracking_uri``: a path or ``file:`` URI; default: the current one)."""

    def __init__(self, tracking_uri: str | os.PathLike[str] | None = None, registry_uri: str | None = None) -> None:
        from ..store import Store

        self._store = Store(_state.store_path(tracking_uri)) if tracking_uri else _state.get_store()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise unsupported(f"MlflowClient.{name}")

    @property
    def tracking_uri(self) -> str:
        return self._store.root.as_uri()

    def _registry(self) -> Registry:
        from ..registry import Registry

        return Registry(self._store)

    def _flush(self) -> None:
        for run in (*_open.values(), *(a._run for a in _active())):
            if not run.ended:
                run.flush()

    # ------------------------------------------------------------ experiments
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
    ) -> str:
        return self._store.create_experiment(name, {k: text(v) for k, v in (tags or {}).items()}).id

    def get_experiment(self, experiment_id: str) -> Experiment:
        return Experiment.of(self._store, self._store.get_experiment(str(experiment_id)))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        found = [e for e in self._store.list_experiments(include_deleted=True, with_counts=False) if e.name == name]
        return Experiment.of(self._store, found[0]) if found else None

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> list[Experiment]:
        from . import search_experiments

        with _state_store(self._store):
            return search_experiments(view_type, max_results, filter_string, order_by)

    def delete_experiment(self, experiment_id: str) -> None:
        self._store.delete_experiment(str(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        self._store.restore_experiment(str(experiment_id))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._store.rename_experiment(str(experiment_id), new_name)

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        self._store.set_experiment_tag(str(experiment_id), key, text(value))

    # ------------------------------------------------------------------ runs
    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        """A new run (left open for logging by id until :meth:`set_terminated`)."""
        if start_time is not None:
            raise unsupported("MlflowClient.create_run(start_time=...)", "a run starts when it is created")
        name = self._store.get_experiment(str(experiment_id)).name
        run = self._store.start_run(name, run_name, tags={k: text(v) for k, v in (tags or {}).items()} or None)
        _open[run.id] = run
        run.flush()
        return self.get_run(run.id)

    def get_run(self, run_id: str) -> Run:
        self._flush()
        return Run.of(self._store, self._store.get_run(run_id))

    def search_runs(
        self,
        experiment_ids: list[str],
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> list[Run]:
        from . import search_runs

        with _state_store(self._store):
            found: list[Run] = search_runs(
                experiment_ids, filter_string, run_view_type, max_results, order_by, output_format="list"
            )
            return found

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        self._flush()
        return [
            Metric(p.key, p.value, round(p.timestamp * 1000), p.step) for p in self._store.metric_history(run_id, key)
        ]

    def _writer(self, run_id: str) -> TcRun:
        if self._store is not _state.get_store():
            run = self._store.start_run(run_id=run_id) if run_id not in _open else _open[run_id]
            _open[run_id] = run
            return run
        return open_run(run_id)

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        self._writer(run_id).log_param(key, text(value))
        return value

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
        **_: Any,
    ) -> None:
        ts = (int(time.time() * 1000) if timestamp is None else int(timestamp)) / 1000.0
        self._writer(run_id).log_metric(key, float(value), step=step or 0, timestamp=ts)

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        self._writer(run_id).set_tag(key, text(value))

    def log_batch(
        self,
        run_id: str,
        metrics: list[Metric] = (),  # type: ignore[assignment]
        params: list[Param] = (),  # type: ignore[assignment]
        tags: list[RunTag] = (),  # type: ignore[assignment]
        synchronous: bool | None = None,
    ) -> None:
        run = self._writer(run_id)
        if params:
            run.log_params({p.key: text(p.value) for p in params})
        if tags:
            run.set_tags({t.key: text(t.value) for t in tags})
        for m in metrics:
            run.log_metric(m.key, float(m.value), step=m.step or 0, timestamp=m.timestamp / 1000.0)

    def log_artifact(self, run_id: str, local_path: str, artifact_path: str | None = None) -> None:
        self._writer(run_id).log_artifact(local_path, artifact_path or None)

    def log_artifacts(self, run_id: str, local_dir: str, artifact_path: str | None = None) -> None:
        from pathlib import Path

        run = self._writer(run_id)
        for child in sorted(Path(local_dir).iterdir()):
            run.log_artifact(child, artifact_path or None)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        self._writer(run_id).log_text(text, artifact_file)

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        import json

        self._writer(run_id).log_text(json.dumps(dictionary, indent=2), artifact_file)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[Any]:
        self._flush()
        prefix = f"{path.strip('/')}/" if path else ""
        return [a for a in self._store.list_artifacts(run_id) if a.path.startswith(prefix)]

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        import shutil
        from pathlib import Path

        source = self._store.artifact_path(run_id, path) if path else self._store.artifact_root(run_id)
        if dst_path is None:
            return str(source)
        target = Path(dst_path) / source.name
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, target)
        return str(target)

    def set_terminated(self, run_id: str, status: str = "FINISHED", end_time: int | None = None) -> None:
        from . import _STATUS

        if end_time is not None:
            raise unsupported("MlflowClient.set_terminated(end_time=...)", "a run ends when it is terminated")
        run = self._writer(run_id)
        try:
            run.end(_STATUS[str(status).upper()])
        except KeyError:
            raise ValidationError(f"set_terminated(status={status!r}): use FINISHED, FAILED or KILLED") from None
        _open.pop(run_id, None)

    def delete_run(self, run_id: str) -> None:
        self._store.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        self._store.restore_run(run_id)

    # -------------------------------------------------------------- registry
    def create_registered_model(
        self, name: str, tags: dict[str, Any] | None = None, description: str | None = None
    ) -> RegisteredModel:
        """Models come into being with their first version here; a model already registered is returned."""
        try:
            self._registry().get_model(name)
        except NotFoundError:
            raise unsupported(
                "MlflowClient.create_registered_model for a model without versions",
                "register a version with mlflow.register_model (or create_model_version), which creates the model",
            ) from None
        for key, value in (tags or {}).items():
            self._registry().set_model_tag(name, key, text(value))
        if description is not None:
            self._registry().set_model_description(name, description)
        return self.get_registered_model(name)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return RegisteredModel.of(self._registry().get_model(name))

    def search_registered_models(self, filter_string: str | None = None, max_results: int = 100) -> list[Any]:
        models = [RegisteredModel.of(m) for m in self._registry().list_models()]
        if filter_string:
            import re

            m = re.fullmatch(r"\s*name\s*=\s*'(.*)'\s*", filter_string)
            if m is None:
                raise unsupported(f"search_registered_models(filter_string={filter_string!r})", "use name = '...'")
            models = [x for x in models if x.name == m.group(1)]
        return models[:max_results]

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        await_creation_for: int = 300,
        **_: Any,
    ) -> ModelVersion:
        source_run, artifact = _model_source(source)
        self._flush()
        version = self._registry().register(
            name,
            source_run,
            artifact,
            description=description,
            tags={k: text(v) for k, v in (tags or {}).items()} or None,
        )
        return ModelVersion.of(version)

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        return ModelVersion.of(self._registry().get_version(name, version))

    def search_model_versions(self, filter_string: str | None = None, max_results: int = 10000) -> list[ModelVersion]:
        import re

        registry = self._registry()
        names = [m.name for m in registry.list_models()]
        if filter_string:
            m = re.fullmatch(r"\s*name\s*=\s*'(.*)'\s*", filter_string)
            if m is None:
                raise unsupported(f"search_model_versions(filter_string={filter_string!r})", "use name = '...'")
            names = [n for n in names if n == m.group(1)]
        return [ModelVersion.of(v) for n in names for v in registry.list_versions(n)][:max_results]

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
        versions = self._registry().list_versions(name)
        latest: dict[str, Any] = {}
        for v in versions:
            stage = ModelVersion.of(v).current_stage
            if stages is None or stage.lower() in {s.lower() for s in stages}:
                latest[stage] = v if stage not in latest or v.version > latest[stage].version else latest[stage]
        return [ModelVersion.of(v) for v in latest.values()]

    def transition_model_version_stage(
        self, name: str, version: str | int, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        normalized = stage.strip().lower()
        self._registry().promote(
            name, version, stage, archive_existing=True if normalized == "production" else archive_existing_versions
        )
        return self.get_model_version(name, version)

    def update_model_version(self, name: str, version: str | int, description: str | None = None) -> ModelVersion:
        if description is not None:
            self._registry().set_version_description(name, version, description)
        return self.get_model_version(name, version)

    def set_model_version_tag(self, name: str, version: str | int, key: str, value: Any) -> None:
        self._registry().set_version_tag(name, version, key, text(value))

    def update_registered_model(self, name: str, description: str | None = None) -> RegisteredModel:
        if description is not None:
            self._registry().set_model_description(name, description)
        return self.get_registered_model(name)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        self._registry().set_model_tag(name, key, text(value))

    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        self._registry().set_alias(name, alias, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._registry().delete_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return ModelVersion.of(self._registry().resolve(name, alias=alias))

    def delete_model_version(self, name: str, version: str | int) -> None:
        self._registry().delete_version(name, version)

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        return self._registry().get_version(name, version).path.as_uri()


class _state_store:
    """Point the module-level functions at a client's store for one call."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def __enter__(self) -> None:
        self._previous = _state._store
        _state._store = self._store

    def __exit__(self, *exc: object) -> None:
        _state._store = self._previous
