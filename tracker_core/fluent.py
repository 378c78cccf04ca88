"""The module-level API for training scripts: a stack of active runs per process.

import tracker_core as tc
with tc.start_run(experiment="churn", name="rf") as run:
    tc.log_param("n_estimators", 50)
    tc.log_metric("loss", 0.25)
"""

from __future__ import annotations

import os
import threading
from typing import Any

from .errors import RunStateError, ValidationError
from .run import DEFAULT_FLUSH_INTERVAL, Run
from .store import Store
from .validation import shown

_store: Store | None = None
_store_lock = threading.Lock()
_stack: list[Run] = []


def set_store(root: str | os.PathLike[str] | None) -> Store:
    """Use the store at ``root`` for the module-level API (None: resolve it again)."""
    global _store
    with _store_lock:
        _store = chosen = Store(root) if root is not None else None
    return chosen if chosen is not None else get_store()  # outside the lock: get_store takes it


def get_store() -> Store:
    """The store of the module-level API, resolved on first use (see tracker_core.config)."""
    global _store
    if _store is None:
        with _store_lock:
            if _store is None:
                _store = Store()
    return _store


class _ActiveRun(Run):
    """A run started by :func:`start_run`: leaving it (or ending it) pops it from the stack."""

    def end(self, status: str = "finished", error: str | None = None) -> None:
        super().end(status, error)
        if self in _stack:
            _stack.remove(self)

    end_run = end


def start_run(
    experiment: str | None = None,
    name: str | None = None,
    *,
    run_id: str | None = None,
    nested: bool = False,
    parent_id: str | None = None,
    tags: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    store: str | os.PathLike[str] | Store | None = None,
    flush_interval: float = DEFAULT_FLUSH_INTERVAL,
    remote: str | None = None,
    push_interval: float | None = None,
    resume: str | None = None,
    run_key: str | None = None,
    system_metrics: bool | None = None,
    system_metrics_interval: float | None = None,
) -> Run:
    """Start (or resume, with ``run_id``) a run and make it the active one.

    ``resume="auto"``/``run_key``: continue the run of a requeued job (tracker_core.resume);
    ``system_metrics``/``system_metrics_interval``: host and GPU sampling (tracker_core.system_metrics).

    ``remote``/``push_interval``: push the run to ``s3://bucket/prefix`` in the background (see Store.start_run).

    With a run already active, pass ``nested=True`` to start a child of it; the child inherits
    the parent's store, and its experiment unless another is named.
    """
    parent = _stack[-1] if _stack else None
    if parent is not None and not nested and parent_id is None:
        raise RunStateError(
            f"run {parent.id[:8]} ({parent.name!r}) is still active; end it first, "
            "or pass nested=True to start a child run"
        )
    if isinstance(store, Store):
        target = store
    elif store is not None:
        if not isinstance(store, (str, os.PathLike)):
            raise ValidationError(f"store must be a path or a Store, got {type(store).__name__}: {shown(store)}")
        target = Store(store)
    elif nested and parent is not None:
        target = parent.store  # a child lives beside its parent
    else:
        target = get_store()
    if nested and parent is not None and parent_id is None:
        parent_id = parent.id
        if experiment is None:
            experiment = target.get_experiment(parent.experiment_id).name
    run = target.start_run(
        experiment,
        name,
        run_id=run_id,
        parent_id=parent_id,
        tags=tags,
        params=params,
        flush_interval=flush_interval,
        remote=remote,
        push_interval=push_interval,
        resume=resume,
        run_key=run_key,
        system_metrics=system_metrics,
        system_metrics_interval=system_metrics_interval,
    )
    run.__class__ = _ActiveRun
    _stack.append(run)
    return run


def active_run() -> Run | None:
    """The innermost active run, or None."""
    return _stack[-1] if _stack else None


def _require_run() -> Run:
    run = active_run()
    if run is None:
        raise RunStateError("no active run; call tracker_core.start_run() first")
    return run


def end_run(status: str = "finished") -> None:
    """End the active run (a no-op when none is active)."""
    run = active_run()
    if run is not None:
        run.end(status)


def log_param(key: str, value: Any) -> None:
    """Log a param on the active run."""
    _require_run().log_param(key, value)


def log_params(params: dict[str, Any]) -> None:
    """Log params on the active run."""
    _require_run().log_params(params)


def log_metric(key: str, value: float, step: int | None = None, timestamp: float | None = None) -> None:
    """Log a metric point on the active run."""
    _require_run().log_metric(key, value, step, timestamp)


def log_metrics(metrics: dict[str, float], step: int | None = None, timestamp: float | None = None) -> None:
    """Log several metrics on the active run."""
    _require_run().log_metrics(metrics, step, timestamp)


def set_tag(key: str, value: Any) -> None:
    """Set a tag on the active run."""
    _require_run().set_tag(key, value)


def set_tags(tags: dict[str, Any]) -> None:
    """Set tags on the active run."""
    _require_run().set_tags(tags)


def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None) -> str:
    """Copy a file or directory into the active run's artifacts."""
    return _require_run().log_artifact(local_path, artifact_path)


def log_text(text: str, artifact_file: str) -> str:
    """Write text as an artifact of the active run."""
    return _require_run().log_text(text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str) -> str:
    """Write a JSON artifact on the active run."""
    return _require_run().log_dict(dictionary, artifact_file)


def log_model(model: Any, name: str = "model") -> dict[str, Any]:
    """Log a model (joblib + JSON sidecar) on the active run."""
    return _require_run().log_model(model, name)
