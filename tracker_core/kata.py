"""The kata's ``ExperimentTracker`` and ``ModelRegistry``, same names and calls, on the real store.

The kata (``seed/experiment-tracking-kata.md``) defined both classes over a JSON log; here
they are thin adapters, so its Live Code runs unchanged with the two class definitions
replaced by ``from tracker_core import ExperimentTracker, ModelRegistry``.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .records import FINISHED, RunSummary
from .run import Run
from .store import Store

if TYPE_CHECKING:
    from .registry import ModelVersion

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _kata_time(value: float | None) -> str | None:
    return None if value is None else time.strftime(_TIME_FORMAT, time.localtime(value))


def _record(summary: RunSummary, artifacts: list[str]) -> dict[str, Any]:
    """A run as the kata's dicts: run_name, run_id, params, metrics, artifacts, times, status."""
    return {
        "run_name": summary.name,
        "run_id": summary.id,
        "params": dict(summary.params),
        "metrics": {k: m.last for k, m in summary.metrics.items()},
        "artifacts": artifacts,
        "start_time": _kata_time(summary.start_time),
        "end_time": _kata_time(summary.end_time),
        "status": "completed" if summary.status == FINISHED else summary.status,
    }


class ExperimentTracker:
    """The kata's tracker: one experiment, one current run at a time, runs as dicts."""

    def __init__(self, experiment_name: str, base_dir: str | None = None) -> None:
        self.experiment_name = experiment_name
        self.base_dir = base_dir or tempfile.mkdtemp()
        self.store = Store(self.base_dir)
        self.experiment = self.store.get_or_create_experiment(experiment_name)
        self.exp_dir = os.fspath(self.store.experiments_dir / self.experiment.id)
        self.runs: list[dict[str, Any]] = self._load_log()
        self.current_run: dict[str, Any] | None = None
        self._run: Run | None = None

    def _load_log(self) -> list[dict[str, Any]]:
        ended = [r for r in self.store.list_runs(self.experiment.id) if r.end_time is not None]
        ended.sort(key=lambda r: r.start_time or 0.0)
        return [_record(r, [a.path for a in self.store.list_artifacts(r.id) if not a.is_dir]) for r in ended]

    def _active(self) -> Run:
        if self._run is None or self.current_run is None:
            raise RuntimeError("no current run; call start_run(run_name) first")
        return self._run

    def start_run(self, run_name: str) -> ExperimentTracker:
        """Start a run named ``run_name``; returns the tracker, as in the kata."""
        if self._run is not None and not self._run.ended:
            self._run.end("killed", error="superseded by a new start_run")
        self._run = self.store.start_run(self.experiment.id, run_name)
        self.current_run = {
            "run_name": run_name,
            "run_id": self._run.id,
            "params": {},
            "metrics": {},
            "artifacts": [],
            "start_time": time.strftime(_TIME_FORMAT),
            "end_time": None,
            "status": "running",
        }
        return self

    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def log_params(self, params_dict: dict[str, Any]) -> None:
        run = self._active()
        run.log_params(params_dict)
        assert self.current_run is not None
        self.current_run["params"].update(run.params)

    def log_metric(self, key: str, value: float) -> None:
        run = self._active()
        run.log_metric(key, value)
        assert self.current_run is not None
        self.current_run["metrics"][key] = float(value)

    def log_metrics(self, metrics_dict: dict[str, float]) -> None:
        for k, v in metrics_dict.items():
            self.log_metric(k, v)

    def log_artifact(self, obj: Any, filename: str) -> str:
        """Pickle ``obj`` with joblib as artifact ``filename``; return the file's path."""
        import joblib

        run = self._active()
        path = run.artifact_path_for(filename)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        joblib.dump(obj, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        assert self.current_run is not None
        self.current_run["artifacts"].append(filename)
        return os.fspath(path)

    def end_run(self) -> dict[str, Any]:
        """End the current run as finished and return its record."""
        run = self._active()
        run.end(FINISHED)
        record = _record(self.store.get_run(run.id), list(self.current_run["artifacts"]) if self.current_run else [])
        self.runs.append(record)
        self.current_run = None
        self._run = None
        return record

    def compare_runs(self, metric: str = "accuracy") -> list[dict[str, Any]]:
        """All runs sorted by ``metric``, highest first; as in the kata, a missing value counts as 0."""

        def key(r: dict[str, Any]) -> float:
            v = r["metrics"].get(metric, 0)
            return -math.inf if v != v else float(v)  # NaN: last

        return sorted(self.runs, key=key, reverse=True)

    def get_best_run(self, metric: str = "accuracy") -> dict[str, Any] | None:
        """The run with the highest ``metric``, or None when there are no runs."""
        ranked = self.compare_runs(metric)
        return ranked[0] if ranked else None


def _store_for_registry_dir(registry_dir: Path) -> Store:
    """The store whose registry the kata means: ``registry_dir`` itself or its parent, else a new store there."""
    from .store import MARKER_FILE

    for candidate in (registry_dir, registry_dir.parent):
        if (candidate / MARKER_FILE).is_file():
            return Store(candidate, create=False)
    return Store(registry_dir, create=True)


class ModelRegistry:
    """The kata's registry (register, promote, get_production_model, list_versions) on :class:`Registry`.

    ``ModelRegistry(os.path.join(tracker.base_dir, "registry"))`` uses the registry of the
    tracker's store; a directory that is not in a store becomes a new store.
    """

    def __init__(self, registry_dir: str | os.PathLike[str]) -> None:
        from .registry import Registry

        self.registry_dir = os.fspath(registry_dir)
        self.backend = Registry(_store_for_registry_dir(Path(self.registry_dir).absolute()))

    def register(self, name: str, model: Any, metrics: dict[str, float], stage: str = "development") -> int:
        """Save ``model`` as the next version of ``name``; return its version number."""
        return self.backend.register_object(name, model, metrics=metrics, stage=stage).version

    def promote(self, name: str, version: int, new_stage: str) -> None:
        """Move a version to ``new_stage``; promoting to production archives the previous one."""
        self.backend.promote(name, version, new_stage)

    def get_production_model(self, name: str) -> tuple[Any, dict[str, Any]] | tuple[None, None]:
        """The production model and its version dict, or ``(None, None)`` when none is in production."""
        model = self.backend.get_model(name)  # an unknown model raises, as the kata's KeyError did
        if model.production_version is None:
            return None, None
        version = self.backend.get_version(name, model.production_version)
        return self.backend.load(version.uri), _kata_version(version)

    def list_versions(self, name: str) -> list[dict[str, Any]]:
        """The versions of ``name`` as the kata's dicts (an empty list for an unknown model)."""
        from .errors import NotFoundError

        try:
            versions = self.backend.list_versions(name)
        except NotFoundError:
            return []
        return [_kata_version(v) for v in versions]


def _kata_version(version: ModelVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "stage": version.stage,
        "metrics": dict(version.metrics),
        "path": os.fspath(version.path),
        "registered_at": _kata_time(version.registered_at),
    }
