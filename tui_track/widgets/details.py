"""The details pane: everything about the highlighted run on one scrollable page."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from tracker_core.compare import Grouping, RunGroup
from tracker_core.grouping import short_name
from tracker_core.records import ArtifactInfo, MetricPoint, RunSummary

from ..formatting import cell, duration, mean_std, plural, short_id, timestamp
from .runs_table import STATUS_LABELS

BARS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 16


def sparkline(values: Sequence[float], width: int = SPARK_WIDTH) -> str:
    """Values as a row of block characters (bucketed to ``width``; non-finite values skipped)."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return ""
    if len(finite) > width:
        size = len(finite) / width
        finite = [finite[min(int(i * size), len(finite) - 1)] for i in range(width)]
    low, high = min(finite), max(finite)
    span = high - low
    if span == 0:
        return BARS[0] * len(finite)
    return "".join(BARS[min(len(BARS) - 1, int((v - low) / span * (len(BARS) - 1) + 0.5))] for v in finite)


def human_size(size: int) -> str:
    """Bytes as ``512 B``, ``3.4 KB``, ``1.2 MB``."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover - the loop always returns


def _section(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


def _pairs(items: dict[str, Any]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in sorted(items.items()):
        table.add_row(Text(key), Text(cell(value)))  # as typed: a value is never read as markup
    return table


def render_details(
    run: RunSummary,
    histories: dict[str, list[MetricPoint]] | None,
    artifacts: list[ArtifactInfo] | None,
    problem: str | None = None,
) -> RenderableType:
    """The run as a rich renderable; ``histories``/``artifacts`` are None while still loading.

    ``problem`` says why its files could not be read (shown instead of failing)."""
    head = Text()
    head.append(run.name, style="bold")
    head.append(f"  {STATUS_LABELS.get(run.status, run.status)}  ")
    head.append(short_id(run.id), style="dim")
    parts: list[RenderableType] = [head]
    when = Text(f"started {timestamp(run.start_time)} · took {duration(run.duration)}", style="dim")
    parts.append(when)
    if problem:
        parts.append(Text(f"could not read all of this run: {problem}", style="bold red"))
    if run.error:
        parts.append(Text(run.error.strip().splitlines()[-1] if run.error.strip() else run.error, style="red"))
    if run.params:
        parts += [_section("Params"), _pairs(run.params)]
    if run.metrics:
        parts.append(_section("Metrics"))
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="dim")
        for name in ("metric", "last", "min", "max", "steps", "history"):
            table.add_column(name, justify="right" if name in ("last", "min", "max", "steps") else "left")
        for key, m in sorted(run.metrics.items()):
            points = (histories or {}).get(key)
            spark = "…" if histories is None else sparkline([p.value for p in points or []])
            table.add_row(Text(key), cell(m.last), cell(m.min), cell(m.max), str(m.count), spark)
        parts.append(table)
    if run.tags:
        parts += [_section("Tags"), _pairs(run.tags)]
    parts += [_section("Environment"), _pairs(_environment(run))]
    parts.append(_section("Artifacts"))
    if artifacts is None:
        parts.append(Text("loading…", style="dim"))
    elif not artifacts:
        parts.append(Text("none", style="dim"))
    else:
        table = Table.grid(padding=(0, 2))
        table.add_column(overflow="fold")
        table.add_column(justify="right")
        for a in artifacts:
            table.add_row(Text(a.path + ("/" if a.is_dir else "")), "" if a.is_dir else human_size(a.size))
        parts.append(table)
    return Group(*parts)


GROUP_RUNS_LISTED = 20
"""Run names a group's details list before saying how many more there are."""


def render_group(grouping: Grouping, group: RunGroup) -> RenderableType:
    """A group row's summary: its key values, run count and, per metric column, mean ± std, min and max
    (the numbers the grouped table shows), then the names of its runs."""
    head = Text("Group ", style="bold")
    keys = dict(zip(grouping.by, group.values, strict=True))
    head.append(" · ".join(f"{short_name(k)} = {'-' if v is None else cell(v)}" for k, v in keys.items()))
    hint = f"{plural(group.count, 'run')} · enter folds/unfolds · space marks its runs"
    parts: list[RenderableType] = [head, Text(hint, style="dim")]
    parts += [_section("Group keys"), _pairs(keys)]
    if grouping.metrics:
        parts.append(_section("Metrics"))
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="dim")
        for name in ("metric", "mean ± std", "min", "max", "runs"):
            table.add_column(name, justify="left" if name == "metric" else "right")
        for key in grouping.metrics:
            s = group.stats(key)
            have = f"{s.count}/{group.count}" + (f" ({s.nan} NaN)" if s.nan else "")
            low, high = ("-" if v is None else cell(v) for v in (s.min, s.max))
            table.add_row(Text(short_name(key)), mean_std(s.mean, s.std), low, high, have)
        parts.append(table)
    parts.append(_section("Runs"))
    names = [r.name for r in group.runs[:GROUP_RUNS_LISTED]]
    more = group.count - len(names)
    parts.append(Text(", ".join(names) + (f" … and {more} more" if more else ""), overflow="fold"))
    return Group(*parts)


def _environment(run: RunSummary) -> dict[str, Any]:
    env = run.env or {}
    out: dict[str, Any] = {"host": run.host, "user": run.user, "pid": run.pid}
    git = env.get("git") or {}
    if git.get("commit"):
        dirty = " (dirty)" if git.get("dirty") else ""
        out["git"] = f"{str(git['commit'])[:12]}{dirty} {git.get('branch') or ''}".strip()
    command = env.get("command")
    if command:
        out["command"] = " ".join(str(c) for c in command) if isinstance(command, list) else command
    if env.get("python"):
        out["python"] = env["python"]
    for name, version in sorted((env.get("packages") or {}).items()):
        out[name] = version
    return {k: v for k, v in out.items() if v is not None}


class DetailsPane(VerticalScroll):
    """Scrollable details of one run; :meth:`show` swaps the content."""

    DEFAULT_CSS = """
    DetailsPane > Static { width: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.run_id: str | None = None

    def compose(self) -> Any:
        yield Static("Highlight a run to see its details.", id="details-body")

    def show(
        self,
        run: RunSummary | None,
        histories: dict[str, list[MetricPoint]] | None = None,
        artifacts: list[ArtifactInfo] | None = None,
        problem: str | None = None,
    ) -> None:
        body = self.query_one("#details-body", Static)
        if run is None:
            self.run_id = None
            body.update("No run highlighted.")
            return
        if run.id != self.run_id:
            self.scroll_home(animate=False)
        self.run_id = run.id
        body.update(render_details(run, histories, artifacts, problem))

    def show_group(self, grouping: Grouping, group: RunGroup) -> None:
        """The summary of a group row (no run is highlighted)."""
        if self.run_id is not None:
            self.scroll_home(animate=False)
        self.run_id = None
        self.query_one("#details-body", Static).update(render_group(grouping, group))
