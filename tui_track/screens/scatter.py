"""Scatter: one param or metric (x) against a metric (y) across the runs shown in the runs table.

Each point is a run; the cursor moves between points and the line under the chart says which
run it is. x and y are picked from lists, either axis can go log (refused, with the reason,
when a value is <= 0) and a param that is not a number lies on a categorical axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Footer, Static

from tracker_core.records import RunSummary

from ..formatting import plural, short_id
from ..widgets.axes import axis_keys, axis_label, build_axis, log_refusal, varying_params
from ..widgets.scatter import ScatterData, ScatterPlot
from .base import TrackerScreen
from .chart import shared_metric

if TYPE_CHECKING:
    from ..app import TuiTrackApp

JITTER = 0.3
"""How far (in category widths) points of one category spread sideways when jitter is on."""


def default_axes(runs: Sequence[RunSummary], y: str | None = None) -> tuple[str | None, str | None]:
    """The x and y a scatter opens with: ``y`` if the runs have that metric (else the most logged
    metric), x the param that varies and most runs have (else another metric)."""
    metrics, _ = axis_keys(runs)
    if y not in metrics:
        shared = shared_metric(runs)
        y = next((k for k in metrics if axis_label(k) == shared), None) if shared else None
    params = varying_params(runs)
    if params:  # the param most runs have (ties: by name)
        have = {k: sum(1 for r in runs if axis_label(k) in r.params) for k in params}
        x: str | None = min(params, key=lambda k: (-have[k], k.lower()))
    else:
        x = next((k for k in metrics if k != y), None)
    return x, y


def scatter_data(
    runs: Sequence[RunSummary], x_key: str, y_key: str, log_x: bool = False, log_y: bool = False, jitter: bool = True
) -> ScatterData:
    """The points of ``runs`` on these axes (what the screen's worker computes)."""
    x = build_axis(runs, x_key, log=log_x, jitter=JITTER if jitter else 0.0)
    y = build_axis(runs, y_key, log=log_y, jitter=JITTER if jitter else 0.0)
    return ScatterData.build(runs, x, y)


class ScatterScreen(TrackerScreen):
    """Runs as points: x a param or metric, y a metric; enter opens the run under the cursor."""

    HELP_TITLE: ClassVar[str] = "scatter"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "pick_x", "X axis"),
        Binding("y", "pick_y", "Y axis"),
        Binding("X", "toggle_log('x')", "Log x"),
        Binding("Y", "toggle_log('y')", "Log y"),
        Binding("J", "toggle_jitter", "Jitter categories", show=False),
        Binding("enter", "open_run", "Open run"),
    ]

    @dataclass
    class Computed(Message):
        """The points of the chosen axes (computed in a worker)."""

        data: ScatterData
        request: tuple[str, str, bool, bool, bool]

    def __init__(
        self, runs: Sequence[RunSummary], *, x: str | None = None, y: str | None = None, context: str = ""
    ) -> None:
        super().__init__()
        self.runs = list(runs)
        self.context = context
        default_x, default_y = default_axes(self.runs, y) if self.runs else (None, None)
        self.x_key = x or default_x
        self.y_key = default_y
        self.log_x = False
        self.log_y = False
        self.jitter = True
        self.data: ScatterData | None = None
        self.note = ""

    def compose(self) -> ComposeResult:
        yield Static("Scatter", id="scatter-title", classes="screen-title")
        yield ScatterPlot(id="scatter-plot")
        yield Static("", id="scatter-detail", classes="note")
        yield Footer()

    @property
    def plot(self) -> ScatterPlot:
        return self.query_one(ScatterPlot)

    def on_mount(self) -> None:
        self.plot.focus()
        self._recompute()

    # ------------------------------------------------------------------ computing (worker)
    def _request(self) -> tuple[str, str, bool, bool, bool]:
        assert self.x_key is not None and self.y_key is not None
        return self.x_key, self.y_key, self.log_x, self.log_y, self.jitter

    def _recompute(self) -> None:
        if not self.runs:
            self._set_title("no runs to draw: the runs table shows none (clear the filter with \\)")
            return
        if self.x_key is None or self.y_key is None:
            self._set_title("these runs logged no metrics: nothing to put on the y axis")
            return
        self.compute(self._request())

    @work(thread=True, exclusive=True, exit_on_error=False, group="scatter")
    def compute(self, request: tuple[str, str, bool, bool, bool]) -> None:
        """Each run's position on both axes (worker thread: 100,000 runs take a while)."""
        self.post_message(self.Computed(scatter_data(self.runs, *request), request))

    @on(Computed)
    def _computed(self, message: Computed) -> None:
        if message.request != self._request():
            return  # an older answer: the axes changed meanwhile
        keep = self.plot.cursor_run.id if self.plot.cursor_run else None
        self.data = data = message.data
        title = f"{data.y.label} vs {data.x.label}"
        self.plot.set_data(data, keep=keep)
        parts = [f"[b]{title}[/b]", plural(len(data.runs), "run")]
        if data.left_out:
            parts.append(f"{data.left_out} without both values left out")
        if data.x.log or data.y.log:
            parts.append("log " + " and ".join(a for a, axis in (("x", data.x), ("y", data.y)) if axis.log))
        if self.context:
            parts.append(self.context)
        self._set_title(" · ".join(parts), markup=True)

    def _set_title(self, text: str, markup: bool = False) -> None:
        self.query_one("#scatter-title", Static).update(text if markup else Text(text))

    # ------------------------------------------------------------------ the detail line
    @on(ScatterPlot.CursorMoved)
    def _cursor_moved(self, message: ScatterPlot.CursorMoved) -> None:
        self.note = ""
        self._show_detail()

    def _show_detail(self) -> None:
        self.query_one("#scatter-detail", Static).update(self.detail_text())

    def detail_text(self) -> Text:
        """The run under the cursor: name, id, x and y (and a refusal or hint after the last key)."""
        text = Text(no_wrap=True, overflow="ellipsis")
        run, data, i = self.plot.cursor_run, self.data, self.plot.cursor
        if self.note:
            text.append(self.note + "  ", style="bold")
        if run is None or data is None or i is None:
            text.append("no point under the cursor")
            return text
        text.append(f"› {run.name} ", style="bold")
        text.append(f"{short_id(run.id)} · {data.x.label}={data.x.text(i)} · {data.y.label}={data.y.text(i)}")
        text.append(f" · {self.plot.rank(i) + 1}/{len(data.runs)} by x · enter opens it")  # a narrow line cuts the end
        return text

    # ------------------------------------------------------------------ keys
    def action_pick_x(self) -> None:
        """Choose the x axis: any param or metric of these runs."""
        metrics, params = axis_keys(self.runs)
        self._pick("x axis", "Put on the x axis:", params + metrics, self.x_key, "x_key")

    def action_pick_y(self) -> None:
        """Choose the y axis: any metric of these runs."""
        metrics, _ = axis_keys(self.runs)
        self._pick("y axis", "Put on the y axis:", metrics, self.y_key, "y_key")

    def _pick(self, title: str, prompt: str, choices: list[str], current: str | None, attr: str) -> None:
        from .choice import ChoiceScreen

        if not choices:
            self.notify(f"nothing to choose for the {title}", severity="warning")
            return

        def chosen(key: str | None) -> None:
            if key is not None and key != getattr(self, attr):
                setattr(self, attr, key)
                axis = "x" if attr == "x_key" else "y"
                if getattr(self, f"log_{axis}"):
                    setattr(self, f"log_{axis}", False)  # the new column may not allow it; X/Y turns it on again
                self._recompute()

        self.app.push_screen(ChoiceScreen(title.capitalize(), prompt, choices, current), chosen)

    def action_toggle_log(self, axis: str) -> None:
        """Put the x or y axis on a log scale (refused when a value is <= 0 or the axis is categorical)."""
        attr = f"log_{axis}"
        if self.data is None:
            return
        if not getattr(self, attr):
            shown = self.data.x if axis == "x" else self.data.y
            refusal = log_refusal(shown.values, shown.label)
            if refusal is not None:
                self.note = refusal
                self._show_detail()
                self.notify(refusal, severity="warning")
                return
        setattr(self, attr, not getattr(self, attr))
        self._recompute()

    def action_toggle_jitter(self) -> None:
        """Spread the points of one category sideways (or line them up again)."""
        self.jitter = not self.jitter
        if self.data is not None and not (self.data.x.categorical or self.data.y.categorical):
            self.note = "jitter only moves points on a categorical axis"
            self._show_detail()
        self._recompute()

    def action_open_run(self) -> None:
        """Open the run under the cursor."""
        run = self.plot.cursor_run
        if run is not None:
            cast("TuiTrackApp", self.app).open_run(run.id)
