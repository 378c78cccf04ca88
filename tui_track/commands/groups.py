"""``tui-track runs EXP --group-by KEYS``: one row per group of runs with each metric's mean ± std.

A thin layer over :func:`tracker_core.compare.group_runs`. The table shows each group key's value,
the run count and ``mean ± std`` per metric column (``(n=2)`` when only two of the group's runs have
the metric; ``--min-max`` adds min and max columns); ``--csv`` always has mean, std, min, max and n
per metric; ``--json`` gives every group with its run ids and each metric's count, missing, nan,
mean, std, min and max.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from tracker_core.compare import COUNT, common_metrics, group_key, group_runs, metric_column, metric_counts
from tracker_core.errors import ValidationError
from tracker_core.grouping import Grouping, short_name
from tracker_core.query import parse_key

from ..formatting import mean_std
from ..output import emit

if TYPE_CHECKING:
    from tracker_core import RunSummary

DEFAULT_METRIC_COLUMNS = 6


def metric_columns(spec: str | None, runs: Sequence[RunSummary], extra: Sequence[str]) -> list[str]:
    """The metric columns: those of ``--columns`` (``+key`` adds to the defaults), else the metrics most
    runs have (up to DEFAULT_METRIC_COLUMNS) after the metrics sorted or filtered on (``extra``)."""
    items = [c.strip() for c in (spec or "").split(",") if c.strip()]
    if items and not all(c.startswith("+") for c in items):
        keys = items
    else:
        common = [f"metrics.{name}" for name in common_metrics(metric_counts(runs), len(runs))]
        keys = [*extra, *common[: max(0, DEFAULT_METRIC_COLUMNS - len(extra))]]
        keys += [c[1:].strip() for c in items]
    try:
        return list(dict.fromkeys(metric_column(k) for k in keys))
    except ValidationError as exc:
        raise ValidationError(f"--columns with --group-by takes metric keys (e.g. metrics.loss.min): {exc}") from None


def sort_spec(items: Sequence[str]) -> list[tuple[str, bool]]:
    """``--sort`` items as (key, descending): ``key [ASC|DESC]`` or ``-key``, comma-separated."""
    out = []
    for item in items:
        for part in item.split(","):
            words = part.split()
            if not words:
                continue
            descending = words[0].startswith("-")
            if words[-1].upper() in ("ASC", "DESC") and len(words) > 1:
                descending = words[-1].upper() == "DESC"
                words = words[:-1]
            out.append((" ".join(words).lstrip("-").strip(), descending))
    return out


def emit_groups(
    runs: Sequence[RunSummary],
    group_by: str,
    *,
    columns: str | None,
    sort: Sequence[str],
    filter_metrics: Sequence[str],
    limit: int | None,
    offset: int,
    show_all: bool,
    min_max: bool,
    fmt: str,
    default_limit: int,
) -> None:
    """Group ``runs`` and print one row per group (sorted by ``sort``, else by the group values)."""
    order = sort_spec(sort)
    metric_keys = [k for k in filter_metrics if k.startswith("metrics.")]
    by = [group_key(k, runs) for k in group_by.split(",") if k.strip()]
    probe = Grouping(by, [])
    sort_metrics = [k for k, _ in order if k != COUNT and probe.key_position(k) is None]
    logged = metric_counts(runs)
    for key in sort_metrics:
        parsed = parse_key(metric_column(key))
        if runs and parsed.name not in logged and (parsed.fallback is None or parsed.fallback[0] not in logged):
            choices = ", ".join([COUNT, *(short_name(k) for k in by), *sorted(logged)])
            raise ValidationError(f"cannot sort groups by {key!r}: no run logged it; sort by one of {choices}")
    metrics = metric_columns(columns, runs, [*sort_metrics, *metric_keys])
    grouping = group_runs(runs, by=by or group_by, metrics=metrics)
    for key, descending in reversed(order):  # stable sorts, last key first
        grouping = grouping.sorted(key, descending)
    groups = grouping.groups
    limit = None if show_all else (default_limit if limit is None else limit)
    end = None if limit is None else offset + limit
    shown = groups[offset:end]
    if len(shown) < len(groups) - offset and not show_all:
        click.echo(f"showing {len(shown)} of {len(groups)} groups (--limit N or --all for more)", err=True)
    view = Grouping(grouping.by, grouping.metrics, shown)
    if fmt == "json":
        emit([], [], fmt, records=view.to_records())
        return
    headers, rows = _table(view, fmt, min_max)
    emit(headers, rows, fmt)


def _table(view: Grouping, fmt: str, min_max: bool) -> tuple[list[str], list[list[Any]]]:
    full = fmt == "csv"
    names = [short_name(k) for k in view.by]
    headers = [*(view.by if full else names), "runs"]
    for key in view.metrics:
        name = short_name(key)
        if full:
            headers += [f"{name} mean", f"{name} std", f"{name} min", f"{name} max", f"{name} n"]
        else:
            headers += [f"{name} (mean ± std)"] + ([f"{name} min", f"{name} max"] if min_max else [])
    rows = []
    for group in view.groups:
        row: list[Any] = [*group.values, group.count]
        for key in view.metrics:
            s = group.stats(key)
            if full:
                row += [s.mean, s.std, s.min, s.max, s.count]
            else:
                row.append(mean_std(s.mean, s.std, s.count, group.count))
                if min_max:
                    row += [s.min, s.max]
        rows.append(row)
    return headers, rows
