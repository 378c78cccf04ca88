"""tracker_core: log ML runs to a plain-file JSON store, then search, compare and register them.

import tracker_core as tc
with tc.start_run(experiment="churn", name="rf_small") as run:
    run.log_params({"n_estimators": 50})
    run.log_metric("loss", 0.3, step=1)
"""

from __future__ import annotations

from .errors import (
    AmbiguousIdError,
    ConflictError,
    CorruptFileError,
    LockTimeoutError,
    NotFoundError,
    PathTooLongError,
    RemoteConflictError,
    RemoteError,
    RunStateError,
    StateChangedError,
    StoreError,
    StoreFullError,
    StoreNotFoundError,
    StorePermissionError,
    StoreReadOnlyError,
    TrackerError,
    ValidationError,
)
from .fluent import (
    active_run,
    end_run,
    get_store,
    log_artifact,
    log_dict,
    log_metric,
    log_metrics,
    log_model,
    log_param,
    log_params,
    log_text,
    set_store,
    set_tag,
    set_tags,
    start_run,
)
from .records import ArtifactInfo, Experiment, MetricPoint, MetricSummary, RunSummary
from .run import Run
from .store import Store

__version__ = "0.1.0"

__all__ = [
    "AmbiguousIdError",
    "ArtifactInfo",
    "ConflictError",
    "CorruptFileError",
    "Experiment",
    "LockTimeoutError",
    "MetricPoint",
    "MetricSummary",
    "NotFoundError",
    "PathTooLongError",
    "RemoteConflictError",
    "RemoteError",
    "Run",
    "RunStateError",
    "RunSummary",
    "StateChangedError",
    "Store",
    "StoreError",
    "StoreFullError",
    "StoreNotFoundError",
    "StorePermissionError",
    "StoreReadOnlyError",
    "TrackerError",
    "ValidationError",
    "active_run",
    "end_run",
    "get_store",
    "log_artifact",
    "log_dict",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "log_text",
    "set_store",
    "set_tag",
    "set_tags",
    "start_run",
]


def __getattr__(name: str) -> object:
    # Kata-compatible classes and heavier helpers load on first use only.
    if name in ("ExperimentTracker", "ModelRegistry"):
        from . import kata

        return getattr(kata, name)
    if name == "Registry":
        from .registry import Registry

        return Registry
    if name == "search_runs":
        from .query import search_runs

        return search_runs
    if name in ("compare_runs", "best_run"):
        from . import compare

        return getattr(compare, name)
    raise AttributeError(f"module 'tracker_core' has no attribute {name!r}")
