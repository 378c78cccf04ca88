"""Runs side by side, the best run of an experiment, which way each metric should go, and runs grouped
by params or tags with their metrics aggregated (:func:`group_runs`, from :mod:`tracker_core.grouping`).

Metric direction: higher is better unless the name says otherwise (loss, error, mse, rmse, mae,
log_loss, perplexity, latency... see :func:`metric_direction`); the TOML config overrides it per
metric, exact names or glob patterns::

    [metrics]
    loss = "min"
    "val_*" = "max"

Comparison rows: ``attributes``, ``params``, ``metrics``, ``tags`` then ``env`` (nested environment
keys joined by dots, e.g. ``git.commit``). Each metric has a row for its last value (key ``loss``);
metrics logged more than once in some run also get ``loss.min`` and ``loss.max`` rows. A metric
row's ``best_index`` is the run with the single best value (None for ties or fewer than two values).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .config import Settings, load_settings
from .errors import ValidationError
from .grouping import (
    COUNT,
    Grouping,
    MetricStats,
    RunColumns,
    RunGroup,
    common_metrics,
    group_key,
    group_runs,
    metric_column,
    metric_counts,
)
from .query import OrderKey, quote_part, search_runs, sort_runs, value_of
from .query.keys import AGGREGATES, ATTRIBUTES
from .records import RunSummary

if TYPE_CHECKING:
    from .store import Store

__all__ = [
    "COUNT",
    "SECTIONS",
    "Comparison",
    "ComparisonRow",
    "Direction",
    "Grouping",
    "MetricStats",
    "RunColumns",
    "RunGroup",
    "best_key",
    "best_run",
    "common_metrics",
    "compare_runs",
    "flatten",
    "group_key",
    "group_runs",
    "metric_column",
    "metric_counts",
    "metric_direction",
]

Direction = Literal["min", "max"]
SECTIONS = ("attributes", "params", "metrics", "tags", "env")
_DIRECTION_WORDS: dict[str, Direction] = {
    "min": "min",
    "minimize": "min",
    "lower": "min",
    "max": "max",
    "maximize": "max",
    "higher": "max",
}
_LOWER_IS_BETTER = frozenset(
    {
        "loss",
        "error",
        "err",
        "mse",
        "rmse",
        "mae",
        "mape",
        "smape",
        "msle",
        "rmsle",
        "logloss",
        "nll",
        "perplexity",
        "ppl",
        "wer",
        "cer",
        "latency",
        "time",
        "seconds",
        "duration",
        "fpr",
        "fnr",
        "brier",
        "regret",
        "cost",
        "distance",
        "divergence",
        "kl",
        "eer",
    }
)
_WORD_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def _metric_overrides(settings: Settings) -> Mapping[str, Any]:
    table = settings.get("metrics", {})
    if not isinstance(table, Mapping):
        source = settings.sources.get("metrics", "the config")
        raise ValidationError(f'{source}: [metrics] must be a table of metric = "min" or "max"')
    return table


def metric_direction(key: str, settings: Settings | None = None) -> Direction:
    """``"max"`` if higher values of metric ``key`` are better, ``"min"`` if lower ones are.

    The ``[metrics]`` table of the config (:func:`tracker_core.config.load_settings`, read when
    ``settings`` is None) decides first, by exact name then by glob pattern; otherwise names with a
    word such as loss, error, mse, rmse, mae, log_loss, perplexity or latency are minimized, and
    sklearn-style ``neg_*`` scores maximized. An aggregate suffix (``loss.min``) is ignored.
    """
    settings = load_settings() if settings is None else settings
    overrides = _metric_overrides(settings)
    names = [key]
    base, _, suffix = key.rpartition(".")
    if base and suffix in AGGREGATES:
        names.append(base)
    for name in names:
        choice = overrides.get(name)
        if choice is None:
            choice = next((v for pattern, v in overrides.items() if fnmatch.fnmatchcase(name, pattern)), None)
        if choice is not None:
            direction = _DIRECTION_WORDS.get(str(choice).lower())
            if direction is None:
                source = settings.sources.get("metrics", "the config")
                raise ValidationError(f'{source}: [metrics] {name} = {choice!r}; use "min" or "max"')
            return direction
    return _default_direction(names[-1])


def _default_direction(name: str) -> Direction:
    lowered = name.lower()
    if lowered.startswith("neg_"):
        return "max"
    if "loss" in lowered or "error" in lowered:
        return "min"
    words = {w.lower() for w in _WORD_RE.findall(name)}
    return "min" if words & _LOWER_IS_BETTER else "max"


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """One line of a comparison: a key and its value in each run (None where a run lacks it)."""

    section: str
    key: str
    values: list[Any]
    differs: bool
    best_index: int | None = None
    direction: Direction | None = None


@dataclass(frozen=True)
class Comparison:
    """Runs side by side: ``rows`` in section order, one value per run in ``runs`` order."""

    runs: list[RunSummary]
    rows: list[ComparisonRow] = field(default_factory=list)

    def section(self, name: str) -> list[ComparisonRow]:
        """The rows of one section (``params``, ``metrics``...)."""
        return [row for row in self.rows if row.section == name]

    def row(self, section: str, key: str) -> ComparisonRow | None:
        """One row by section and key, None if no run has that key."""
        return next((r for r in self.rows if r.section == section and r.key == key), None)

    def headers(self) -> list[str]:
        """A column title per run: its name, with an id prefix where names repeat."""
        names = [run.name for run in self.runs]
        return [n if names.count(n) == 1 else f"{n} ({r.id[:8]})" for n, r in zip(names, self.runs, strict=True)]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view: the runs (id and name) and every row."""
        return {
            "runs": [{"id": r.id, "name": r.name} for r in self.runs],
            "rows": [
                {
                    "section": r.section,
                    "key": r.key,
                    "values": r.values,
                    "differs": r.differs,
                    "best_index": r.best_index,
                    "direction": r.direction,
                }
                for r in self.rows
            ],
        }


def _same(values: Sequence[Any]) -> bool:
    first = values[0]
    nan = isinstance(first, float) and first != first
    return all(v == first or (nan and isinstance(v, float) and v != v) for v in values[1:])


def _best_index(values: Sequence[Any], direction: Direction) -> int | None:
    valid = [(v, i) for i, v in enumerate(values) if isinstance(v, (int, float)) and v == v]
    if len(valid) < 2:
        return None
    best = max(v for v, _ in valid) if direction == "max" else min(v for v, _ in valid)
    winners = [i for v, i in valid if v == best]
    return winners[0] if len(winners) == 1 else None


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as one level with dotted keys (``{"git": {"commit": c}}`` -> ``{"git.commit": c}``)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _union(dicts: Iterable[Mapping[str, Any]]) -> list[str]:
    keys: set[str] = set()
    for d in dicts:
        keys.update(d)
    return sorted(keys)


def compare_runs(
    runs: Sequence[RunSummary], settings: Settings | None = None, *, differences_only: bool = False
) -> Comparison:
    """Compare any number of runs: params, metrics (last, min, max), tags and environment side by side.

    With ``differences_only`` only the rows whose values are not all equal remain. Environment rows
    need summaries from :meth:`Store.get_run` (those of :meth:`Store.list_runs` carry no ``env``).
    """
    runs = list(runs)
    if not runs:
        raise ValidationError("compare_runs needs at least one run")
    rows: list[ComparisonRow] = []

    def add(section: str, key: str, values: list[Any], direction: Direction | None = None) -> None:
        differs = not _same(values)
        if differences_only and not differs:
            return
        best = _best_index(values, direction) if direction else None
        rows.append(ComparisonRow(section, key, values, differs, best, direction))

    for name in ATTRIBUTES:
        values = [value_of(run, f"attributes.{name}") for run in runs]
        if any(v is not None for v in values):
            add("attributes", name, values)
    for key in _union(run.params for run in runs):
        add("params", key, [run.params.get(key) for run in runs])
    overrides = load_settings() if settings is None else settings
    for key in _union(run.metrics for run in runs):
        direction = metric_direction(key, overrides)
        add("metrics", key, [run.metric(key) for run in runs], direction)
        if any(run.metrics[key].count > 1 for run in runs if key in run.metrics):
            add("metrics", f"{key}.min", [run.metric(key, "min") for run in runs], direction)
            add("metrics", f"{key}.max", [run.metric(key, "max") for run in runs], direction)
    for key in _union(run.tags for run in runs):
        add("tags", key, [run.tags.get(key) for run in runs])
    envs = [flatten(run.env) for run in runs]
    for key in _union(envs):
        add("env", key, [env.get(key) for env in envs])
    return Comparison(runs, rows)


def best_run(
    store: Store | None,
    experiment: str | None,
    metric: str,
    *,
    aggregate: str = "last",
    settings: Settings | None = None,
    filter: str | None = None,
    direction: Direction | None = None,
    runs: Sequence[RunSummary] | None = None,
) -> RunSummary | None:
    """The run of ``experiment`` with the best ``metric`` (its ``aggregate``: one of :data:`AGGREGATES`, the set
    the column picker offers: last, min, max, mean, first or count), honouring
    the metric's direction (or ``direction``); None if no matching run logged the metric (NaN ignored).

    ``filter`` restricts the candidates (``"attributes.status = 'finished'"``); ties go to the newest run.
    """
    if aggregate not in AGGREGATES:
        raise ValidationError(f"aggregate must be one of {', '.join(AGGREGATES)}, got {aggregate!r}")
    if direction is not None and direction not in ("min", "max"):
        raise ValidationError(f"direction must be 'min' or 'max', got {direction!r}")
    chosen = direction or metric_direction(metric, settings)
    key = best_key(metric, aggregate)
    candidates = search_runs(store, experiment, filter=filter, runs=runs)
    ordered = sort_runs(candidates, [OrderKey(key, descending=chosen == "max")])
    if not ordered:
        return None
    value = value_of(ordered[0], key)
    return ordered[0] if value is not None and value == value else None


def best_key(metric: str, aggregate: str = "last") -> str:
    """The column key of a metric's aggregate (``metrics.loss`` or ``metrics.loss.min``)."""
    key = f"metrics.{quote_part(metric)}"
    return key if aggregate == "last" else f"{key}.{aggregate}"
