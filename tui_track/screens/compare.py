"""Runs side by side: params, metrics, tags and environment, differences only on demand, best metric starred.

The label column stays put while the run columns scroll; each run column is as wide as its
values, up to its share of the screen's width or :data:`VALUE_WIDTH`, whichever is wider (longer
values end in an ellipsis and the detail line under the table shows the cursor row in full). The
screen refreshes live.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from tracker_core.config import Settings, load_settings
from tracker_core.errors import TrackerError
from tracker_core.records import RunSummary
from tracker_core.store import Store

from ..formatting import cell, duration, ellipsize, short_id, timestamp
from ..widgets.facts import usable_width
from .base import TrackerScreen

if TYPE_CHECKING:
    from tracker_core.compare import Comparison

BEST_MARK = " ★"
DIFFERS_MARK = "≠ "
TIME_ATTRIBUTES = ("start_time", "end_time")
ID_ATTRIBUTES = ("id", "experiment_id", "parent_id")
LABEL_WIDTH = 22
"""Widest row label; longer keys end in an ellipsis (the detail line has them in full)."""
VALUE_WIDTH = 15
"""Widest run column when the runs do not all fit: with the label column, three runs fit side by side at 80
columns. When fewer runs leave more room, each column may take its share of it."""
SECTION_KEY = "§"
"""Starts the row key of a section's heading row (``§params``), which no compared row has."""


def shown_value(section: str, key: str, value: Any) -> str:
    """A compared value as table text: dates and durations readable, a traceback as its last line."""
    if value is None:
        return "-"
    if section == "attributes" and key in TIME_ATTRIBUTES:
        return timestamp(value)
    if section == "attributes" and key == "duration":
        return duration(value)
    if section == "attributes" and key in ID_ATTRIBUTES:
        return short_id(str(value))
    text = cell(value)
    lines = text.strip().splitlines()
    return lines[-1] if len(lines) > 1 else text


def full_value(value: Any) -> str:
    """A compared value in full, for the detail line (a traceback on one line)."""
    return " ⏎ ".join(cell(value).strip().splitlines()) if value is not None else "-"


class CompareScreen(TrackerScreen):
    """A table with one column per run; ``d`` keeps only the rows that differ."""

    HELP_TITLE: ClassVar[str] = "compare"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "toggle_differences", "Differences only"),
        Binding("p", "plot", "Plot metric"),
        Binding("r", "reload", "Reload", show=False),
    ]

    @dataclass
    class Loaded(Message):
        """The runs to compare and the settings that give metric directions."""

        runs: list[RunSummary]
        settings: Settings

    def __init__(self, store: Store, run_ids: Sequence[str], refresh_interval: float = 2.0) -> None:
        super().__init__()
        self.store = store
        self.refresh_interval = refresh_interval
        self.run_ids = list(run_ids)
        self.runs: list[RunSummary] = []
        self.settings = Settings()
        self.differences_only = False
        self.comparison: Comparison | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"Comparing {len(self.run_ids)} runs…", id="compare-title", classes="screen-title")
        table: DataTable[Any] = DataTable(id="compare-table", cursor_type="row", zebra_stripes=True, fixed_columns=1)
        yield table
        yield Static("", id="compare-detail", markup=False)
        yield Static(
            f"{DIFFERS_MARK.strip()} differs  {BEST_MARK.strip()} best "
            "(direction: metric name, or \\[metrics] in config)",
            id="compare-legend",
            classes="note",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#compare-table", DataTable).focus()
        self.load()
        self.set_interval(self.refresh_interval, self.tick, name="compare refresh")

    def tick(self) -> None:
        """Live refresh: read the runs again unless a read is still going."""
        if not any(w.group == "compare-load" and w.is_running for w in self.workers):
            self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="compare-load")
    def load(self) -> None:
        """Read the runs and the config (worker thread)."""
        runs = self.read_runs(self.store, self.run_ids)
        try:
            settings = load_settings()
        except TrackerError as exc:
            self.notify(f"config ignored: {exc}", severity="warning")
            settings = Settings()  # built-in directions; never read the config on the UI thread
        self.post_message(self.Loaded(runs, settings))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if self.runs and message.runs == self.runs and message.settings == self.settings:
            return  # nothing changed: keep the cursor and scroll where they are
        self.runs = message.runs
        self.settings = message.settings
        if not self.runs:
            self.query_one("#compare-title", Static).update("None of these runs can be read any more; esc goes back.")
            return
        self._show()

    def _show(self) -> None:
        from tracker_core.compare import compare_runs

        comparison = self.comparison = compare_runs(self.runs, self.settings, differences_only=self.differences_only)
        table: DataTable[Any] = self.query_one("#compare-table", DataTable)
        keep = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value if table.row_count else None
        table.clear(columns=True)
        texts = [[shown_value(row.section, row.key, v) for v in row.values] for row in comparison.rows]
        marks = [[BEST_MARK if i == row.best_index else "" for i in range(len(row.values))] for row in comparison.rows]
        labels = [f"{DIFFERS_MARK if row.differs else '  '}{row.key}" for row in comparison.rows]
        label_width = min(LABEL_WIDTH, max([len(t) for t in labels] + [len(r.section) for r in comparison.rows] + [1]))
        table.add_column("", key="key", width=label_width)
        widest = max(VALUE_WIDTH, self._share(table, label_width, len(comparison.runs)))
        widths: list[int] = []
        for i, (label, run) in enumerate(zip(comparison.headers(), comparison.runs, strict=True)):
            width = min(widest, max([len(label)] + [len(t[i]) + len(m[i]) for t, m in zip(texts, marks, strict=True)]))
            widths.append(width)
            table.add_column(Text(ellipsize(label, width)), key=run.id, width=width)
        section = None
        for row, label, row_texts, row_marks in zip(comparison.rows, labels, texts, marks, strict=True):
            if row.section != section:
                section = row.section
                heading = Text(section, style="bold underline")
                table.add_row(heading, *[""] * len(comparison.runs), key=SECTION_KEY + section)
            key = Text(ellipsize(label, label_width), style="bold" if row.differs else "")
            values = [
                Text(ellipsize(t, widths[i] - len(mark)) + mark, style="bold green" if mark else "")
                for i, (t, mark) in enumerate(zip(row_texts, row_marks, strict=True))
            ]
            table.add_row(key, *values, key=f"{row.section}:{row.key}")
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep))
        self._show_detail()
        shown = "differences only" if self.differences_only else "all rows"
        self.query_one("#compare-title", Static).update(
            f"Comparing [b]{len(comparison.runs)}[/b] runs · {shown} (d toggles) · {len(comparison.rows)} rows"
        )

    @staticmethod
    def _share(table: DataTable[Any], label_width: int, runs: int) -> int:
        """The width each of ``runs`` columns gets when they share what the label column leaves of ``table``."""
        pad = 2 * table.cell_padding
        return (usable_width(table) - label_width - pad) // max(1, runs) - pad

    def on_resize(self, event: events.Resize) -> None:
        if self.runs:
            self._show()  # the run columns share the new width

    @on(DataTable.RowHighlighted, "#compare-table")
    def _row_highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        """The cursor row in full under the table: its key and each run's whole value."""
        detail = self.query_one("#compare-detail", Static)
        table: DataTable[Any] = self.query_one("#compare-table", DataTable)
        comparison = self.comparison
        if comparison is None or not table.row_count:
            detail.update("")
            return
        key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        section, _, name = key.removeprefix(SECTION_KEY).partition(":")
        row = comparison.row(section, name)
        if row is None:
            detail.update(f"{section}: ↑↓ moves, the full values of the row under the cursor show here")
            return
        parts = [f"{head}: {full_value(v)}" for head, v in zip(comparison.headers(), row.values, strict=True)]
        detail.update(f"{row.section}.{row.key} — " + " · ".join(parts))

    def action_toggle_differences(self) -> None:
        """Show only the rows whose values differ between runs, or every row."""
        self.differences_only = not self.differences_only
        if self.runs:
            self._show()

    def action_plot(self) -> None:
        """Chart the metric under the cursor (or the most shared one) across these runs."""
        metric = None
        table: DataTable[Any] = self.query_one("#compare-table", DataTable)
        if table.row_count:
            row_key = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
            if row_key.startswith("metrics:"):
                metric = row_key.removeprefix("metrics:")
                known = {k for r in self.runs for k in r.metrics}
                base, _, aggregate = metric.rpartition(".")
                if metric not in known and aggregate in ("last", "min", "max") and base in known:
                    metric = base
        ids = [r.id for r in self.runs] or self.run_ids
        from .chart import ChartScreen

        self.app.push_screen(ChartScreen(self.store, ids, metric, self.refresh_interval))

    def action_reload(self) -> None:
        """Read the runs again."""
        self.load()
