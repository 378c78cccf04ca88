"""Group runs by params or tags and aggregate their metrics: count, mean, std, min and max per group.

Use it as :func:`tracker_core.compare.group_runs`::

    >>> from tracker_core.compare import group_runs
    >>> grouping = group_runs(runs, by=["params.lr"], metrics=["loss", "metrics.acc.max"])
    >>> for group in grouping.groups:
    ...     print(group.values, group.count, group.stats("metrics.loss").mean)

Group keys (``by``) are column keys of the query language: ``params.<key>``, ``tags.<key>``,
``attributes.<name>`` (``status``, ``user``...) or ``env.<path>``. A plain name (``lr``) means the
param or tag of that name, and is refused as ambiguous when the runs have both (or when it is also
an attribute name such as ``status``); with no runs at all it reads as a param.

Which runs share a group: equal values (numbers compare as numbers, so ``1`` and ``1.0`` share one;
``True`` and ``1`` do not; lists and objects compare by content). A run lacking a key (or holding
JSON null there) goes in the group whose value is None; NaN params form one group too.

Metric columns (``metrics``) are metric keys with an optional aggregate, as the query language reads
them (``loss`` = ``metrics.loss``, its last value; ``metrics.loss.min``, ``loss.mean``...). Per group and
column, over the runs having a value: ``mean``, ``std`` (the sample standard deviation, as
``statistics.stdev``), ``min`` and ``max``. A run without the metric is left out and counted in
``missing``; a NaN value is left out and counted in ``nan``; ``count`` is how many values remain.
No value left: all four are None. One value: ``std`` is None (a spread needs two). An infinite value
makes the mean infinite (NaN when both infinities occur) and the std NaN.

Groups come sorted by their values (None and NaN last); :meth:`Grouping.sorted` orders them by the
run count, a group key or a statistic of a metric column.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import compress, repeat
from operator import attrgetter, is_, is_not
from typing import Any, Literal

from .errors import ValidationError
from .query.keys import SECTIONS, parse_key, quote_part
from .query.order import sorted_positions
from .records import AGGREGATE_FIELDS, RunSummary

Stat = Literal["mean", "std", "min", "max", "count"]
STATS: tuple[Stat, ...] = ("mean", "std", "min", "max", "count")
COUNT = "count"
"""The sort key of a group's number of runs in :meth:`Grouping.sorted`."""
GROUP_SECTIONS = ("params", "tags", "attributes", "env")


@dataclass(frozen=True, slots=True)
class MetricStats:
    """One metric column over the runs of a group (see the module docstring for NaN and missing)."""

    key: str
    """The column key, in full (``metrics.loss``, ``metrics.`loss`.min``)."""
    count: int
    """Runs with a value (NaN excluded): the values that mean, std, min and max are computed over."""
    missing: int
    """Runs of the group without the metric."""
    nan: int
    """Runs whose value is NaN."""
    mean: float | None
    std: float | None
    min: float | None
    max: float | None

    def get(self, stat: Stat) -> float | None:
        """``mean``, ``std``, ``min``, ``max`` or ``count`` by name."""
        value: float | None = float(self.count) if stat == "count" else getattr(self, stat)
        return value


class StatsTable:
    """Every group's statistics of each metric column, as one list per statistic (built with numpy).

    :class:`MetricStats` objects are made only when asked for, so 100,000 groups cost no more
    than 100,000 numbers per statistic."""

    __slots__ = ("columns",)

    def __init__(self) -> None:
        self.columns: dict[str, dict[str, list[Any]]] = {}
        """column key -> {count, missing, nan, mean, std, min, max: one value per group number}."""

    def stats(self, key: str, group: int) -> MetricStats:
        c = self.columns[key]
        n = c["count"][group]
        if n == 0:
            return MetricStats(key, 0, c["missing"][group], c["nan"][group], None, None, None, None)
        std = c["std"][group] if n > 1 else None
        return MetricStats(
            key, n, c["missing"][group], c["nan"][group], c["mean"][group], std, c["min"][group], c["max"][group]
        )

    def value(self, key: str, stat: Stat, group: int) -> Any:
        """One statistic of one group (None where it has no value), without building a MetricStats."""
        c = self.columns[key]
        n = c["count"][group]
        if stat == "count":
            return n
        if n == 0 or (stat == "std" and n == 1):
            return None
        return c[stat][group]


@dataclass(frozen=True, slots=True)
class RunGroup:
    """The runs sharing one value of each group key, and their metric statistics."""

    values: tuple[Any, ...]
    """One value per key of :attr:`Grouping.by` (None where the runs lack it)."""
    runs: list[RunSummary]
    table: StatsTable = field(repr=False, compare=False)
    number: int = 0
    """This group's place in ``table`` (the order groups were first seen in)."""

    @property
    def count(self) -> int:
        """How many runs the group has."""
        return len(self.runs)

    @property
    def metrics(self) -> dict[str, MetricStats]:
        """Each metric column's statistics, by full key."""
        return {key: self.table.stats(key, self.number) for key in self.table.columns}

    def stats(self, key: str) -> MetricStats:
        """The statistics of a metric column (its key as given or in full); KeyError if not computed."""
        columns = self.table.columns
        return self.table.stats(key if key in columns else metric_column(key), self.number)

    def value(self, key: str, stat: Stat = "mean") -> Any:
        """One statistic of a metric column (None where the group has none): cheap, for tables."""
        columns = self.table.columns
        return self.table.value(key if key in columns else metric_column(key), stat, self.number)


@dataclass(frozen=True)
class Grouping:
    """The result of :func:`group_runs`: keys in full, and the groups in order."""

    by: list[str]
    metrics: list[str]
    groups: list[RunGroup] = field(default_factory=list)

    def sorted(self, key: str | None = None, descending: bool = False, stat: Stat = "mean") -> Grouping:
        """The groups ordered by ``key``: :data:`COUNT` (runs per group), a group key (in full or by its plain
        name), or a metric column (its ``stat``: mean, std, min, max or count); None orders by the group
        values. Stable; None and NaN last in every direction."""
        if stat not in STATS:
            raise ValidationError(f"unknown statistic {stat!r}: use one of {', '.join(STATS)}")
        groups = self.groups
        if key is None:
            index = sorted_positions(len(groups), [(_column(groups, i), descending) for i in range(len(self.by))])
            return replace(self, groups=[groups[i] for i in index])
        if key == COUNT:
            values = _counts(groups)
        elif (position := self.key_position(key)) is not None:
            values = _column(groups, position)
        else:
            metric = self._metric_key(key)
            values = lambda: [g.table.value(metric, stat, g.number) for g in groups]  # noqa: E731
        index = sorted_positions(len(groups), [(values, descending)])
        return replace(self, groups=[groups[i] for i in index])

    def key_position(self, key: str) -> int | None:
        """Which of :attr:`by` ``key`` names (in full, or by its plain name: ``lr`` for ``params.lr``), None
        when it names none."""
        if key in self.by:
            return self.by.index(key)
        try:
            full = parse_key(key).canonical
        except ValidationError:
            full = None
        if full in self.by:
            return self.by.index(full)
        plain = [i for i, k in enumerate(self.by) if parse_key(k).name == key.strip()]
        return plain[0] if len(plain) == 1 else None

    def _metric_key(self, key: str) -> str:
        if key in self.metrics:
            return key
        full = metric_column(key)
        if full not in self.metrics:
            known = ", ".join([COUNT, *self.by, *self.metrics])
            raise ValidationError(f"cannot sort groups by {key!r}: sort by one of {known}")
        return full

    def label(self, group: RunGroup) -> str:
        """``lr=0.01 depth=3``: each key's short name and the group's value (``-`` when missing)."""
        return " ".join(f"{short_name(k)}={_text(v)}" for k, v in zip(self.by, group.values, strict=True))

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-ready groups: values by key, run count and ids, and each metric's statistics."""
        return [
            {
                "by": dict(zip(self.by, g.values, strict=True)),
                "count": g.count,
                "run_ids": [r.id for r in g.runs],
                "metrics": {
                    k: {
                        "count": s.count,
                        "missing": s.missing,
                        "nan": s.nan,
                        "mean": s.mean,
                        "std": s.std,
                        "min": s.min,
                        "max": s.max,
                    }
                    for k, s in g.metrics.items()
                },
            }
            for g in self.groups
        ]


def _column(groups: list[RunGroup], position: int) -> Any:
    return lambda: [g.values[position] for g in groups]


def _counts(groups: list[RunGroup]) -> Any:
    return lambda: [len(g.runs) for g in groups]


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def short_name(key: str) -> str:
    """A group or metric key as a table header names it (``params.lr`` -> ``lr``, ``metrics.`loss`.min`` ->
    ``loss.min``)."""
    parsed = parse_key(key)
    if parsed.section == "metrics" and parsed.aggregate not in (None, "last"):
        return f"{parsed.name}.{parsed.aggregate}"
    return parsed.name


# ------------------------------------------------------------------ resolving keys
def group_key(name: str, runs: Sequence[RunSummary] = ()) -> str:
    """The full key of a group key as given: a column key, or a plain param or tag name (see the module
    docstring). Raises :class:`ValidationError` naming what the runs have when it names nothing."""
    text = name.strip()
    head, dot, _ = text.partition(".")
    if dot and head.lower() in SECTIONS:
        parsed = parse_key(text)
        if parsed.section not in GROUP_SECTIONS:
            raise ValidationError(
                f"cannot group by {name!r}: group by params, tags or attributes (metrics are what groups aggregate)"
            )
        return parsed.canonical
    if not text:
        raise ValidationError("empty group key: give a param or tag, e.g. params.lr")
    found = []
    if not runs or any(text in r.params for r in runs):
        found.append(f"params.{quote_part(text)}")
    if any(text in r.tags for r in runs):
        found.append(f"tags.{quote_part(text)}")
    try:
        attribute = parse_key(text)
    except ValidationError:
        attribute = None
    if attribute is not None and attribute.section == "attributes":
        found.append(attribute.canonical)
    if len(found) == 1:
        return found[0]
    if found:
        raise ValidationError(f"{name!r} is ambiguous: write one of {', '.join(found)}")
    params = sorted({k for r in runs for k in r.params})
    tags = sorted({k for r in runs for k in r.tags})
    raise ValidationError(
        f"no param or tag {name!r} in these runs; params: {', '.join(params) or 'none'}; "
        f"tags: {', '.join(tags) or 'none'}"
    )


def metric_column(name: str) -> str:
    """The full key of a metric column: ``loss`` -> ``metrics.loss``, ``loss.min`` / ``metrics.loss.min``
    -> ``metrics.`loss`.min`` (the aggregate, unless a metric is itself named ``loss.min``)."""
    text = name.strip()
    head, dot, _ = text.partition(".")
    if not (dot and head.lower() in SECTIONS):
        text = f"metrics.{text}"
    parsed = parse_key(text)
    if parsed.section != "metrics":
        raise ValidationError(f"{name!r} is not a metric: aggregate metric keys such as metrics.loss")
    return parsed.canonical


def metric_counts(runs: Iterable[RunSummary]) -> dict[str, int]:
    """How many runs logged each metric."""
    counts: dict[str, int] = {}
    for run in runs:
        for key in run.metrics:
            counts[key] = counts.get(key, 0) + 1
    return counts


def common_metrics(counts: Mapping[str, int], runs: int, *, share: float = 0.5) -> list[str]:
    """The metric names at least ``share`` of ``runs`` logged (at least the most common ones), most common
    first, ties by name: the metric columns a table shows by default."""
    if not counts:
        return []
    threshold = min(max(counts.values()), math.ceil(share * runs))
    return sorted((k for k, c in counts.items() if c >= threshold), key=lambda k: (-counts[k], k))


# ------------------------------------------------------------------ grouping
_NAN = ("nan",)
_TRUE = ("bool", True)
_FALSE = ("bool", False)


def _identity(value: Any) -> Any:
    """A hashable stand-in for a group value: equal values map to equal stand-ins."""
    kind = type(value)
    if kind is str or kind is int or value is None:
        return value
    if kind is float:
        return value if value == value else _NAN
    if kind is bool:
        return _TRUE if value else _FALSE
    return ("json", json.dumps(value, sort_keys=True, default=repr))


def _plain(values: list[Any]) -> bool:
    """Whether every value can be its own stand-in (no bools, NaN, lists or objects)."""
    kinds = set(map(type, values))
    if not kinds <= {str, int, float, type(None)}:
        return False
    return float not in kinds or all(v == v for v in values if type(v) is float)


class RunColumns:
    """Each run's extracted values of group keys and metric columns, kept between groupings of the same runs.

    What :func:`group_runs` reads of every run does not change when only the keys or the sort change:
    pass one ``RunColumns`` of the runs as ``cache`` and a re-grouping reads each column once."""

    __slots__ = ("_dicts", "_keys", "_metrics", "runs")

    def __init__(self, runs: Iterable[RunSummary]) -> None:
        self.runs: list[RunSummary] = list(runs)
        self._dicts: list[dict[str, Any]] | None = None
        self._keys: dict[str, list[Any]] = {}
        self._metrics: dict[str, tuple[Any, Any]] = {}

    def matches(self, runs: Sequence[RunSummary]) -> bool:
        """Whether ``runs`` are these runs (the same objects, in the same order)."""
        return runs is self.runs or (len(runs) == len(self.runs) and all(map(is_, runs, self.runs)))

    def key_values(self, key: str) -> list[Any]:
        """Each run's value of a group key (None where it has none)."""
        values = self._keys.get(key)
        if values is None:
            values = self._keys[key] = _key_values(self.runs, key)
        return values

    def metric_values(self, column: str) -> tuple[Any, Any]:
        """Each run's value of a metric column as a float array (NaN where none), and where it has none."""
        found = self._metrics.get(column)
        if found is None:
            if self._dicts is None:
                self._dicts = list(map(attrgetter("metrics"), self.runs))
            found = self._metrics[column] = _metric_values(self.runs, self._dicts, column)
        return found


def group_runs(
    runs: Iterable[RunSummary],
    by: Sequence[str] | str,
    metrics: Sequence[str] | str | None = None,
    *,
    cache: RunColumns | None = None,
) -> Grouping:
    """Group ``runs`` by the values of the ``by`` keys and compute each ``metrics`` column's count, mean, std,
    min and max per group (see the module docstring for keys, NaN and missing values).

    ``by`` and ``metrics`` may be comma-separated text. ``metrics`` None means every metric the runs
    logged (last values), the most commonly logged first. ``cache``, a :class:`RunColumns` of the same
    runs, keeps what is read of each run for the next grouping (ignored when it holds other runs). Raises
    :class:`ValidationError` for an empty ``by``, a key naming nothing, or a metric column that is not a
    metric.
    """
    runs = list(runs)
    if cache is None or not cache.matches(runs):
        cache = RunColumns(runs)
    runs = cache.runs
    by_keys = _split(by)
    if not by_keys:
        raise ValidationError("group by at least one key, e.g. params.lr")
    keys = list(dict.fromkeys(group_key(k, runs) for k in by_keys))
    if metrics is None:
        counts = metric_counts(runs)
        columns = [f"metrics.{quote_part(k)}" for k in sorted(counts, key=lambda k: (-counts[k], k))]
    else:
        columns = list(dict.fromkeys(metric_column(m) for m in _split(metrics)))
    values, label, order, bounds = _buckets([cache.key_values(key) for key in keys])
    table = StatsTable()
    for column in columns:
        table.columns[column] = _column_stats(*cache.metric_values(column), label, len(values))
    ordered = list(map(runs.__getitem__, order))
    groups = [
        RunGroup(group_values, ordered[bounds[g] : bounds[g + 1]], table, g) for g, group_values in enumerate(values)
    ]
    return Grouping(keys, columns, groups).sorted()


def _split(items: Sequence[str] | str) -> list[str]:
    parts = [items] if isinstance(items, str) else list(items)
    return [p.strip() for part in parts for p in part.split(",") if p.strip()]


def _buckets(columns: list[list[Any]]) -> tuple[list[tuple[Any, ...]], Any, list[int], list[int]]:
    """The groups in first-seen order of each run's values of the keys (``columns``, one list per key): their
    values, each run's group number (a numpy array), the run positions ordered by group (stable), and where
    each group's runs start in that order (and end)."""
    import numpy as np

    identities = [col if _plain(col) else list(map(_identity, col)) for col in columns]
    ids: list[Any] = identities[0] if len(identities) == 1 else list(zip(*identities, strict=True))
    number: dict[Any, Any] = dict.fromkeys(ids)  # C loops only: first-seen order kept by the dict
    for g, key in enumerate(number):
        number[key] = g
    label = np.array(list(map(number.__getitem__, ids)), dtype=np.intp)
    _, first = np.unique(label, return_index=True)
    order = np.argsort(label, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(np.bincount(label, minlength=len(number))))).tolist()
    values = [tuple(col[i] for col in columns) for i in first.tolist()]
    return values, label, order.tolist(), bounds


def _key_values(runs: list[RunSummary], key: str) -> list[Any]:
    parsed = parse_key(key)
    if parsed.section in ("params", "tags"):  # C loops for the common case
        return list(map(dict.get, map(attrgetter(parsed.section), runs), repeat(parsed.name)))
    return list(map(parsed.getter(), runs))


def _metric_values(runs: list[RunSummary], dicts: list[dict[str, Any]], column: str) -> tuple[Any, Any]:
    """Each run's value of a metric column as a float array (NaN where none) and where it has none."""
    import numpy as np

    key = parse_key(column)
    if key.fallback is not None and any(key.name in d for d in dicts):  # a metric named like "loss.min"
        values = list(map(key.getter(), runs))
        return np.array(values, dtype=float), _nones(values)
    name = key.fallback[0] if key.fallback else key.name
    pick = attrgetter(AGGREGATE_FIELDS[key.fallback[1] if key.fallback else key.aggregate or "last"])
    summaries = list(map(dict.get, dicts, repeat(name)))
    here = np.fromiter(map(is_not, summaries, repeat(None)), dtype=bool, count=len(summaries))
    picked = list(map(pick, compress(summaries, here.tolist())))  # mean and first may be None
    x = np.full(len(summaries), np.nan)
    x[here] = np.array(picked, dtype=float)
    absent = ~here
    absent[here] = _nones(picked)
    return x, absent


def _nones(values: list[Any]) -> Any:
    """A boolean array: where ``values`` holds None."""
    import numpy as np

    return np.fromiter(map(is_, values, repeat(None)), dtype=bool, count=len(values))


def _column_stats(x: Any, absent: Any, label: Any, groups: int) -> dict[str, list[Any]]:
    """Count, missing, NaN, mean, std, min and max of one column per group, vectorised: ``x`` holds each
    run's value (NaN where absent), ``label`` each run's group number."""
    import numpy as np

    valid = ~np.isnan(x)
    bins = partial(np.bincount, label, minlength=groups)
    count = bins(valid).astype(np.intp)
    finite = valid & np.isfinite(x)
    low = np.full(groups, np.inf)
    high = np.full(groups, -np.inf)
    np.minimum.at(low, label[valid], x[valid])
    np.maximum.at(high, label[valid], x[valid])
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        # Values scaled by their group's largest magnitude: sums of huge values cannot overflow.
        scale = np.fmax(np.abs(low), np.abs(high))
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        xs = np.where(valid, x / scale[label], 0.0)
        mean = bins(xs) / count
        deviation = np.where(valid, xs - mean[label], 0.0)
        std = np.sqrt(bins(deviation * deviation) / (count - 1)) * scale
        mean *= scale
    same = (low == high) & np.isfinite(low)  # exact, where sums would leave rounding crumbs
    std = np.where(same, 0.0, np.where(bins(valid & ~finite) > 0, np.nan, std))
    return {
        "count": count.tolist(),
        "missing": bins(absent).astype(np.intp).tolist(),
        "nan": bins(~valid & ~absent).astype(np.intp).tolist(),
        "mean": np.where(same, low, mean).tolist(),
        "std": std.tolist(),
        "min": low.tolist(),
        "max": high.tolist(),
    }
