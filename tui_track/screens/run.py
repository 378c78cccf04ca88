"""The full view of one run: attributes, params, metrics, tags, environment, artifacts and a history chart."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from tracker_core.errors import TrackerError
from tracker_core.records import RUNNING, ArtifactInfo, MetricPoint, RunSummary
from tracker_core.store import Store

from ..describe import environment_rows, metric_rows, run_rows
from ..formatting import cell, duration, timestamp
from ..widgets.chart import MetricChart, MetricPicker, Series
from ..widgets.details import human_size
from .base import TrackerScreen, plain

VIEWS = ("both", "chart", "details")
DEFAULT_REFRESH = 2.0
KEY_VALUE_TABLES = ("run-attributes", "run-env")


def fill_table(table: DataTable[Any], columns: Sequence[str], rows: Iterable[Sequence[str]], empty: str) -> None:
    """Replace a table's columns and rows (one placeholder row when there is nothing); the cursor stays."""
    cursor = table.cursor_row
    table.clear(columns=True)
    table.add_columns(*plain(*columns))
    added = 0
    for row in rows:
        table.add_row(*plain(*row))
        added += 1
    if not added:
        table.add_row(empty, *([""] * (len(columns) - 1)))
    table.move_cursor(row=min(cursor, table.row_count - 1), animate=False)


def default_metric(histories: dict[str, list[MetricPoint]]) -> str | None:
    """The metric to chart first: the one with the longest history (ties: by name)."""
    if not histories:
        return None
    return min(histories, key=lambda k: (-len(histories[k]), k.lower()))


class RunScreen(TrackerScreen):
    """Everything about one run, and its metric histories on a chart (choose the metrics with space)."""

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-narrow"), (110, "-wide")]  # type: ignore[misc]
    HELP_TITLE: ClassVar[str] = "run"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "toggle_x_axis", "X: step/time"),
        Binding("l", "toggle_log", "Log y"),
        Binding("m", "focus_metrics", "Pick metric"),
        Binding("v", "cycle_view", "Layout"),
        Binding("a", "artifacts", "Artifacts"),
        Binding("r", "reload", "Reload", show=False),
    ]

    class Loaded(Message):
        """A run's summary, metric histories, artifacts and experiment name, read by the worker."""

        def __init__(
            self,
            run: RunSummary,
            experiment_name: str | None,
            histories: dict[str, list[MetricPoint]],
            artifacts: list[ArtifactInfo],
        ) -> None:
            super().__init__()
            self.run = run
            self.experiment_name = experiment_name
            self.histories = histories
            self.artifacts = artifacts

    def __init__(self, store: Store, run_id: str) -> None:
        super().__init__()
        self.store = store
        self.run_id = run_id
        self.run: RunSummary | None = None
        self.histories: dict[str, list[MetricPoint]] = {}
        self.view = "both"

    def compose(self) -> ComposeResult:
        yield Static(f"Run {self.run_id[:8]}: loading…", id="run-title", classes="screen-title")
        with Horizontal(id="run-body"):
            with VerticalScroll(id="run-details"):
                for table_id, title in (
                    ("run-params", "Params"),
                    ("run-metrics", "Metrics"),
                    ("run-attributes", "Run"),
                    ("run-tags", "Tags"),
                    ("run-env", "Environment"),
                    ("run-artifacts", "Artifacts"),
                ):
                    table: DataTable[Any] = DataTable(
                        id=table_id, cursor_type="row", classes="facts", show_header=table_id not in KEY_VALUE_TABLES
                    )
                    table.border_title = title
                    yield table
            with Horizontal(id="run-plot"):
                metrics = MetricPicker(multiple=True, id="run-metric-list")
                metrics.border_title = "Metrics"
                metrics.border_subtitle = "space picks"
                yield metrics
                yield MetricChart(id="run-chart")
        yield Footer()

    def on_mount(self) -> None:
        self.load()
        interval = float(getattr(self.app, "refresh_interval", DEFAULT_REFRESH))
        self.set_interval(interval, self._refresh_if_running)

    def _refresh_if_running(self) -> None:
        """Follow a run that is still being written: new points, metrics and status appear by themselves."""
        if self.run is not None and self.run.status == RUNNING and self.is_current:
            self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="run-load")
    def load(self) -> None:
        """Read the run, its histories and artifacts (worker thread; posts :class:`Loaded`)."""
        try:
            run = self.store.get_run(self.run_id)
            try:
                experiment_name: str | None = self.store.get_experiment(run.experiment_id).name
            except TrackerError:
                experiment_name = None
            histories = self.store.metric_histories(run.id)
            artifacts = self.store.list_artifacts(run.id)
        except (TrackerError, OSError) as exc:
            self.notify(f"cannot read run {self.run_id[:8]}: {exc}", severity="error", timeout=8)
            return
        self.post_message(self.Loaded(run, experiment_name, histories, artifacts))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        run = self.run = message.run
        self.histories = message.histories
        experiment = escape(message.experiment_name or run.experiment_id)
        self.query_one("#run-title", Static).update(
            f"[b]{escape(run.name)}[/b] {run.status} {run.id[:8]} · {experiment}"
            f" · {timestamp(run.start_time)} · {duration(run.duration)}"
        )
        fill_table(self.query_one("#run-attributes", DataTable), ("", ""), run_rows(run, message.experiment_name), "-")
        fill_table(
            self.query_one("#run-params", DataTable),
            ("param", "value"),
            ((k, cell(v)) for k, v in sorted(run.params.items())),
            "no params",
        )
        fill_table(
            self.query_one("#run-metrics", DataTable),
            ("metric", "last", "min", "max", "points"),
            metric_rows(run),
            "no metrics",
        )
        fill_table(
            self.query_one("#run-tags", DataTable),
            ("tag", "value"),
            ((k, cell(v)) for k, v in sorted(run.tags.items())),
            "no tags",
        )
        fill_table(self.query_one("#run-env", DataTable), ("", ""), environment_rows(run), "-")
        fill_table(
            self.query_one("#run-artifacts", DataTable),
            ("path", "size"),
            ((a.path + ("/" if a.is_dir else ""), "" if a.is_dir else human_size(a.size)) for a in message.artifacts),
            "no artifacts",
        )
        self._fill_metric_list(run)

    def _fill_metric_list(self, run: RunSummary) -> None:
        picker = self.query_one("#run-metric-list", MetricPicker)
        chosen = set(picker.chosen) & set(self.histories)
        if not chosen and (first := default_metric(self.histories)) is not None:
            chosen = {first}
        picker.set_metrics(sorted(set(run.metrics) | set(self.histories), key=str.lower), chosen)
        self._draw_chart()

    @on(MetricPicker.Changed, "#run-metric-list")
    def _metrics_changed(self) -> None:
        self._draw_chart()

    @property
    def chart(self) -> MetricChart:
        return self.query_one("#run-chart", MetricChart)

    @property
    def chosen_metrics(self) -> list[str]:
        """The metrics on the chart, in list order."""
        return self.query_one("#run-metric-list", MetricPicker).chosen

    def _draw_chart(self) -> None:
        keys = [k for k in self.chosen_metrics if k in self.histories]
        start = self.run.start_time if self.run else None
        series = [Series.from_points(k, self.histories[k], start) for k in keys]
        title = ", ".join(keys) if keys else "choose metrics with m, then space"
        self.chart.set_series(series, title)

    # ------------------------------------------------------------ actions
    def action_toggle_x_axis(self) -> None:
        """Switch the chart's x axis between step and time."""
        self.chart.toggle_x_axis()

    def action_toggle_log(self) -> None:
        """Switch the chart's y axis between linear and log scale."""
        self.chart.toggle_log_scale()

    def action_focus_metrics(self) -> None:
        """Move to the metric list (space adds or removes a metric from the chart)."""
        if self.view == "details":
            self.action_cycle_view()
        self.query_one("#run-metric-list", MetricPicker).focus()

    def action_cycle_view(self) -> None:
        """Show details and chart, then the chart alone, then the details alone."""
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        for name in VIEWS:
            self.set_class(self.view == name, f"-view-{name}")

    def action_artifacts(self) -> None:
        """Browse and preview this run's artifacts."""
        from .artifacts import ArtifactsScreen

        self.app.push_screen(ArtifactsScreen(self.store, self.run.id if self.run else self.run_id))

    def action_reload(self) -> None:
        """Read the run again from disk."""
        self.load()
