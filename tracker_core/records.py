"""Plain records returned by the store: experiments, run summaries, metric points.

They are NamedTuples (the read-only ones) and slotted classes (the two that readers and writers
update), not dataclasses: ``import dataclasses`` loads ``inspect`` and ``ast``, a third of the time
of ``import tracker_core`` that every training script pays. Every record compares by its fields
and copies with changes through ``_replace(**changes)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, NamedTuple, TypeVar

# Run statuses as stored; CRASHED and UNREADABLE are derived by readers, never written.
RUNNING = "running"
FINISHED = "finished"
FAILED = "failed"
KILLED = "killed"
CRASHED = "crashed"
UNREADABLE = "unreadable"
END_STATUSES = (FINISHED, FAILED, KILLED)
STATUSES = (RUNNING, FINISHED, FAILED, KILLED, CRASHED, UNREADABLE)

_R = TypeVar("_R", bound="_Record")


class _Record:
    """A mutable record whose fields (``_fields``, in order, as a NamedTuple's) are its slots:
    equality, repr and ``_replace`` follow from them."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    __hash__ = None  # type: ignore[assignment]  # mutable, so unhashable (as a dataclass with eq=True)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({fields})"

    def _replace(self: _R, **changes: Any) -> _R:
        """A copy with ``changes`` (field name to value) applied, as a NamedTuple's ``_replace``."""
        unknown = changes.keys() - set(self._fields)
        if unknown:
            raise ValueError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        copy = object.__new__(type(self))
        for name in self._fields:
            setattr(copy, name, changes[name] if name in changes else getattr(self, name))
        return copy


class Experiment(NamedTuple):
    """An experiment: a named group of runs.

    ``error`` says why the experiment's file is unreadable (it is then listed under its id); None when readable.
    """

    id: str
    name: str
    created: float
    tags: dict[str, Any]
    deleted: bool = False
    run_count: int = 0
    last_activity: float | None = None
    error: str | None = None


class MetricSummary(_Record):
    """What a runs table needs of one metric: its latest value, its range, its sum and first value.

    ``last``/``step`` are the point with the highest step (the latest logged among equal steps),
    ``first_value``/``first_step`` the one with the lowest step (the earliest logged among equal
    steps). ``sum`` adds every value, NaN included, so :attr:`mean` is NaN once a NaN was logged.
    ``sum``, ``first_value`` and ``first_step`` are None for summaries written before they existed
    (``run.json`` files of older versions whose metric has more than one point).
    """

    _fields = ("last", "min", "max", "step", "count", "timestamp", "sum", "first_value", "first_step")
    __slots__ = _fields

    def __init__(
        self,
        last: float,
        min: float,
        max: float,
        step: int,
        count: int,
        timestamp: float,
        sum: float | None = None,
        first_value: float | None = None,
        first_step: int | None = None,
    ) -> None:
        self.last = last
        self.min = min
        self.max = max
        self.step = step
        self.count = count
        self.timestamp = timestamp
        self.sum = sum
        self.first_value = first_value
        self.first_step = first_step

    def add(self, value: float, step: int, timestamp: float) -> None:
        """Fold one more point in (points may arrive in any step order)."""
        if step >= self.step:
            self.last, self.step, self.timestamp = value, step, timestamp
        if value == value:  # NaN never becomes min or max unless nothing else exists
            if self.min != self.min or value < self.min:
                self.min = value
            if self.max != self.max or value > self.max:
                self.max = value
        if self.sum is not None:
            self.sum += value
        if self.first_step is not None and step < self.first_step:
            self.first_value, self.first_step = value, step
        self.count += 1

    @classmethod
    def first(cls, value: float, step: int, timestamp: float) -> MetricSummary:
        """The summary of a metric's first point."""
        return cls(value, value, value, step, 1, timestamp, value, value, step)

    @property
    def mean(self) -> float | None:
        """The mean of every logged value (NaN if one was NaN), None when ``sum`` is unknown."""
        return None if self.sum is None else self.sum / self.count

    def aggregate(self, name: str) -> float | None:
        """``last``, ``min``, ``max``, ``mean``, ``first`` or ``count`` by name (None if unknown)."""
        if name not in AGGREGATE_FIELDS:
            raise KeyError(name)
        value = getattr(self, AGGREGATE_FIELDS[name])
        return None if value is None else float(value)


AGGREGATE_FIELDS = {
    "last": "last",
    "min": "min",
    "max": "max",
    "mean": "mean",
    "first": "first_value",
    "count": "count",
}
"""The aggregates a metric column can show, and the :class:`MetricSummary` attribute of each."""


class MetricPoint(NamedTuple):
    """One logged value of a metric."""

    key: str
    value: float
    step: int
    timestamp: float


class ArtifactInfo(NamedTuple):
    """A file among a run's artifacts (path relative to the run's artifact root)."""

    path: str
    size: int
    is_dir: bool = False


class RunSummary(_Record):
    """A run as listed: identity, status, times, params, tags and metric summaries.

    ``status`` is what a reader should show: a run whose process died reads ``crashed``, and a
    run whose file cannot be parsed reads ``unreadable`` with the reason in ``error``. ``events`` are
    interruptions and resumptions, oldest first (``{"time", "event", ...}``; like ``env``, only from
    get_run). ``params``, ``tags``, ``metrics``, ``env`` and ``events`` left out start empty.
    """

    _fields = (
        "id",
        "experiment_id",
        "name",
        "status",
        "start_time",
        "end_time",
        "params",
        "tags",
        "metrics",
        "parent_id",
        "user",
        "host",
        "pid",
        "env",
        "error",
        "deleted",
        "heartbeat",
        "events",
    )
    __slots__ = _fields

    def __init__(
        self,
        id: str,
        experiment_id: str,
        name: str,
        status: str,
        start_time: float | None,
        end_time: float | None = None,
        params: dict[str, Any] | None = None,
        tags: dict[str, Any] | None = None,
        metrics: dict[str, MetricSummary] | None = None,
        parent_id: str | None = None,
        user: str | None = None,
        host: str | None = None,
        pid: int | None = None,
        env: dict[str, Any] | None = None,
        error: str | None = None,
        deleted: bool = False,
        heartbeat: float | None = None,
        events: list[dict[str, Any]] | None = None,
    ) -> None:
        self.id = id
        self.experiment_id = experiment_id
        self.name = name
        self.status = status
        self.start_time = start_time
        self.end_time = end_time
        self.params: dict[str, Any] = {} if params is None else params
        self.tags: dict[str, Any] = {} if tags is None else tags
        self.metrics: dict[str, MetricSummary] = {} if metrics is None else metrics
        self.parent_id = parent_id
        self.user = user
        self.host = host
        self.pid = pid
        self.env: dict[str, Any] = {} if env is None else env
        self.error = error
        self.deleted = deleted
        self.heartbeat = heartbeat
        self.events: list[dict[str, Any]] = [] if events is None else events

    @property
    def last_activity(self) -> float | None:
        """The latest time the run recorded: its end, else its last heartbeat, else its start."""
        return self.end_time or self.heartbeat or self.start_time

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (or to the last heartbeat of a run still open)."""
        if self.start_time is None:
            return None
        end = self.end_time if self.end_time is not None else self.heartbeat
        return None if end is None else max(0.0, end - self.start_time)

    def metric(self, key: str, aggregate: str = "last") -> float | None:
        """A metric's aggregate (``last``/``min``/``max``/``mean``/``first``/``count``), None if never
        logged (or, for ``mean``/``first``, not known: see :class:`MetricSummary`)."""
        summary = self.metrics.get(key)
        return None if summary is None else summary.aggregate(aggregate)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (metrics as ``{key: {last, min, max, mean, first, step, count}}``)."""
        return {
            "id": self.id,
            "experiment_id": self.experiment_id,
            "name": self.name,
            "status": self.status,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "duration": self.duration,
            "parent_id": self.parent_id,
            "user": self.user,
            "host": self.host,
            "pid": self.pid,
            "params": self.params,
            "tags": self.tags,
            "metrics": {
                k: {
                    "last": m.last,
                    "min": m.min,
                    "max": m.max,
                    "mean": m.mean,
                    "first": m.first_value,
                    "step": m.step,
                    "count": m.count,
                }
                for k, m in self.metrics.items()
            },
            "env": self.env,
            "error": self.error,
            "deleted": self.deleted,
        }


def latest_activity(runs: Iterable[RunSummary]) -> float | None:
    """The latest :attr:`RunSummary.last_activity` of the runs not deleted: an experiment's last activity."""
    times = [r.last_activity for r in runs if not r.deleted]
    return max((t for t in times if t is not None), default=None)
