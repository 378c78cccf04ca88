"""Runs side by side: params, metrics, tags and environment, differences only on demand, best metric starred."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from tracker_core.config import Settings, load_settings
from tracker_core.errors import TrackerError
from tracker_core.records import RunSummary
from tracker_core.store import Store

from ..output import cell, duration, timestamp
from .base import TrackerScreen

if TYPE_CHECKING:
    from tracker_core.compare import Comparison

BEST_MARK = " ★"
DIFFERS_MARK = "≠ "
TIME_ATTRIBUTES = ("start_time", "end_time")
ID_ATTRIBUTES = ("id", "experiment_id", "parent_id")
SHORT_ID = 12


def shown_value(section: str, key: str, value: Any) -> str:
    """A compared value as table text: dates and durations readable, a traceback as its last line."""
    if value is None:
        return "-"
    if section == "attributes" and key in TIME_ATTRIBUTES:
        return timestamp(value)
    if section == "attributes" and key == "duration":
        return duration(value)
    if section == "attributes" and key in ID_ATTRIBUTES:
        return str(value)[:SHORT_ID]
    text = cell(value)
    lines = text.strip().splitlines()
    return lines[-1] if len(lines) > 1 else text


class CompareScreen(TrackerScreen):
    """A table with one column per run; ``d`` keeps only the rows that differ."""

    HELP_TITLE: ClassVar[str] = "compare"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "toggle_differences", "Differences only"),
        Binding("p", "plot", "Plot metric"),
        Binding("r", "reload", "Reload", show=False),
    ]

    class Loaded(Message):
        """The runs to compare and the settings that give metric directions."""

        def __init__(self, runs: list[RunSummary], settings: Settings) -> None:
            super().__init__()
            self.runs = runs
            self.settings = settings

    def __init__(self, store: Store, run_ids: Sequence[str]) -> None:
        super().__init__()
        self.store = store
        self.run_ids = list(run_ids)
        self.runs: list[RunSummary] = []
        self.settings = Settings()
        self.differences_only = False
        self.comparison: Comparison | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"Comparing {len(self.run_ids)} runs…", id="compare-title", classes="screen-title")
        table: DataTable[Any] = DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
        yield table
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
        table.add_column("", key="key")
        for label, run in zip(comparison.headers(), comparison.runs, strict=True):
            table.add_column(Text(label), key=run.id)
        section = None
        for row in comparison.rows:
            if row.section != section:
                section = row.section
                table.add_row(Text(section, style="bold underline"), *[""] * len(comparison.runs), key=f"§{section}")
            key = Text(f"{DIFFERS_MARK if row.differs else '  '}{row.key}", style="bold" if row.differs else "")
            texts = [shown_value(row.section, row.key, v) for v in row.values]
            values = [
                Text(t + BEST_MARK, style="bold green") if i == row.best_index else Text(t) for i, t in enumerate(texts)
            ]
            table.add_row(key, *values, key=f"{row.section}:{row.key}")
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep))
        shown = "differences only" if self.differences_only else "all rows"
        self.query_one("#compare-title", Static).update(
            f"Comparing [b]{len(comparison.runs)}[/b] runs · {shown} (d toggles) · {len(comparison.rows)} rows"
        )

    def action_toggle_differences(self) -> None:
        """Show only the rows whose values differ between runs, or every row."""
        self.differences_only = not self.differences_only
        if self.runs:
            self._show()

    def action_plot(self) -> None:
        """Chart the metric under the cursor (or the most shared one) across these runs."""
        from .chart import ChartScreen

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
        self.app.push_screen(ChartScreen(self.store, ids, metric))

    def action_reload(self) -> None:
        """Read the runs again."""
        self.load()
