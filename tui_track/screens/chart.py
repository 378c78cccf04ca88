"""One metric overlaid across several runs: pick the metric, step or time on x, linear or log y."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.message import Message
from textual.widgets import Footer, Static

from tracker_core.compare import Comparison
from tracker_core.errors import TrackerError
from tracker_core.records import RUNNING, RunSummary
from tracker_core.store import Store

from ..formatting import plural
from ..widgets.chart import ChartLegend, MetricChart, MetricPicker, Series
from .base import TrackerScreen
from .chart_window import CHART_BINDINGS, ChartWindowActions

if TYPE_CHECKING:
    from tracker_core.history import Series as HistorySeries

MAX_SERIES = 12
"""Lines on one chart at most: more are unreadable in a terminal."""


def shared_metric(runs: Sequence[RunSummary]) -> str | None:
    """The metric logged by the most runs, then with the most points (ties: by name)."""
    logged_by: Counter[str] = Counter()
    points: Counter[str] = Counter()
    for run in runs:
        for key, summary in run.metrics.items():
            logged_by[key] += 1
            points[key] += summary.count
    if not logged_by:
        return None
    return min(logged_by, key=lambda k: (-logged_by[k], -points[k], k.lower()))


class ChartScreen(ChartWindowActions, TrackerScreen):
    """The history of one metric across runs (space or enter on a metric shows it)."""

    HELP_TITLE: ClassVar[str] = "chart"
    NARROW_FOOTER_HIDES: ClassVar[frozenset[str]] = frozenset({"toggle_log", "toggle_x_axis"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "focus_metrics", "Pick metric"),
        *CHART_BINDINGS,
        Binding("r", "reload", "Reload", show=False),
    ]

    @dataclass
    class RunsLoaded(Message):
        """The runs' summaries (for the metric list and labels); ``live``: read by a live tick."""

        runs: list[RunSummary]
        live: bool = False

    @dataclass
    class HistoriesLoaded(Message):
        """One metric's history in each run (runs that never logged it are left out)."""

        metric: str
        window: tuple[int, int] | None
        histories: list[tuple[RunSummary, HistorySeries]]
        live: bool = False

    def __init__(
        self, store: Store, run_ids: Sequence[str], metric: str | None = None, refresh_interval: float = 2.0
    ) -> None:
        super().__init__()
        self.store = store
        self.run_ids = list(run_ids)
        self.metric = metric
        self.refresh_interval = refresh_interval
        """Seconds between re-reads while one of the runs is still being written (the app's setting)."""
        self.runs: list[RunSummary] = []
        self.window: tuple[int, int] | None = None
        """The zoomed step range, or None for whole histories."""
        self.full_range: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"Loading {len(self.run_ids)} runs…", id="chart-title", classes="screen-title")
        with Horizontal(id="chart-body"):
            picker = MetricPicker(multiple=False, id="chart-metric-list")
            picker.border_title = "Metric"
            yield picker
            with Vertical(classes="chart-box"):
                yield MetricChart(id="chart-chart")
                yield ChartLegend(id="chart-chart-legend")
        yield Footer()

    @property
    def chart(self) -> MetricChart:
        return self.query_one("#chart-chart", MetricChart)

    def on_mount(self) -> None:
        self.query_one("#chart-metric-list", MetricPicker).focus()
        self.load_runs()
        self.set_interval(self.refresh_interval, self.tick, name="chart refresh")

    def tick(self) -> None:
        """Live refresh: while a run is being written, read the runs and their new points again."""
        busy = any(w.group in ("chart-runs", "chart-histories") and w.is_running for w in self.workers)
        if self.is_current and not busy and any(r.status == RUNNING for r in self.runs):
            self.load_runs(live=True)

    @work(thread=True, exclusive=True, exit_on_error=False, group="chart-runs")
    def load_runs(self, live: bool = False) -> None:
        """Read the runs' summaries (worker thread)."""
        runs = self.read_runs(self.store, self.run_ids)
        self.post_message(self.RunsLoaded(runs, live))

    @on(RunsLoaded)
    def _runs_loaded(self, message: RunsLoaded) -> None:
        self.runs = message.runs
        keys = sorted({k for r in self.runs for k in r.metrics}, key=str.lower)
        if self.metric not in keys:
            self.metric = shared_metric(self.runs)
        self.query_one("#chart-metric-list", MetricPicker).set_metrics(keys, [self.metric] if self.metric else [])
        if self.metric is None:
            self._set_title("these runs logged no metrics")
            self.chart.set_series([], "no metrics")
        else:
            self._load(live=message.live)

    def _load(self, live: bool = False) -> None:
        if self.metric is not None:
            self.load_histories(self.metric, self.chart.buckets, self.window, live)

    @work(thread=True, exclusive=True, exit_on_error=False, group="chart-histories")
    def load_histories(self, metric: str, buckets: int, window: tuple[int, int] | None, live: bool = False) -> None:
        """Read ``metric`` in each run, downsampled to ``buckets`` over the step ``window`` (worker thread)."""
        start, end = window if window else (None, None)
        histories = []
        for run in [r for r in self.runs if metric in r.metrics][:MAX_SERIES]:
            try:
                series = self.store.metric_series(run.id, metric, start=start, end=end, points=buckets)
                histories.append((run, series))
            except (TrackerError, OSError, ValueError) as exc:
                if not live:  # said once, not at every tick
                    self.notify(f"run {run.name}: {exc}", severity="warning")
        self.post_message(self.HistoriesLoaded(metric, window, histories, live))

    @on(HistoriesLoaded)
    def _histories_loaded(self, message: HistoriesLoaded) -> None:
        if message.metric != self.metric or message.window != self.window:
            return  # an older answer: another metric or range was picked meanwhile
        labels = dict(zip((r.id for r in self.runs), Comparison(self.runs).headers(), strict=True))
        series = [Series.from_history(labels[run.id], points, run.start_time) for run, points in message.histories]
        if self.window is None:
            steps = [(int(s.steps[0]), int(s.steps[-1])) for _, s in message.histories if len(s)]
            self.full_range = (min(a for a, _ in steps), max(b for _, b in steps)) if steps else None
        title = message.metric
        if self.window is not None:
            title += f" · steps {self.window[0]}..{self.window[1]} (0: whole history)"
        self.chart.set_series(series, title, in_background=message.live)
        logged = sum(1 for r in self.runs if message.metric in r.metrics)
        missing = len(self.runs) - logged
        notes = [f"{missing} never logged it"] if missing else []
        if logged > len(series):
            notes.append(f"first {len(series)} drawn")
        self._set_title(
            f"[b]{escape(message.metric)}[/b] across {plural(logged, 'run')}"
            + (f" ({'; '.join(notes)})" if notes else "")
        )

    def _set_title(self, text: str) -> None:
        self.query_one("#chart-title", Static).update(text)

    @on(MetricPicker.Changed, "#chart-metric-list")
    def _metric_picked(self, message: MetricPicker.Changed) -> None:
        if message.chosen and message.chosen[0] != self.metric:
            self.metric = message.chosen[0]
            self.window = None
            self._load()

    def _show_window(self) -> None:
        self._load()

    def action_focus_metrics(self) -> None:
        """Move to the metric list (space or enter shows the highlighted metric)."""
        self.query_one("#chart-metric-list", MetricPicker).focus()

    def action_reload(self) -> None:
        """Read the runs and the histories again."""
        self.load_runs()
