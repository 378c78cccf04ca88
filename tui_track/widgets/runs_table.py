"""The runs table: a line-API widget that renders only the visible rows, so 100,000 runs stay fast.

Like toolong's ``LogLines``, it is a :class:`~textual.scroll_view.ScrollView` that sets
``virtual_size`` and draws each visible line in :meth:`RunsTable.render_line`; the data is a
dict of :class:`~tracker_core.records.RunSummary` by id plus ``order``, the ids shown (filtered,
sorted). Row 0 is a sticky header; the mark, status and name columns stay put while the metric
and param columns scroll sideways.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import on
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import Worker, WorkerState

from tracker_core.compare import Grouping, RunColumns, RunGroup, common_metrics
from tracker_core.grouping import short_name
from tracker_core.query import OrderKey, getter_for, quote_part, sort_runs
from tracker_core.query.keys import AGGREGATES
from tracker_core.records import CRASHED, FAILED, FINISHED, KILLED, RUNNING, UNREADABLE, RunSummary
from tracker_core.system_metrics import is_system_metric

from ..formatting import ELLIPSIS, cell, duration, short_time
from ..workers import ReportsWorkerErrors
from .run_groups import GroupView, group_choices, range_key
from .run_tree import TreeLayout, tree_label, tree_order

STATUS_LABELS = {
    RUNNING: "▶ running",
    FINISHED: "✓ finished",
    FAILED: "✗ failed",
    KILLED: "■ killed",
    CRASHED: "‼ crashed",
    UNREADABLE: "? unreadable",
}
"""Status text with a glyph, so statuses stay distinct without colour (NO_COLOR)."""

STATUS = "attributes.status"
NAME = "attributes.name"
START = "attributes.start_time"
DURATION = "attributes.duration"
EXPERIMENT = "attributes.experiment_id"
FIXED_KEYS = (STATUS, NAME)
ORDER_FIXED_KEYS = (None, NAME, START)
"""Sorts that a run's progress cannot change (its name and start time are set once)."""
MARK_WIDTH = 2
MAX_SAMPLE = 500  # rows looked at to size a column
Predicate = Callable[[RunSummary], bool]


@dataclass(frozen=True)
class Column:
    """One column: ``key`` names what it shows, in the query language's terms."""

    key: str
    label: str
    width: int
    numeric: bool = False

    @property
    def is_metric(self) -> bool:
        return self.key.startswith("metrics.")


def column_text(run: RunSummary, key: str) -> str:
    """A column's value as shown in a cell."""
    if key == STATUS:
        return STATUS_LABELS.get(run.status, run.status)
    if key == START:
        return short_time(run.start_time)
    if key == DURATION:
        return duration(run.duration)
    value = getter_for(key)(run)
    return "" if value is None else cell(value)


def sort_ids(runs: Iterable[RunSummary], key: str | None, descending: bool) -> list[str]:
    """Run ids ordered by a column key (missing values last either way); newest first when ``key`` is None."""
    order = [OrderKey(START, True)] if key is None else [OrderKey(key, descending)]
    return [r.id for r in sort_runs(runs, order)]


class ColumnStats:
    """Which metrics and params the runs have, kept up to date run by run (cheap on every refresh)."""

    def __init__(self) -> None:
        self.metrics: set[str] = set()
        self.metric_count: dict[str, int] = {}
        self.tags: set[str] = set()
        self.param_first: dict[str, Any] = {}
        self.param_count: dict[str, int] = {}
        self.param_varies: set[str] = set()

    def add(self, run: RunSummary, old: RunSummary | None = None) -> None:
        """Fold in one run (new, or an update of ``old``)."""
        if old is not None:
            self._forget(old)
        self.metrics.update(run.metrics)
        counts = self.metric_count
        for key in run.metrics:
            counts[key] = counts.get(key, 0) + 1
        self.tags.update(run.tags)
        for key, value in run.params.items():
            if key not in self.param_first:
                self.param_first[key] = value
                self.param_count[key] = 1
                continue
            self.param_count[key] += 1
            if key not in self.param_varies and value != self.param_first[key]:
                self.param_varies.add(key)

    def _forget(self, run: RunSummary) -> None:
        for key in run.metrics:
            self.metric_count[key] -= 1
        for key in run.params:
            self.param_count[key] -= 1

    def remove(self, run: RunSummary) -> None:
        """A run left the table (its metrics and params stay known as columns)."""
        self._forget(run)

    def varying_params(self, n_runs: int) -> list[str]:
        """Params whose value differs between runs, or that some runs lack."""
        return sorted(k for k, c in self.param_count.items() if k in self.param_varies or c < n_runs)


@dataclass
class _RunMessage(Message):
    """A message about one run of a :class:`RunsTable`."""

    table: RunsTable
    run_id: str | None

    @property
    def control(self) -> RunsTable:
        return self.table


class RunsTable(ReportsWorkerErrors, ScrollView, can_focus=True):
    """Runs of one experiment: status, name, start, duration, metrics and the params that vary."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("right,l", "cursor_right", "Right column", show=False),
        Binding("left,h", "cursor_left", "Left column", show=False),
        Binding("pagedown,ctrl+d", "page_down", "Page down", show=False),
        Binding("pageup,ctrl+u", "page_up", "Page up", show=False),
        Binding("home,g", "first", "First run", show=False),
        Binding("end,G", "last", "Last run", show=False),
        Binding("enter", "select", "Open run", show=False),
        Binding("s", "sort", "Sort"),
        Binding("greater_than_sign", "sort_metric(1)", "Sort next metric", show=False),
        Binding("less_than_sign", "sort_metric(-1)", "Sort previous metric", show=False),
        Binding("S", "clear_sort", "Clear sort", show=False),
        Binding("space", "toggle_mark", "Mark"),
        Binding("u", "clear_marks", "Unmark all", show=False),
        Binding("minus", "hide_column", "Hide column", show=False),
        Binding("equals_sign", "show_columns", "Show hidden columns", show=False),
        Binding("B", "ungroup", "Ungroup", show=False),
        Binding("F", "toggle_group", "Fold/unfold group", show=False),
        Binding("M", "toggle_range", "Group min/max columns", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "runs-table--header",
        "runs-table--cursor",
        "runs-table--cursor-cell",
        "runs-table--marked",
        "runs-table--empty",
        "runs-table--failed",
        "runs-table--crashed",
        "runs-table--running",
        "runs-table--group",
    }

    DEFAULT_CSS = """
    RunsTable {
        background: $surface;
        scrollbar-size-horizontal: 0;  /* cut columns end in an ellipsis; a one-line thumb read as a stray ▍ */
    }
    RunsTable > .runs-table--header { text-style: bold; background: $panel; }
    RunsTable > .runs-table--cursor { background: $boost; text-style: bold; }
    RunsTable:focus > .runs-table--cursor { background: $accent 40%; }
    RunsTable:focus > .runs-table--cursor-cell { background: $accent; color: $text; text-style: bold underline; }
    RunsTable > .runs-table--cursor-cell { text-style: bold; }
    RunsTable > .runs-table--marked { color: $warning; text-style: bold; }
    RunsTable > .runs-table--empty { color: $text-muted; text-style: italic; }
    RunsTable > .runs-table--failed { color: $error; }
    RunsTable > .runs-table--crashed { color: $error; text-style: bold; }
    RunsTable > .runs-table--running { color: $success; }
    RunsTable > .runs-table--group { text-style: bold; }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True, repaint=False)
    cursor_col: reactive[int] = reactive(0, repaint=False)

    @dataclass
    class Highlighted(_RunMessage):
        """The run under the cursor changed (None when the table is empty or on a group row: then ``group``
        is the :class:`~tracker_core.compare.RunGroup` under the cursor, sent again when its numbers change)."""

        group: RunGroup | None = None

    class Selected(_RunMessage):
        """Enter was pressed on a run (``run_id`` is never None)."""

    class ViewChanged(Message):
        """Sort, filter, columns or marks changed (the screen updates its status line)."""

    @dataclass
    class GroupsComputed(Message, bubble=False):
        """A grouping worker's result: the groups of ``view`` for grouping request number ``request``."""

        view: GroupView
        request: int
        grouping: Grouping
        columns: RunColumns | None
        sort: str | None
        descending: bool

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.runs: dict[str, RunSummary] = {}
        self.order: list[str] = []
        self.marks: set[str] = set()
        self.columns: list[Column] = []
        self.hidden: set[str] = set()
        self.extra: set[str] = set()
        self.sort_column: str | None = None
        self.sort_descending = False
        self.predicate: Predicate | None = None
        self.empty_text = "No runs"
        self._stats = ColumnStats()
        self._metric_order: list[str] = []
        self.groups: GroupView | None = None
        """The grouping shown (its rows are the ones in :attr:`order`), None when ungrouped."""
        self._grouping_for: GroupView | None = None
        """A grouping being computed in a worker (shown once it comes), None when none is."""
        self._grouping_request = 0
        self._grouping_job: Worker[None] | None = None
        self._grouping_view = (True, False)
        """keep_cursor and from_top of the rebuild waiting on the grouping worker."""
        self._highlighted: str | RunGroup | None = None
        self._fixed_width = 0
        # the run tree and the all-experiments view (widgets/run_tree.py, screens/main.py)
        self.tree_view = False
        self.collapsed: set[str] = set()
        self._tree = TreeLayout()
        self.experiment_names: dict[str, str] | None = None

    # ------------------------------------------------------------------ data in
    def load(self, runs: dict[str, RunSummary]) -> None:
        """Show a new set of runs (another experiment): cursor to the top, marks and sort kept."""
        self.runs = dict(runs)
        self._stats = ColumnStats()
        for run in self.runs.values():
            self._stats.add(run)
        self._metric_order = []
        self.marks &= self.runs.keys()
        self._rebuild(keep_cursor=False)

    def apply_changes(self, changed: dict[str, RunSummary], removed: Iterable[str]) -> None:
        """Merge a live refresh: the cursor stays on its run and at the same height on screen."""
        for run_id in removed:
            gone = self.runs.pop(run_id, None)
            if gone is not None:
                self._stats.remove(gone)
            self.marks.discard(run_id)
        removed = list(removed)
        # Runs that only progressed (new points, a status) keep their place when neither the
        # filter nor the sort can move them: no need to re-sort 100,000 rows every tick.
        in_place = not removed and self.predicate is None and self.sort_column in ORDER_FIXED_KEYS
        grouped = self.groups is not None or self._grouping_for is not None
        in_place = in_place and not grouped and all(i in self.runs for i in changed)
        for run_id, run in changed.items():
            self._stats.add(run, self.runs.get(run_id))
            self.runs[run_id] = run
        self._rebuild(keep_cursor=True, resort=not in_place)

    def set_filter(self, predicate: Predicate | None) -> None:
        """Show only the runs ``predicate`` accepts (all when None)."""
        self.predicate = predicate
        self._rebuild(keep_cursor=True)

    # ------------------------------------------------------------------ data out
    @property
    def cursor_row_id(self) -> str | None:
        """The id of the row under the cursor: a run id, or a group row's id when grouped."""
        if not self.order:
            return None
        return self.order[min(self.cursor_row, len(self.order) - 1)]

    @property
    def cursor_run_id(self) -> str | None:
        """The run under the cursor (None on a group row)."""
        row = self.cursor_row_id
        return row if row is None or row in self.runs else None

    def shown_run_list(self) -> list[RunSummary]:
        """The runs the filter lets through, in table order (grouped: group by group, collapsed ones too)."""
        if self.groups is None or self.groups.grouping is None:
            return [self.runs[i] for i in self.order]
        return [run for group in self.groups.grouping.groups for run in group.runs]

    @property
    def shown_runs(self) -> int:
        """How many runs the filter lets through (the rows, unless grouped)."""
        if self.groups is None or self.groups.grouping is None:
            return len(self.order)
        return sum(g.count for g in self.groups.grouping.groups)

    @property
    def cursor_column(self) -> Column | None:
        return self.columns[self.cursor_col] if self.columns and self.cursor_col < len(self.columns) else None

    def marked_ids(self) -> list[str]:
        """Marked runs in table order (marks hidden by the filter included at the end)."""
        shown = [i for i in self.order if i in self.marks]
        return shown + sorted(self.marks.difference(shown))

    def metric_keys(self) -> list[str]:
        return sorted(self._stats.metrics)

    def default_metrics(self) -> list[str]:
        """The metrics most runs have, in a stable order: a metric keeps its place while runs come in;
        newly common ones are appended (most common first)."""
        stats = self._stats
        common = common_metrics({k: c for k, c in stats.metric_count.items() if c > 0}, len(self.runs))
        kept = [k for k in self._metric_order if k in common]
        self._metric_order = kept + [k for k in common if k not in kept]
        return self._metric_order

    # ------------------------------------------------------------------ building the view
    def column_choices(self) -> list[tuple[str, str, bool]]:
        """Every column the runs could show, as (key, label, shown): attributes, metrics, params, tags."""
        auto = dict(self._auto_keys())
        shown = {key for key in auto if key not in self.hidden} | self.extra
        choices = {key: label for key, label in auto.items() if key.startswith("attributes.")}
        counts = self._stats.metric_count
        common = self.default_metrics()
        for name in [*common, *sorted(k for k in self._stats.metrics if k not in common)]:
            runs = f"{counts.get(name, 0)}/{len(self.runs)} runs"
            for aggregate in AGGREGATES:
                key = metric_key(name, aggregate)
                choices[key] = f"metrics.{name}" + ("" if aggregate == "last" else f".{aggregate}") + f"  ({runs})"
        choices.update((f"params.{quote_part(k)}", f"params.{k}") for k in sorted(self._stats.param_first))
        choices.update((f"tags.{quote_part(k)}", f"tags.{k}") for k in sorted(self._stats.tags))
        return [(key, label, key in shown) for key, label in choices.items()]

    def show_columns(self, keys: Iterable[str]) -> None:
        """Show exactly these columns (status and name always show), in the usual order."""
        wanted = set(keys) | set(FIXED_KEYS)
        auto = {key for key, _ in self._auto_keys()}
        self.hidden = auto - wanted
        self.extra = wanted - auto
        self._rebuild(keep_cursor=True)

    def _auto_keys(self) -> list[tuple[str, str]]:
        keys = [(STATUS, "status"), (NAME, "name"), (START, "start"), (DURATION, "duration")]
        if self.experiment_names is not None:  # runs of several experiments: say whose each is
            keys.insert(2, (EXPERIMENT, "experiment"))
        keys += [(f"metrics.{quote_part(k)}", k) for k in self.default_metrics() if not is_system_metric(k)]
        keys += [(f"params.{quote_part(k)}", k) for k in self._stats.varying_params(len(self.runs))]
        return keys

    def _auto_columns(self, sample: list[RunSummary]) -> list[Column]:
        keys = self._auto_keys()
        known = {key for key, _ in keys}
        keys += [(key, short_name(key)) for key in sorted(self.extra - known)]
        groups = self.groups
        if groups is not None:  # the name column shows the group's values; start and duration make room
            keys = [k for k in keys if k[0] not in groups.by and k[0] not in (START, DURATION)]
        columns = []
        for key, label in keys:
            if key in self.hidden:
                continue
            if key == NAME and groups is not None:
                label = groups.title
            columns.append(self._column(key, label, sample))
            if groups is not None and groups.show_range and key.startswith("metrics."):
                for stat in ("min", "max"):
                    columns.append(self._column(range_key(stat, key), f"{label} {stat}", sample))
        return columns

    def _column(self, key: str, label: str, sample: list[RunSummary]) -> Column:
        widest = max((cell_len(self._text(r, key)) for r in sample), default=0)
        cap = {STATUS: 12, NAME: 24, START: 11, DURATION: 7}.get(key, 14)
        if self.groups is not None:
            texts = self.groups.sample_texts(key, MAX_SAMPLE) if self.groups.grouping is not None else []
            widest = max([widest, *map(cell_len, texts)])
            cap = {STATUS: 12, NAME: 28}.get(key, 24 if key.startswith("metrics.") else cap)
        width = max(min(widest, cap), min(cell_len(label) + 1, 16), 4)
        numeric = key.startswith(("metrics.", "range:")) or key == DURATION
        return Column(key, label, width, numeric)

    def _rebuild(self, keep_cursor: bool, resort: bool = True, from_top: bool = False) -> None:
        """Lay the rows out again (re-filtered and re-sorted with ``resort``); grouped, the groups come from a
        worker and the rows shown stay (less the runs that left) until they do."""
        place = self._cursor_place(keep_cursor)
        if resort:
            runs: Iterable[RunSummary] = self.runs.values()
            if self.predicate is not None:
                predicate = self.predicate
                runs = [r for r in runs if _accepts(predicate, r)]
            target = self._grouping_for or self.groups
            if target is not None:
                self._start_grouping(target, list(runs), keep_cursor, from_top)
                shown = self.groups.rows if self.groups is not None else {}
                self.order = [i for i in self.order if i in self.runs or i in shown]
            else:
                self.order = sort_ids(runs, self.sort_column, self.sort_descending)
                if self.tree_view:
                    self._tree = tree_order(self.order, self.runs, self.collapsed)
                    self.order = self._tree.order
        self._show_order(place, keep_cursor, from_top)

    def _cursor_place(self, keep_cursor: bool) -> tuple[str | None, int, str | None]:
        """What :meth:`_show_order` keeps: the row under the cursor, its height on screen, its column."""
        old_id = self.cursor_row_id if keep_cursor else None
        screen_offset = self.cursor_row - int(self.scroll_y) if keep_cursor else 0
        return old_id, screen_offset, self.cursor_column.key if self.cursor_column else None

    def _show_order(self, place: tuple[str | None, int, str | None], keep_cursor: bool, from_top: bool) -> None:
        """Columns, cursor and scrolling for the rows now in :attr:`order`."""
        old_id, screen_offset, old_key = place
        sample = [r for i in self.order[:MAX_SAMPLE] if (r := self.runs.get(i)) is not None]
        self.columns = self._auto_columns(sample)
        self._fixed_width = MARK_WIDTH + sum(c.width + 1 for c in self.columns if c.key in FIXED_KEYS)
        keys = [c.key for c in self.columns]
        self.cursor_col = keys.index(old_key) if old_key in keys else min(self.cursor_col, max(len(keys) - 1, 0))
        row = 0
        if old_id is not None:
            try:
                row = self.order.index(old_id)
            except ValueError:  # its group collapsed, or the table was grouped: the cursor goes to its group
                group_row = self.groups.member_of.get(old_id) if self.groups else None
                if group_row is not None and group_row in self.order:
                    row = self.order.index(group_row)
                else:
                    row = min(self.cursor_row, max(len(self.order) - 1, 0))
        total = MARK_WIDTH + sum(c.width + 1 for c in self.columns)
        self.virtual_size = Size(total, len(self.order) + 1)
        # force: a table that fitted until now has no scrollbar yet, and scrolling would wait for the next layout
        if from_top:  # the cursor's run stays visible, with as much of the new order's top as fits
            body = max(1, self.scrollable_content_region.height - 1)
            self.scroll_to(y=max(0, row - body + 1), animate=False, immediate=True, force=True)
        elif keep_cursor:
            self.scroll_to(y=max(0, row - screen_offset), animate=False, immediate=True, force=True)
        else:
            self.scroll_to(0, 0, animate=False, immediate=True, force=True)
        self.cursor_row = row
        self.refresh()
        self.post_message(self.ViewChanged())

    # ------------------------------------------------------------------ grouping
    def _start_grouping(self, view: GroupView, runs: list[RunSummary], keep_cursor: bool, from_top: bool) -> None:
        """Group ``runs`` in a thread worker; :meth:`show_groups` shows the result of the latest request."""
        metrics = [k for k, _ in self._auto_keys() if k.startswith("metrics.") and k not in self.hidden]
        metrics += sorted(k for k in self.extra if k.startswith("metrics.") and k not in metrics)
        self._grouping_for = view
        self._grouping_request += 1
        self._grouping_view = (keep_cursor, from_top)
        sort = (self.sort_column, self.sort_descending)
        work = partial(self._compute_groups, view, self._grouping_request, runs, metrics, *sort)
        self._grouping_job = self.run_worker(
            work, name="group_runs", group="grouping", thread=True, exclusive=True, exit_on_error=False
        )

    def _compute_groups(
        self, view: GroupView, request: int, runs: list[RunSummary], metrics: list[str], sort: str | None,
        descending: bool,
    ) -> None:  # fmt: skip
        """(In a worker thread.) The groups and their statistics, posted back; touches no widget."""
        grouping, columns = view.compute(runs, metrics, sort, descending)
        self.post_message(self.GroupsComputed(view, request, grouping, columns, sort, descending))

    @on(GroupsComputed)
    def show_groups(self, message: GroupsComputed) -> None:
        if message.request != self._grouping_request or message.view is not self._grouping_for:
            return  # the runs, sort or keys changed since: a newer request is on its way
        place = self._cursor_place(self._grouping_view[0])
        view = message.view
        view.columns = message.columns
        self.groups, self._grouping_for = view, None
        self.order = view.layout(message.grouping, message.sort, message.descending)
        self._show_order(place, *self._grouping_view)

    @on(Worker.StateChanged)
    def grouping_failed(self, event: Worker.StateChanged) -> None:
        """A grouping that fails (ReportsWorkerErrors shows why) leaves the runs ungrouped, not half-shown."""
        if event.state is WorkerState.ERROR and event.worker is self._grouping_job:
            self._grouping_job = self._grouping_for = self.groups = None
            self._grouping_request += 1
            self._rebuild(keep_cursor=True)

    def group_by(self, keys: list[str]) -> None:
        """Group the runs by these keys (params/tags in full); an empty list shows the runs ungrouped."""
        wanted = self._grouping_for or self.groups
        if not keys:
            self.groups = self._grouping_for = None
            self._grouping_request += 1  # a grouping still being computed is not shown
        elif wanted is None or wanted.by != keys:
            view = GroupView(keys)
            if wanted is not None:  # the same runs: what was read of each is read again for nothing
                view.show_range, view.columns = wanted.show_range, wanted.columns
            self._grouping_for = view
        self._rebuild(keep_cursor=True, from_top=True)

    def group_key_choices(self) -> list[tuple[str, str, bool]]:
        """What the runs can be grouped by (params that vary first, then other params, tags), and the choice."""
        stats = self._stats
        chosen = set(self.groups.by) if self.groups else set()
        choices = group_choices(sorted(stats.param_first), stats.varying_params(len(self.runs)), sorted(stats.tags))
        return [(key, label, key in chosen) for key, label in choices]

    def action_ungroup(self) -> None:
        if self.groups is not None:
            self.group_by([])

    def action_toggle_group(self) -> None:
        """Expand the group under the cursor to its runs, or collapse it (also from one of its runs)."""
        row = self.cursor_row_id
        if self.groups is None or row is None or not self.groups.toggle(row):
            return
        place = self._cursor_place(keep_cursor=True)  # a run of a group collapsed: the cursor goes to its group
        self.order = self.groups.layout(sort=self.sort_column, descending=self.sort_descending)
        self._show_order(place, keep_cursor=True, from_top=False)

    def action_toggle_range(self) -> None:
        """Show or hide the min and max columns of each metric in the grouped view."""
        if self.groups is None:
            self.notify("Min/max columns are for grouped runs: press b to group", severity="warning")
            return
        self.groups.show_range = not self.groups.show_range
        self._rebuild(keep_cursor=True, resort=False)  # every group's min and max are computed already

    @property
    def cursor_group(self) -> Any:
        """The :class:`~tracker_core.compare.RunGroup` under the cursor (None on a run row or ungrouped)."""
        row = self.cursor_row_id
        return None if self.groups is None or row is None else self.groups.rows.get(row)

    # ------------------------------------------------------------------ cursor
    def watch_cursor_row(self, row: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        run_id = self.cursor_run_id
        group = None if run_id is not None else self.cursor_group
        now = run_id if run_id is not None else group  # a group by identity: regrouped, it says so again
        if now is not self._highlighted and not (isinstance(now, str) and now == self._highlighted):
            self._highlighted = now
            self.post_message(self.Highlighted(self, run_id, group))

    def watch_cursor_col(self, col: int) -> None:
        self._scroll_column_into_view()
        self.refresh()

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, len(self.order) - 1)) if self.order else 0

    def validate_cursor_col(self, col: int) -> int:
        return max(0, min(col, len(self.columns) - 1)) if self.columns else 0

    def _scroll_cursor_into_view(self) -> None:
        body = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + body:
            self.scroll_to(y=self.cursor_row - body + 1, animate=False, immediate=True)

    def _scroll_column_into_view(self) -> None:
        column = self.cursor_column
        if column is None or column.key in FIXED_KEYS:
            return
        x = self._fixed_width
        for c in self.columns:
            if c.key in FIXED_KEYS:
                continue
            if c is column:
                break
            x += c.width + 1
        view = self.scrollable_content_region.width - self._fixed_width
        left = x - self._fixed_width
        if left < self.scroll_x:
            self.scroll_to(x=left, animate=False, immediate=True)
        elif left + column.width + 1 > self.scroll_x + view:
            self.scroll_to(x=left + column.width + 1 - view, animate=False, immediate=True)

    def move_to(self, run_id: str) -> bool:
        """Put the cursor on a run if it is shown."""
        try:
            self.cursor_row = self.order.index(run_id)
        except ValueError:
            return False
        return True

    def action_cursor_down(self) -> None:
        self.cursor_row += 1

    def action_cursor_up(self) -> None:
        self.cursor_row -= 1

    def action_cursor_right(self) -> None:
        self.cursor_col += 1

    def action_cursor_left(self) -> None:
        self.cursor_col -= 1

    def action_page_down(self) -> None:
        self.cursor_row += max(1, self.scrollable_content_region.height - 2)

    def action_page_up(self) -> None:
        self.cursor_row -= max(1, self.scrollable_content_region.height - 2)

    def action_first(self) -> None:
        self.cursor_row = 0

    def action_last(self) -> None:
        self.cursor_row = len(self.order) - 1

    def action_select(self) -> None:
        """Open the run under the cursor; on a group row, expand or collapse the group."""
        if self.cursor_group is not None:
            self.action_toggle_group()
            return
        run_id = self.cursor_run_id
        if run_id is not None:
            self.post_message(self.Selected(self, run_id))

    # ------------------------------------------------------------------ sorting
    def sort_by(self, key: str | None, descending: bool = False) -> None:
        """Sort by a column key (None: newest first), keeping the cursor on its run.

        The view shows the top of the new order whenever the cursor's run fits on that page.
        """
        self.sort_column, self.sort_descending = key, descending
        self._rebuild(keep_cursor=True, from_top=True)

    def action_sort(self) -> None:
        """Sort by the column under the cursor; again on the same column flips the direction."""
        column = self.cursor_column
        if column is None:
            return
        if self.sort_column == column.key:
            self.sort_by(column.key, not self.sort_descending)
        else:
            self.sort_by(column.key, False)

    def action_sort_metric(self, step: int) -> None:
        """Move the sort to the next (1) or previous (-1) metric column, keeping the direction."""
        metrics = [c.key for c in self.columns if c.is_metric]
        if not metrics:
            return
        if self.sort_column in metrics:
            key = metrics[(metrics.index(self.sort_column) + step) % len(metrics)]
        else:
            key = metrics[0 if step > 0 else -1]
        self.sort_by(key, self.sort_descending)
        self.cursor_col = [c.key for c in self.columns].index(key)

    def action_clear_sort(self) -> None:
        self.sort_by(None)

    # ------------------------------------------------------------------ marks and columns
    def action_toggle_mark(self) -> None:
        group = self.cursor_group
        if group is not None:  # a group row: mark all its runs, or unmark them if all are marked
            ids = {r.id for r in group.runs}
            if ids <= self.marks:
                self.marks -= ids
            else:
                self.marks |= ids
            self.cursor_row += 1
            self.refresh()
            self.post_message(self.ViewChanged())
            return
        run_id = self.cursor_run_id
        if run_id is None:
            return
        self.marks.symmetric_difference_update({run_id})
        self.cursor_row += 1
        self.refresh()
        self.post_message(self.ViewChanged())

    def action_clear_marks(self) -> None:
        self.marks.clear()
        self.refresh()
        self.post_message(self.ViewChanged())

    def action_hide_column(self) -> None:
        """Hide the column under the cursor (status and name stay)."""
        column = self.cursor_column
        if column is None or column.key in FIXED_KEYS:
            self.notify("Status and name always show", severity="warning")
            return
        self.hidden.add(column.key)
        self._rebuild(keep_cursor=True)

    def action_show_columns(self) -> None:
        self.hidden.clear()
        self._rebuild(keep_cursor=True)

    # ------------------------------------------------------------------ rendering
    def _group_cells(self, row_id: str, row: int, base: Style) -> tuple[list[Segment], list[Segment]]:
        """A group row: the expand glyph (readable without colour), count, values, mean ± std per metric."""
        assert self.groups is not None
        group = self.groups.rows[row_id]
        is_cursor = row == self.cursor_row
        row_style = base + self.get_component_rich_style("runs-table--group")
        if is_cursor:
            row_style = row_style + self.get_component_rich_style("runs-table--cursor")
        cursor_cell = self.get_component_rich_style("runs-table--cursor-cell")
        glyph = "▾" if row_id in self.groups.expanded else "▸"
        fixed: list[Segment] = [Segment(glyph + ("›" if is_cursor else " "), row_style)]
        moving: list[Segment] = []
        for index, column in enumerate(self.columns):
            target = fixed if column.key in FIXED_KEYS else moving
            text = self.groups.text(group, column.key)
            style = row_style + cursor_cell if is_cursor and index == self.cursor_col else row_style
            target.append(Segment(_fit(text, column), style))
            target.append(Segment(" ", row_style))
        return fixed, moving

    def _cells(self, run: RunSummary | None, row: int, base: Style) -> tuple[list[Segment], list[Segment]]:
        is_cursor = run is not None and row == self.cursor_row
        header = self.get_component_rich_style("runs-table--header") if run is None else None
        row_style = base + self.get_component_rich_style("runs-table--cursor") if is_cursor else base
        cursor_cell = self.get_component_rich_style("runs-table--cursor-cell")
        fixed: list[Segment] = []
        moving: list[Segment] = []
        if run is None:
            fixed.append(Segment(" " * MARK_WIDTH, header))
        else:  # a mark and a cursor glyph: both readable without colour
            mark = "*" if run.id in self.marks else " "
            marked = self.get_component_rich_style("runs-table--marked") if run.id in self.marks else Style()
            fixed.append(Segment(mark + ("›" if is_cursor else " "), row_style + marked))
        for index, column in enumerate(self.columns):
            target = fixed if column.key in FIXED_KEYS else moving
            if run is None:
                text = column.label
                if column.key == self.sort_column:
                    text = f"{text}{'▼' if self.sort_descending else '▲'}"
                style = header or base
                if index == self.cursor_col:
                    style = style + Style(underline=True)
            elif column.key.startswith("range:"):
                text, style = "", row_style  # a group's min/max column: nothing for one run
            else:
                text = self._text(run, column.key)
                if column.key == NAME and self.groups is not None:
                    text = "  " + text  # a run inside its expanded group
                style = row_style
                if column.key == STATUS and run.status in (FAILED, CRASHED, RUNNING, UNREADABLE):
                    name = "crashed" if run.status in (CRASHED, UNREADABLE) else run.status
                    style = style + self.get_component_rich_style(f"runs-table--{name}")
                if is_cursor and index == self.cursor_col:
                    style = style + cursor_cell
            target.append(Segment(_fit(text, column), style))
            target.append(Segment(" ", header or row_style))
        return fixed, moving

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y > 0 and not self.order:
            text = self.empty_text if y == 1 else ""
            style = self.get_component_rich_style("runs-table--empty")
            return Strip([Segment(set_cell_size(" " + text, width), style)], width)
        row = int(self.scroll_y) + y - 1
        if y > 0 and row >= len(self.order):
            return Strip.blank(width, base)
        row_id = None if y == 0 else self.order[row]
        run = None if row_id is None else self.runs.get(row_id)
        if row_id is not None and run is None:
            fixed, moving = self._group_cells(row_id, row, base)
        else:
            fixed, moving = self._cells(run, row, base)
        fill = self.get_component_rich_style("runs-table--header") if row_id is None else base
        if row_id is not None and row == self.cursor_row:
            fill = base + self.get_component_rich_style("runs-table--cursor")
        fixed_strip = Strip(fixed)
        view = max(0, width - fixed_strip.cell_length)
        scroll_x = int(self.scroll_x)
        moving_strip = Strip(_mark_cut_cells(moving, scroll_x, scroll_x + view)).crop(scroll_x, scroll_x + view)
        return Strip.join([fixed_strip, moving_strip]).extend_cell_length(width, fill).crop(0, width)

    def _text(self, run: RunSummary, key: str) -> str:
        """A cell's text, with the tree's indent and the experiment's name where those views are on."""
        if key == NAME and self.tree_view:
            kids = self._tree.children.get(run.id, 0)
            return tree_label(run.name, self._tree.depth.get(run.id, 0), kids, run.id in self.collapsed)
        if key == EXPERIMENT and self.experiment_names is not None:
            return self.experiment_names.get(run.experiment_id, run.experiment_id[:8])
        return column_text(run, key)

    def set_tree(self, on: bool) -> None:
        """Show child runs under their parents (on) or flat (off)."""
        self.tree_view = on
        self._rebuild(keep_cursor=True)

    def toggle_collapse(self) -> bool:
        """Fold or unfold the children of the run under the cursor (of its parent, on a child); False if none."""
        run_id = self.cursor_run_id
        if not self.tree_view or run_id is None:
            return False
        target: str | None = run_id
        if not self._tree.children.get(run_id):
            target = self.runs[run_id].parent_id
            if target not in self._tree.children:
                return False
        assert target is not None
        self.collapsed.symmetric_difference_update({target})
        self._rebuild(keep_cursor=True)
        if target in self.collapsed:
            self.move_to(target)  # its child under the cursor is folded away
        return True


def _fit(text: str, column: Column) -> str:
    """A cell's text cut (with an ellipsis) or padded to its column's width, numbers to the right."""
    if cell_len(text) > column.width:
        return set_cell_size(text, column.width - 1) + "…"
    if column.numeric:
        return text.rjust(column.width)
    return set_cell_size(text, column.width)


def _mark_cut_cells(cells: list[Segment], start: int, end: int) -> list[Segment]:
    """``cells`` (side by side) to be seen through columns ``start``..``end``: a cell with text that an edge
    cuts shows an ellipsis at the cut, never a piece of its value that reads like another ("96" of "0.96")."""
    marked: list[Segment] = []
    x = 0
    for seg in cells:
        width = seg.cell_length
        left, right = max(start - x, 0), min(end - x, width)
        if (left > 0 or right < width) and left < right:
            before, rest = seg.split_cells(left)
            seen, after = rest.split_cells(right - left)
            text = seen.text
            if before.text.strip():  # only padding cut away needs no mark
                text = ELLIPSIS + set_cell_size(text, right - left)[1:]
            if after.text.strip():
                text = set_cell_size(text, right - left - 1) + ELLIPSIS
            seg = Segment(" " * left + set_cell_size(text, right - left) + " " * (width - right), seg.style)
        marked.append(seg)
        x += width
    return marked


def metric_key(name: str, aggregate: str) -> str:
    """The column key of a metric's aggregate: ``metrics.loss``, ``metrics.`loss`.min``."""
    if aggregate == "last":
        return f"metrics.{quote_part(name)}"
    return f"metrics.{quote_part(name, always=True)}.{aggregate}"


def _accepts(predicate: Predicate, run: RunSummary) -> bool:
    try:
        return bool(predicate(run))
    except Exception:  # a filter must never break the table; a run it cannot judge is not shown
        return False
