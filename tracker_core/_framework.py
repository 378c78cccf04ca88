"""What the framework integrations share: which run they log to, flattened params, numeric values, endings.

Each integration (``tracker_core.transformers``, ``.lightning``, ``.keras``, ``.xgboost``, ``.lightgbm``,
``.optuna``) is a thin adapter over the public run API. It joins the active run of the module-level
API when there is one (and leaves ending it to its owner), or starts a run of its own, made the
active one while training runs, and ends it finished, failed, or killed (KeyboardInterrupt).
"""

from __future__ import annotations

import functools
import math
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import fluent
from .errors import ConflictError
from .records import FAILED, FINISHED, KILLED
from .run import Run, failure_summary
from .store import Store
from .validation import json_value

StoreArg = Store | str | os.PathLike[str] | None
JSON_SCALARS = (str, int, float, bool, type(None))


def flatten_params(obj: Any, prefix: str = "", sep: str = ".") -> dict[str, Any]:
    """Nested mappings as ``{"a.b": value}``; JSON types kept, lists of scalars kept, other objects as text."""
    out: dict[str, Any] = {}
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            name = f"{prefix}{sep}{key}" if prefix else str(key)
            if isinstance(value, Mapping) and value:
                out.update(flatten_params(value, name, sep))
            else:
                out[name] = _param_value(value)
    return out


def _param_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return value  # the store encodes non-finite floats explicitly
    if isinstance(value, Mapping):
        return {} if not value else json_value(value)
    if hasattr(value, "value") and type(value).__module__ != "builtins" and isinstance(value.value, JSON_SCALARS):
        return value.value  # an Enum (transformers' IntervalStrategy...) as its value
    return json_value(value)


def numeric_items(values: Mapping[str, Any]) -> Iterable[tuple[str, float]]:
    """The ``(key, float)`` pairs of a framework's log dict that are numbers (text and None skipped)."""
    for key, value in values.items():
        if type(value) is float:
            yield key, value
            continue
        if value is None or isinstance(value, (str, bytes)):
            continue
        item = getattr(value, "item", None)
        if callable(item):  # a torch/numpy scalar
            try:
                value = item()
            except (ValueError, RuntimeError):
                continue  # a tensor with more than one element: not a metric value
        if isinstance(value, (int, float)):
            yield key, float(value)


def status_of(exc: BaseException | None) -> str:
    """The run status an exception ends a run with (None: finished)."""
    if exc is None:
        return FINISHED
    if isinstance(exc, KeyboardInterrupt):
        return KILLED
    if isinstance(exc, SystemExit) and exc.code in (0, None):
        return FINISHED
    return FAILED


class RunHandle:
    """The run an integration logs to: joined (the active one) or its own, started on first use."""

    def __init__(
        self,
        *,
        experiment: str | None = None,
        run_name: str | None = None,
        store: StoreArg = None,
        tags: Mapping[str, Any] | None = None,
        run: Run | None = None,
    ) -> None:
        self.experiment = experiment
        self.run_name = run_name
        self.store = store
        self.tags = dict(tags or {})
        self.run: Run | None = run
        self.owned = False

    def open(self, name: str | None = None) -> Run:
        """The run to log to: the one given, the active one, or a new active one of this integration."""
        if self.run is not None and not self.run.ended:
            return self.run
        active = fluent.active_run()
        if active is not None and self.store is None and self.experiment is None:
            self.run, self.owned = active, False
        else:
            self.run = fluent.start_run(
                self.experiment,
                self.run_name or name,
                store=self.store,
                tags=self.tags or None,
                nested=active is not None,
            )
            self.owned = True
        return self.run

    def end(self, exc: BaseException | None = None, status: str | None = None) -> None:
        """End the run if this integration started it (a joined run is its owner's to end)."""
        run = self.run
        if run is None or run.ended:
            return
        if not self.owned:
            run.flush()
            return
        status = status or status_of(exc)
        error = None
        if exc is not None and status != FINISHED:
            error = "KeyboardInterrupt" if status == KILLED else failure_summary(type(exc), exc, exc.__traceback__)
        run.end(status, error=error)

    def log_late(self, fn: Callable[[Run], None]) -> None:
        """Log into this integration's run after it ended (an ``evaluate()`` after training): reopen it briefly."""
        run = self.run
        if run is None:
            return
        if not run.ended:
            fn(run)
            return
        status = run.store.get_run(run.id).status
        with run.store.start_run(run_id=run.id) as late:
            fn(late)
            late.end(status if status in (FINISHED, FAILED, KILLED) else FINISHED)


def log_params_safely(run: Run, params: Mapping[str, Any]) -> None:
    """Log params; those already logged with another value (a resumed run) are kept and warned about."""
    current = run.params
    fresh = {k: v for k, v in params.items() if k not in current}
    changed = [k for k, v in params.items() if k in current and current[k] != v]
    if fresh:
        try:
            run.log_params(fresh)
        except ConflictError:  # pragma: no cover - raced with another writer of this run's params
            pass
    if changed:
        warnings.warn(
            f"run {run.id[:8]} already has params {', '.join(changed[:5])} with other values; kept the first ones",
            stacklevel=3,
        )


def guard_method(obj: Any, attr: str, handle: RunHandle) -> None:
    """Wrap ``obj.attr`` (on the instance) so an exception escaping it ends the handle's run, then propagates.

    Frameworks call no callback when training raises; the wrapped method is where training spends
    its time (a step, a boosting round), so a failure or Ctrl-C there sets the run's status at once.
    Anything escaping elsewhere is still caught at interpreter exit (tracker_core.lifecycle).
    """
    method = getattr(obj, attr, None)
    if method is None or getattr(method, "_tracker_guarded", False):
        return

    @functools.wraps(method)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except BaseException as exc:
            handle.end(exc)
            raise

    guarded._tracker_guarded = True  # type: ignore[attr-defined]
    setattr(obj, attr, guarded)


def unguard_method(obj: Any, attr: str) -> None:
    """Undo :func:`guard_method` (the instance's own attribute removed, the class's method back)."""
    method = obj.__dict__.get(attr) if hasattr(obj, "__dict__") else None
    if method is not None and getattr(method, "_tracker_guarded", False):
        delattr(obj, attr)
