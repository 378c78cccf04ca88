"""The full view of one run: attributes, params, metrics, tags, environment, artifacts and a history chart."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.message import Message
from textual.widgets import Footer, Static

from tracker_core.errors import TrackerError
from tracker_core.records import RUNNING, ArtifactInfo, RunSummary
from tracker_core.store import Store
from tracker_core.system_metrics import is_system_metric

from ..describe import environment_rows, metric_rows, run_rows
from ..formatting import cell, duration, timestamp
from ..run_sections import system_metric_rows
from ..widgets.chart import ChartLegend, MetricChart, MetricPicker, Series
from ..widgets.details import human_size
from ..widgets.facts import FactsTable
from .base import TrackerScreen
from .chart_window import CHART_BINDINGS, ChartWindowActions

if TYPE_CHECKING:
    from tracker_core.history import LiveHistory
    from tracker_core.history import Series as HistorySeries

VIEWS = ("both", "chart", "details")
DEFAULT_REFRESH = 2.0
SAMPLE_SHOWN_WAIT = 2.0
"""Seconds the load worker waits for a history's sample to reach the screen before building the index."""
KEY_VALUE_TABLES = ("run-attributes", "run-env")
WRAPPED_TABLES = ("run-params", "run-attributes", "run-tags", "run-env")
"""Tables whose last column is a free-form value: wrapped to the table's width, never cut."""


def default_metric(counts: dict[str, int]) -> str | None:
    """The metric to chart first: the one with the longest history (ties: by name)."""
    if not counts:
        return None
    return min(counts, key=lambda k: (is_system_metric(k), -counts[k], k.lower()))  # the run's own first


class RunScreen(ChartWindowActions, TrackerScreen):
    """Everything about one run, and its metric histories on a chart (choose the metrics with space)."""

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-narrow"), (110, "-wide")]  # type: ignore[misc]
    HELP_TITLE: ClassVar[str] = "run"
    NARROW_FOOTER_HIDES: ClassVar[frozenset[str]] = frozenset({"toggle_log", "toggle_x_axis", "artifacts"})
    WIDE_FOOTER: ClassVar[int] = 135
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "focus_metrics", "Pick metric"),
        Binding("v", "cycle_view", "Layout"),
        *CHART_BINDINGS,
        Binding("a", "artifacts", "Artifacts"),
        Binding("p", "reproduce", "Reproduce", show=False),  # in the help (?): the footer is full
        Binding("r", "reload", "Reload", show=False),
    ]

    @dataclass
    class Loaded(Message):
        """A run's summary, how many points each metric has, artifacts and experiment name, read by the worker."""

        run: RunSummary
        experiment_name: str | None
        counts: dict[str, int]
        artifacts: list[ArtifactInfo]
        chart: RunScreen.ChartReady | None

    @dataclass
    class ChartReady(Message):
        """The chosen metrics downsampled to the chart's width (over the zoomed step range, if any)."""

        keys: list[str]
        window: tuple[int, int] | None
        series: list[Series]
        full: tuple[int, int] | None
        seconds: float
        sampled: bool = False
        """Drawn from a preview's sample of the file while the history index is built."""
        live: bool = False
        """A live tick's update (drawn by a worker, the previous drawing staying up meanwhile)."""

    def __init__(self, store: Store, run_id: str, refresh_interval: float = DEFAULT_REFRESH) -> None:
        super().__init__()
        self.store = store
        self.run_id = run_id
        self.refresh_interval = refresh_interval
        """Seconds between re-reads of a run still being written (the app's setting)."""
        self.run: RunSummary | None = None
        self.counts: dict[str, int] = {}
        """Points per metric, as of the last read."""
        self.live: LiveHistory | None = None
        """The run's histories: read whole once (from the history index), then only the new lines."""
        self._live_lock = threading.Lock()
        self.window: tuple[int, int] | None = None
        """The zoomed step range, or None for the whole history."""
        self.full_range: tuple[int, int] | None = None
        self.view = "both"
        self._chart_keys: list[str] = []
        """The metrics on the chart (set on the UI thread, read by the load worker)."""
        self._buckets = 160
        self.sampled = False
        """The chart shows a preview's sample (the history index is still being built)."""
        self.worker_seconds: dict[str, float] = {}
        """Worker time of the last history read ("load") and chart preparation ("chart")."""

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
                    ("run-system", "System"),
                    ("run-artifacts", "Artifacts"),
                ):
                    table = FactsTable(
                        id=table_id,
                        cursor_type="row",
                        classes="facts",
                        show_header=table_id not in KEY_VALUE_TABLES,
                        wrap_last=table_id in WRAPPED_TABLES,
                    )
                    table.border_title = title
                    yield table
            with Horizontal(id="run-plot"):
                metrics = MetricPicker(multiple=True, id="run-metric-list")
                metrics.border_title = "Metrics"
                metrics.border_subtitle = "space picks"
                yield metrics
                with Vertical(classes="chart-box"):
                    yield MetricChart(id="run-chart")
                    yield ChartLegend(id="run-chart-legend")
        yield Footer()

    def on_mount(self) -> None:
        self.load()
        self.set_interval(self.refresh_interval, self._refresh_if_running)

    def _refresh_if_running(self) -> None:
        """Follow a run that is still being written: new points, metrics and status appear by themselves."""
        if self.run is not None and self.run.status == RUNNING and self.is_current:
            self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="run-load")
    def load(self) -> None:
        """Read the run, its new history lines and artifacts (worker thread; posts :class:`Loaded`).

        A history whose index lags far behind (a long run opened for the first time) is shown first as a
        sample of spans of the file (:meth:`Store.preview_history`) while the index is built."""
        try:
            run = self.store.get_run(self.run_id)
            try:
                experiment_name: str | None = self.store.get_experiment(run.experiment_id).name
            except TrackerError:
                experiment_name = None
            artifacts = self.store.list_artifacts(run.id)
            started = time.perf_counter()
            with self._live_lock:
                if self.live is None:
                    sample = self.store.preview_history(run.id)
                    if sample is not None:
                        counts = {k: s.total for k, s in sample.items()}
                        chart = self._prepare(
                            self._keys_for(counts), self._buckets, self.window, run, sample.__getitem__
                        )
                        self.post_message(self.Loaded(run, experiment_name, counts, artifacts, chart))
                        self._wait_until_drawn()  # on screen before the build takes the CPU (and the GIL)
                    self.live = self.store.follow_history(run.id)
                    tick = False
                else:
                    self.live.update()  # only the lines appended since the last tick
                    tick = True
                live = self.live
                counts = {k: live.count(k) for k in live.keys}
                self.worker_seconds["load"] = time.perf_counter() - started
                chart = self._prepare(self._keys_for(counts), self._buckets, self.window, run, live.series, tick)
        except (TrackerError, OSError, ValueError) as exc:
            self.notify(f"cannot read run {self.run_id[:8]}: {exc}", severity="error", timeout=8)
            return
        self.post_message(self.Loaded(run, experiment_name, counts, artifacts, chart))

    def _wait_until_drawn(self) -> None:
        """Wait (in the worker) until the chart shows something, at most :data:`SAMPLE_SHOWN_WAIT` seconds."""
        deadline = time.monotonic() + SAMPLE_SHOWN_WAIT
        chart = self.chart
        while time.monotonic() < deadline and self.is_attached and not (chart.series and chart.drawn):
            time.sleep(0.01)

    def _keys_for(self, counts: dict[str, int]) -> list[str]:
        """The chosen metrics that have points, or the default one."""
        keys = [k for k in self._chart_keys if k in counts]
        if not keys and (first := default_metric(counts)) is not None:
            keys = [first]
        return keys

    @work(thread=True, exclusive=True, exit_on_error=False, group="run-chart")
    def prepare_chart(self, keys: list[str], buckets: int, window: tuple[int, int] | None) -> None:
        """Downsample the chosen metrics to ``buckets`` over ``window`` (worker thread; posts :class:`ChartReady`)."""
        try:
            with self._live_lock:
                live = self.live
                chart = self._prepare(keys, buckets, window, self.run, live.series) if live is not None else None
        except (TrackerError, OSError, ValueError) as exc:
            self.notify(f"cannot draw run {self.run_id[:8]}: {exc}", severity="error", timeout=8)
            return
        if chart is not None:
            self.post_message(chart)

    def _prepare(
        self,
        keys: list[str],
        buckets: int,
        window: tuple[int, int] | None,
        run: RunSummary | None,
        series_of: Callable[[str], HistorySeries],
        live: bool = False,
    ) -> RunScreen.ChartReady | None:
        """The chart's series (in a worker): each key over ``window``, at most ~3 points per bucket."""
        if not keys:
            return None
        started = time.perf_counter()
        start, end = window if window else (None, None)
        series: list[Series] = []
        lows: list[int] = []
        highs: list[int] = []
        sampled = False
        for key in keys:
            whole = series_of(key)
            sampled |= whole.downsampled  # a preview's sample
            if len(whole):
                lows.append(int(whole.steps[0]))
                highs.append(int(whole.steps[-1]))
            part = whole.between(start, end) if window else whole
            series.append(Series.from_history(key, part.downsample(buckets), run.start_time if run else None))
        full = (min(lows), max(highs)) if lows else None
        return self.ChartReady(keys, window, series, full, time.perf_counter() - started, sampled, live)

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        run = self.run = message.run
        self.counts = message.counts
        experiment = escape(message.experiment_name or run.experiment_id)
        self.query_one("#run-title", Static).update(
            f"[b]{escape(run.name)}[/b] {run.status} {run.id[:8]} · {experiment}"
            f" · {timestamp(run.start_time)} · {duration(run.duration)}"
        )
        self._fill_facts(message)
        self._fill_metric_list(run, message.chart)

    def _fill_facts(self, message: Loaded) -> None:
        """The details tables; the free-form values wrap to the tables' width."""
        run = message.run
        self.query_one("#run-attributes", FactsTable).show(
            ("", ""),
            run_rows(run, message.experiment_name),
            "-",
        )
        self.query_one("#run-params", FactsTable).show(
            ("param", "value"),
            ((k, cell(v)) for k, v in sorted(run.params.items())),
            "no params",
        )
        self.query_one("#run-metrics", FactsTable).show(
            ("metric", "last", "min", "max", "points"),
            [row for row in metric_rows(run) if not is_system_metric(row[0])],
            "no metrics",
        )
        self._fill_system(run)
        self.query_one("#run-tags", FactsTable).show(
            ("tag", "value"),
            ((k, cell(v)) for k, v in sorted(run.tags.items())),
            "no tags",
        )
        self.query_one("#run-env", FactsTable).show(("", ""), environment_rows(run), "-")
        self.query_one("#run-artifacts", FactsTable).show(
            ("path", "size"),
            ((a.path + ("/" if a.is_dir else ""), "" if a.is_dir else human_size(a.size)) for a in message.artifacts),
            "no artifacts",
        )

    def _fill_system(self, run: RunSummary) -> None:
        """The System section: the run's system/ metrics, apart from its own (hidden when it has none)."""
        rows = system_metric_rows(run)
        system = self.query_one("#run-system", FactsTable)
        system.display = bool(rows)
        system.show(("system", "last", "min", "max", "samples"), rows, "-")

    def _fill_metric_list(self, run: RunSummary, chart: RunScreen.ChartReady | None) -> None:
        picker = self.query_one("#run-metric-list", MetricPicker)
        chosen = set(picker.chosen) & set(self.counts)
        if not chosen and (first := default_metric(self.counts)) is not None:
            chosen = {first}
        keys = set(run.metrics) | set(self.counts)
        picker.set_metrics(sorted(keys, key=lambda k: (is_system_metric(k), k.lower())), chosen)  # system/ last
        if chart is not None and chart.keys == self.chosen_metrics and chart.window == self.window:
            self._chart_ready(chart)  # the worker drew what is chosen already
        else:
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
        """Ask the chart worker for the chosen metrics, sized to the chart (the UI thread never reads them)."""
        keys = [k for k in self.chosen_metrics if k in self.counts]
        self._chart_keys = keys
        self._buckets = self.chart.buckets
        if not keys:
            self.chart.set_series([], "choose metrics with m, then space")
            return
        self.prepare_chart(keys, self._buckets, self.window)

    @on(ChartReady)
    def _chart_ready(self, message: ChartReady) -> None:
        if message.keys != self.chosen_metrics or message.window != self.window:
            return  # an older answer: the choice or the zoom changed meanwhile
        self._chart_keys = message.keys
        self.worker_seconds["chart"] = message.seconds
        self.full_range = message.full
        self.sampled = message.sampled
        title = ", ".join(message.keys)
        if self.window is not None:
            title += f" · steps {self.window[0]}..{self.window[1]} (0: whole history)"
        if message.sampled:
            title += " · a sample: reading the whole history…"
        self.chart.set_series(message.series, title, in_background=message.live)

    # ------------------------------------------------------------ actions
    def _show_window(self) -> None:
        self._draw_chart()

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

    def action_reproduce(self) -> None:
        """How to get this run back: checkout, patch, packages, command; its interruptions."""
        from .reproduce import ReproduceScreen

        self.app.push_screen(ReproduceScreen(self.store, self.run.id if self.run else self.run_id))

    def action_reload(self) -> None:
        """Read the run again from disk."""
        self.load()
