"""``tui-track experiments|runs|show|compare|best|export``: search and compare runs from the shell.

A thin layer over :mod:`tracker_core.query` and :mod:`tracker_core.compare`: each command is one
library call plus printing through :func:`tui_track.output.emit` (rich table in a terminal, plain
text when piped, ``--json``/``--csv`` for scripts). Run ids accept unique prefixes.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from tracker_core.compare import common_metrics, metric_counts
from tracker_core.errors import NotFoundError, ValidationError, fs_error
from tracker_core.query import QueryError, columns_of, filter_keys, parse_key, quote_part, search_runs, value_of
from tracker_core.query.keys import AGGREGATES
from tracker_core.records import CRASHED, FAILED, FINISHED, KILLED, RUNNING, UNREADABLE

from ..describe import dataset_rows
from ..formatting import cell, duration, instant, iso_time, plural, short_id
from ..output import emit, format_option, json_text, resolve_format
from . import open_store

if TYPE_CHECKING:
    from tracker_core import RunSummary, Store

BEST_STATUSES = (FINISHED, RUNNING, FAILED, KILLED, CRASHED)
DEFAULT_LIMIT = 50
DEFAULT_METRIC_COLUMNS = 6
BASE_COLUMNS = ("attributes.id", "attributes.name", "attributes.status", "attributes.start_time", "attributes.duration")
HEADERS = {"start_time": "started", "end_time": "ended", "experiment_id": "experiment id", "parent_id": "parent"}


def _checked(what: str, fn: Any, *args: Any) -> Any:
    """Call ``fn``; a QueryError message gains the option it came from (``--filter: ...``)."""
    try:
        return fn(*args)
    except QueryError as exc:
        raise QueryError(f"{what}: {exc}", exc.text, exc.position) from None


def _shown(key: str, value: Any, fmt: str) -> Any:
    """A value as a table shows it: local times, human durations, short ids (JSON keeps raw values)."""
    parsed = parse_key(key)
    if parsed.section != "attributes" or fmt == "json" or value is None:
        return value
    if parsed.name in ("start_time", "end_time"):
        return instant(value)
    if parsed.name == "duration" and fmt != "csv":
        return duration(value)
    if parsed.name in ("id", "parent_id", "experiment_id") and fmt != "csv":
        return short_id(value)
    return value


def _header(key: str) -> str:
    parsed = parse_key(key)
    if parsed.section == "attributes":
        return HEADERS.get(parsed.name, parsed.name)
    return key


def _columns(spec: str | None, runs: Sequence[RunSummary], extra: Sequence[str]) -> list[str]:
    """The columns asked for with --columns (``+key`` adds to the defaults), else the defaults: the base
    attributes, the keys sorted or filtered on (``extra``), then the metrics most runs have (most common
    first) up to DEFAULT_METRIC_COLUMNS."""
    items = [c.strip() for c in (spec or "").split(",") if c.strip()]
    if items and not all(c.startswith("+") for c in items):
        keys = items
    else:
        keys = [*BASE_COLUMNS, *extra]
        room = max(0, DEFAULT_METRIC_COLUMNS - len(extra))
        common = [f"metrics.{quote_part(k)}" for k in common_metrics(metric_counts(runs), len(runs))]
        keys += [k for k in common if k not in keys][:room]
        keys += [c[1:].strip() for c in items]
    canonical = [_checked(f"--columns {key!r}", parse_key, key).canonical for key in keys]
    return list(dict.fromkeys(canonical))


@click.command("experiments")
@click.option("--all", "include_deleted", is_flag=True, help="Include deleted experiments.")
@format_option
@click.pass_context
def experiments_cmd(ctx: click.Context, include_deleted: bool, fmt: str | None) -> None:
    """Experiments with their run counts and last activity."""
    found = open_store(ctx).list_experiments(include_deleted=include_deleted)
    fmt = resolve_format(fmt)
    columns = ["name", "id", "runs", "last activity", "created"]
    rows = [
        [
            e.name + (" (deleted)" if e.deleted else ""),
            e.id if fmt in ("json", "csv") else short_id(e.id),
            e.run_count,
            instant(e.last_activity),
            instant(e.created),
        ]
        for e in found
    ]
    records = [
        {
            "id": e.id,
            "name": e.name,
            "runs": e.run_count,
            "last_activity": e.last_activity,
            "created": e.created,
            "deleted": e.deleted,
            "tags": e.tags,
        }
        for e in found
    ]
    emit(columns, rows, fmt, records=records)


@click.command("runs")
@click.argument("experiment", required=False)
@click.option(
    "--filter", "-f", "filter_text", metavar="FILTER", help="e.g. \"metrics.acc > 0.9 AND params.model = 'rf'\""
)
@click.option(
    "--sort", "-o", "sort", metavar="KEYS", multiple=True, help='e.g. "metrics.auc DESC, params.lr" (repeatable).'
)
@click.option(
    "--columns", "-c", metavar="KEYS", help="Comma-separated keys to show; '+key' adds to the default columns."
)
@click.option(
    "--limit", "-n", type=click.IntRange(min=0), default=None, help=f"At most N runs (default {DEFAULT_LIMIT})."
)
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip the first N matching runs.")
@click.option("--all", "show_all", is_flag=True, help="Every matching run (no limit).")
@click.option(
    "--group-by",
    "-g",
    "group_by",
    metavar="KEYS",
    help="One row per group of runs with equal values of these params/tags (e.g. params.lr,params.depth): "
    "the run count and each metric's mean ± std.",
)
@click.option("--min-max", "min_max", is_flag=True, help="With --group-by: min and max columns per metric too.")
@format_option
@click.pass_context
def runs_cmd(
    ctx: click.Context,
    experiment: str | None,
    filter_text: str | None,
    sort: tuple[str, ...],
    columns: str | None,
    limit: int | None,
    offset: int,
    show_all: bool,
    group_by: str | None,
    min_max: bool,
    fmt: str | None,
) -> None:
    """Runs of EXPERIMENT (every experiment if omitted), filtered and sorted, newest first by default.

    \b
    Filter keys: metrics.<key>[.min|.max|.mean|.first|.last|.count], params.<key>, tags.<key>,
    attributes.<status|name|start_time|duration|...>; operators = != < <= > >=,
    LIKE/ILIKE '%x_', RLIKE 'regex', IN ('a','b'), IS [NOT] NULL; AND, OR, NOT, ( ).
    \b
    Examples:
      tui-track runs churn -f "metrics.auc_roc > 0.9 AND params.n_estimators >= 100" -o "metrics.auc_roc DESC"
      tui-track runs -f "attributes.status = 'crashed' OR attributes.start_time > '3d ago'"
      tui-track runs sweep --group-by params.lr,params.depth -c metrics.loss.min,metrics.acc -o "metrics.acc DESC"
    \b
    With --group-by, --columns names the metric columns, --sort orders the groups (by count, a group
    key or a metric's mean) and --limit counts groups.
    """
    from tracker_core.query import compile_filter, parse_order_by

    fmt = resolve_format(fmt)
    predicate = _checked("--filter", compile_filter, filter_text)
    order = [] if group_by is not None else _checked("--sort", parse_order_by, list(sort))
    store = open_store(ctx)
    if group_by is not None:
        from .groups import emit_groups

        runs = search_runs(store, experiment, filter=predicate)
        filtered = _checked("--filter", filter_keys, filter_text)
        emit_groups(
            runs,
            group_by,
            columns=columns,
            sort=sort,
            filter_metrics=filtered,
            limit=limit,
            offset=offset,
            show_all=show_all,
            min_max=min_max,
            fmt=fmt,
            default_limit=DEFAULT_LIMIT,
        )
        return
    if min_max:
        raise ValidationError("--min-max goes with --group-by (it adds min and max columns per metric)")
    matched = search_runs(store, experiment, filter=predicate, order_by=order)
    default_limit = limit is None and not show_all
    limit = None if show_all else (DEFAULT_LIMIT if limit is None else limit)
    end = None if limit is None else offset + limit
    shown = matched[offset:end]
    if len(shown) < len(matched) - offset and default_limit:
        click.echo(f"showing {len(shown)} of {len(matched)} runs (--limit N or --all for more)", err=True)
    for run in store.list_runs(experiment) if filter_text else matched:
        if run.status == UNREADABLE:  # listed (as `unreadable`) when no filter hides it; said on stderr always
            click.echo(f"tui-track: warning: run {run.id} cannot be read: {run.error}", err=True)
    extra = [k.key for k in order] + _checked("--filter", filter_keys, filter_text)
    keys = _columns(columns, shown, [parse_key(k).canonical for k in extra])
    if fmt == "json" and not columns:
        emit([], [], fmt, records=[r.to_dict() for r in shown])
        return
    getters = [parse_key(k).getter() for k in keys]
    rows = [[_shown(k, get(run), fmt) for k, get in zip(keys, getters, strict=True)] for run in shown]
    headers = [_header(k) for k in keys]
    if experiment is None and len({r.experiment_id for r in shown}) > 1 and not columns:
        names = {e.id: e.name for e in store.list_experiments(include_deleted=True, with_counts=False)}
        headers.insert(2, "experiment")
        for row, run in zip(rows, shown, strict=True):
            row.insert(2, names.get(run.experiment_id, run.experiment_id))
    emit(headers, rows, fmt)


@click.command("show")
@click.argument("run_id", metavar="RUN")
@format_option
@click.pass_context
def show_cmd(ctx: click.Context, run_id: str, fmt: str | None) -> None:
    """Everything about one run (id or unique prefix): attributes, params, metrics, tags, env, artifacts."""
    from tracker_core.compare import flatten

    store = open_store(ctx)
    run = store.get_run(run_id)
    artifacts = store.list_artifacts(run.id)
    fmt = resolve_format(fmt)
    if fmt == "json":
        record = run.to_dict()
        record["artifacts"] = [{"path": a.path, "size": a.size, "is_dir": a.is_dir} for a in artifacts]
        emit([], [], fmt, records=record)
        return
    experiment = _experiment_name(store, run.experiment_id)
    attributes: list[list[Any]] = [
        ["id", run.id],
        ["name", run.name],
        ["experiment", experiment],
        ["status", run.status],
        ["started", instant(run.start_time)],
        ["ended", instant(run.end_time)],
        ["duration", duration(run.duration)],
        ["user", run.user],
        ["host", run.host],
        ["pid", run.pid],
        ["parent", run.parent_id],
        ["error", run.error],
    ]
    attributes = [row for row in attributes if row[1] is not None]
    metrics = [[k, m.last, m.min, m.max, m.step, m.count] for k, m in sorted(run.metrics.items())]
    sections: list[tuple[str, list[str], list[list[Any]]]] = [
        ("run", ["key", "value"], attributes),
        ("params", ["key", "value"], [[k, v] for k, v in sorted(run.params.items())]),
        ("metrics", ["key", "last", "min", "max", "step", "count"], metrics),
        ("tags", ["key", "value"], [[k, v] for k, v in sorted(run.tags.items())]),
        ("datasets", ["name", "digest", "context", "source", "schema"], [list(r) for r in dataset_rows(run)]),
        ("env", ["key", "value"], [[k, v] for k, v in sorted(flatten(run.env).items())]),
        ("artifacts", ["path", "size"], [[a.path + ("/" if a.is_dir else ""), a.size] for a in artifacts]),
    ]
    if fmt == "csv":  # one long table: section, key, value
        flat = [[name, *row] for name, columns, rows in sections if columns == ["key", "value"] for row in rows]
        aggregates = ("last", "min", "max", "step", "count")
        flat += [["metrics", f"{k}.{a}", v] for k, *values in metrics for a, v in zip(aggregates, values, strict=True)]
        emit(["section", "key", "value"], flat, fmt)
        return
    first = True
    for name, columns, rows in sections:
        if not rows:
            continue
        if not first:
            click.echo()
        first = False
        emit(columns, rows, fmt, title=name)


def _experiment_name(store: Store, experiment_id: str) -> str:
    try:
        return store.get_experiment(experiment_id).name
    except NotFoundError:
        return experiment_id


@click.command("compare")
@click.argument("run_ids", metavar="RUN RUN...", nargs=-1, required=True)
@click.option("--diff", "-d", "differences_only", is_flag=True, help="Only the rows whose values differ.")
@click.option(
    "--section",
    "sections",
    multiple=True,
    type=click.Choice(["attributes", "params", "metrics", "tags", "env"]),
    help="Only these sections (repeatable).",
)
@format_option
@click.pass_context
def compare_cmd(
    ctx: click.Context, run_ids: tuple[str, ...], differences_only: bool, sections: tuple[str, ...], fmt: str | None
) -> None:
    """Runs side by side: params, metrics (last, min, max; * marks the best), tags and environment."""
    from dataclasses import replace

    from tracker_core.compare import compare_runs

    if len(run_ids) < 2:
        raise click.UsageError("give at least two runs to compare (ids or unique prefixes)")
    store = open_store(ctx)
    runs = [store.get_run(r) for r in run_ids]
    seen: dict[str, str] = {}
    for given, run in zip(run_ids, runs, strict=True):
        if run.id in seen:
            raise ValidationError(
                f"{seen[run.id]!r} and {given!r} are the same run {short_id(run.id)} ({run.name}); give each run once"
            )
        seen[run.id] = given
    comparison = compare_runs(runs, differences_only=differences_only)
    if sections:
        comparison = replace(comparison, rows=[r for r in comparison.rows if r.section in sections])
    fmt = resolve_format(fmt)
    if fmt == "json":
        emit([], [], fmt, records=comparison.to_dict())
        return
    rows = []
    for row in comparison.rows:
        cells = [_shown(f"attributes.{row.key}", v, fmt) if row.section == "attributes" else v for v in row.values]
        if row.best_index is not None and fmt != "csv":
            cells[row.best_index] = f"{cell(cells[row.best_index])} *"
        rows.append([row.section, row.key, *cells])
    if not rows:
        click.echo("the runs do not differ" if differences_only else "nothing to compare", err=True)
        return
    emit(["section", "key", *comparison.headers()], rows, fmt)


@click.command("best")
@click.argument("experiment")
@click.option("--metric", "-m", required=True, metavar="KEY", help="The metric to rank by (e.g. auc_roc, loss).")
@click.option("--min", "lower", is_flag=True, help="Lower is better (default: from the name or config).")
@click.option("--max", "higher", is_flag=True, help="Higher is better.")
@click.option(
    "--aggregate",
    "-a",
    type=click.Choice(AGGREGATES),
    default="last",
    show_default=True,
    help="Which value of the metric ranks the runs (the column picker's set).",
)
@click.option("--filter", "-f", "filter_text", metavar="FILTER", help="Only runs matching this filter.")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(BEST_STATUSES),
    help="Only runs with this status (repeatable; default finished: a crashed or failed run is never "
    "the best unless asked).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the run id (for scripts).")
@format_option
@click.pass_context
def best_cmd(
    ctx: click.Context,
    experiment: str,
    metric: str,
    lower: bool,
    higher: bool,
    aggregate: str,
    filter_text: str | None,
    statuses: tuple[str, ...],
    quiet: bool,
    fmt: str | None,
) -> None:
    """The best finished run of EXPERIMENT by a metric (higher is better unless the name says loss,
    error, mse...). ``--status`` widens the candidates (e.g. ``--status finished --status crashed``)."""
    from tracker_core.compare import best_key, best_run, metric_direction
    from tracker_core.query import compile_filter

    if lower and higher:
        raise click.UsageError("--min and --max exclude each other; give one (or neither: from the metric's name)")
    predicate = _checked("--filter", compile_filter, filter_text)
    allowed = statuses or (FINISHED,)
    found = search_runs(open_store(ctx), experiment, filter=predicate)
    candidates = [r for r in found if r.status in allowed]
    chosen = ("min" if lower else "max") if lower or higher else metric_direction(metric)
    run = best_run(None, None, metric, aggregate=aggregate, direction=chosen, runs=candidates)
    if run is None:
        logged = sorted({k for r in candidates for k in r.metrics})
        which = "no run" if not filter_text else "no run matching the filter"
        which += f" with status {' or '.join(allowed)}"
        raise NotFoundError(
            f"{which} in {experiment!r} has a value for metric {metric!r}; metrics logged: "
            + (", ".join(logged) or "none")
        )
    key = best_key(metric, aggregate)
    value = value_of(run, key)
    if quiet:
        click.echo(run.id)
        return
    fmt = resolve_format(fmt)
    if fmt == "json":
        record = {"metric": metric, "aggregate": aggregate, "direction": chosen, "value": value, "run": run.to_dict()}
        emit([], [], fmt, records=record)
        return
    columns = ["id", "name", "status", key.removeprefix("metrics."), "direction", "started", *run.params]
    row = [
        run.id if fmt == "csv" else short_id(run.id),
        run.name,
        run.status,
        value,
        f"{chosen} of {plural(len(candidates), 'run')}" if fmt != "csv" else chosen,
        instant(run.start_time),
        *run.params.values(),
    ]
    emit(columns, [row], fmt)


class DefaultGroup(click.Group):
    """A group that runs ``default_command`` when the first argument is not one of its commands,
    so ``tui-track export EXP --format csv`` and ``tui-track export mlflow ...`` both work."""

    def __init__(self, *args: Any, default_command: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_command = default_command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


export_group = DefaultGroup(
    "export",
    default_command="runs",
    help="Write runs elsewhere: `tui-track export EXPERIMENT --format csv|json [-o FILE]` (the `runs` "
    "command below, the default) or another subcommand.",
)


@export_group.command("runs")
@click.argument("experiment")
@click.option(
    "--format", "file_format", type=click.Choice(["csv", "json"]), help="Default: from -o's suffix, else csv."
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE (atomically) instead of stdout.")
@click.option("--filter", "-f", "filter_text", metavar="FILTER", help="Only runs matching this filter.")
@click.option("--sort", "sort", metavar="KEYS", multiple=True, help="Order of the rows (default newest first).")
@click.pass_context
def export_runs_cmd(
    ctx: click.Context,
    experiment: str,
    file_format: str | None,
    output: str | None,
    filter_text: str | None,
    sort: tuple[str, ...],
) -> None:
    """Every run of EXPERIMENT as CSV (one row per run, a column per key) or JSON (full records)."""
    from tracker_core.jsonio import write_bytes_atomic
    from tracker_core.query import compile_filter, parse_order_by

    predicate = _checked("--filter", compile_filter, filter_text)
    order = _checked("--sort", parse_order_by, list(sort))
    runs = search_runs(open_store(ctx), experiment, filter=predicate, order_by=order)
    if file_format is None:
        file_format = "json" if output and output.lower().endswith(".json") else "csv"
    if file_format == "json":
        data = (json_text([r.to_dict() for r in runs]) + "\n").encode("utf-8")
    else:
        data = runs_csv(runs).encode("utf-8")
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    try:
        write_bytes_atomic(output, data)
    except OSError as exc:
        raise fs_error(exc, output, "write") from None
    click.echo(f"wrote {len(runs)} runs to {output}", err=True)


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return cell(value)


def runs_csv(runs: Sequence[RunSummary]) -> str:
    """Runs as CSV: attributes (ISO times, duration in seconds), params, metrics (last; min and max for
    metrics logged more than once), tags; full float precision."""
    keys = [k for k in columns_of(runs) if not k.startswith("metrics.")]
    metric_keys: list[str] = []
    for key in (k for k in columns_of(runs) if k.startswith("metrics.")):
        name = parse_key(key).name
        metric_keys.append(key)
        if any(r.metrics[name].count > 1 for r in runs if name in r.metrics):
            metric_keys += [f"{key}.min", f"{key}.max"]
    split = len([k for k in keys if k.startswith("attributes.")])
    keys = keys[:split] + metric_keys + keys[split:]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([k.removeprefix("attributes.") for k in keys])
    getters = [(parse_key(k), parse_key(k).getter()) for k in keys]
    for run in runs:
        values = []
        for parsed, get in getters:
            value = get(run)
            if parsed.section == "attributes" and parsed.name in ("start_time", "end_time"):
                value = iso_time(value)
            values.append(_csv_text(value))
        writer.writerow(values)
    return buffer.getvalue()


def register(group: click.Group) -> None:
    """Add this module's commands to the ``tui-track`` group."""
    for command in (experiments_cmd, runs_cmd, show_cmd, compare_cmd, best_cmd, export_group):
        group.add_command(command)
