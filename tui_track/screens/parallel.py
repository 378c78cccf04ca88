"""Parallel coordinates: the chosen params and one metric as vertical axes across the shown runs.

Lines are coloured (without colour: marked) by the metric's quantile; up/down highlight the run
with the next higher or lower metric and the line under the chart says which run it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Footer, Static

from tracker_core.records import RunSummary

from ..formatting import plural, short_id
from ..widgets.axes import axis_keys, axis_label, build_axis, varying_params
from ..widgets.parallel import MAX_LINES, ParallelData, ParallelPlot
from .base import TrackerScreen
from .scatter import default_axes

if TYPE_CHECKING:
    from ..app import TuiTrackApp


class ParallelScreen(TrackerScreen):
    """Params and a metric as parallel axes; enter opens the highlighted run."""

    HELP_TITLE: ClassVar[str] = "parallel coordinates"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "pick_axes", "Axes"),
        Binding("m", "pick_metric", "Metric"),
        Binding("enter", "open_run", "Open run"),
    ]
    WIDE_FOOTER: ClassVar[int] = 90

    @dataclass
    class Computed(Message):
        """The axes over the runs (computed in a worker)."""

        data: ParallelData
        request: tuple[tuple[str, ...], str]

    def __init__(self, runs: Sequence[RunSummary], *, metric: str | None = None, context: str = "") -> None:
        super().__init__()
        self.runs = list(runs)
        self.context = context
        self.metric = default_axes(self.runs, metric)[1] if self.runs else None
        self.params = varying_params(self.runs)
        self.data: ParallelData | None = None

    def compose(self) -> ComposeResult:
        yield Static("Parallel coordinates", id="parallel-title", classes="screen-title")
        yield ParallelPlot(id="parallel-plot")
        yield Static("", id="parallel-legend", classes="note")
        yield Static("", id="parallel-detail", classes="note")
        yield Footer()

    @property
    def plot(self) -> ParallelPlot:
        return self.query_one(ParallelPlot)

    def on_mount(self) -> None:
        self.plot.focus()
        self._recompute()

    def _request(self) -> tuple[tuple[str, ...], str]:
        assert self.metric is not None
        return tuple(self.params), self.metric

    def _recompute(self) -> None:
        if not self.runs:
            self._set_title("no runs to draw: the runs table shows none (clear the filter with \\)")
            return
        if self.metric is None:
            self._set_title("these runs logged no metrics: nothing to colour the lines by")
            return
        self.compute(self._request())

    @work(thread=True, exclusive=True, exit_on_error=False, group="parallel")
    def compute(self, request: tuple[tuple[str, ...], str]) -> None:
        """Each run's position on every axis (worker thread)."""
        params, metric = request
        axes = [build_axis(self.runs, key) for key in params]
        self.post_message(self.Computed(ParallelData.build(self.runs, axes, build_axis(self.runs, metric)), request))

    @on(Computed)
    def _computed(self, message: Computed) -> None:
        if message.request != self._request():
            return  # an older answer: the axes changed meanwhile
        keep = self.plot.cursor_run.id if self.plot.cursor_run else None
        self.data = message.data
        self.plot.set_data(message.data, keep)
        self._show_legend()

    def _show_legend(self) -> None:
        self.query_one("#parallel-legend", Static).update(self.plot.legend(self.size.width or self.app.size.width))

    def on_resize(self, event: events.Resize) -> None:
        self._show_legend()

    def _title(self) -> str:
        data = self.data
        if data is None:
            return "Parallel coordinates"
        parts = [f"[b]{len(data.params)} params · {data.metric.label}[/b]", plural(len(data.runs), "run")]
        if note := self.plot.hidden_note():  # first: how to see the other axes (a narrow screen cuts the end)
            parts.append(note)
        if len(data.runs) > MAX_LINES:
            parts.append(f"{MAX_LINES} lines drawn, spread over the {data.metric.label} ranks")
        if data.left_out:
            parts.append(f"{data.left_out} without {data.metric.label} left out")
        if self.context:
            parts.append(self.context)
        return " · ".join(parts)

    def _set_title(self, text: str, markup: bool = False) -> None:
        self.query_one("#parallel-title", Static).update(text if markup else Text(text))

    @on(ParallelPlot.CursorMoved)
    def _cursor_moved(self) -> None:
        self._set_title(self._title(), markup=True)
        self.query_one("#parallel-detail", Static).update(self.detail_text())

    def detail_text(self) -> Text:
        """The highlighted run: name, id, its metric and its value on each shown axis."""
        text = Text(no_wrap=True, overflow="ellipsis")
        run, data, i = self.plot.cursor_run, self.data, self.plot.cursor
        if run is None or data is None or i is None:
            text.append("no run highlighted")
            return text
        text.append(f"› {run.name} ", style="bold")
        text.append(f"{short_id(run.id)} · {data.metric.label}={data.metric.text(i)} ({i + 1}/{len(data.runs)})")
        for axis in self.plot.shown_params():
            text.append(f" · {axis.label}={axis.text(i)}")
        return text

    # ------------------------------------------------------------------ keys
    def action_pick_axes(self) -> None:
        """Choose the params shown as axes (space ticks, enter applies)."""
        from .columns import ColumnPicker

        _, params = axis_keys(self.runs)
        if not params:
            self.notify("these runs have no params", severity="warning")
            return

        def chosen(keys: list[str] | None) -> None:
            if keys is not None:
                self.params = [k for k in params if k in keys]
                self._recompute()

        shown = set(self.params)
        self.app.push_screen(ColumnPicker([(k, axis_label(k), k in shown) for k in params]), chosen)

    def action_pick_metric(self) -> None:
        """Choose the metric of the last axis (the lines' colour)."""
        from .choice import ChoiceScreen

        metrics, _ = axis_keys(self.runs)
        if not metrics:
            self.notify("these runs logged no metrics", severity="warning")
            return

        def chosen(key: str | None) -> None:
            if key is not None and key != self.metric:
                self.metric = key
                self._recompute()

        self.app.push_screen(ChoiceScreen("Metric", "Colour the lines by:", metrics, self.metric), chosen)

    def action_open_run(self) -> None:
        """Open the highlighted run."""
        run = self.plot.cursor_run
        if run is not None:
            cast("TuiTrackApp", self.app).open_run(run.id)
