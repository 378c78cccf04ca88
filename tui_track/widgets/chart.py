"""A metric history chart over textual-plotext: several series, step or time on x, linear or log y."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import RenderResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from tracker_core.records import MetricPoint

from ..formatting import ellipsize
from ..workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from tracker_core.history import Series as HistorySeries

X_AXES = ("step", "time")
SMOOTHING = 0.6
"""The EMA weight of the smoothed curve (TensorBoard's default slider position)."""
RAW_COLOR = "gray"
"""The raw curve behind a smoothed one."""
COLORS = ("blue+", "green+", "red+", "cyan+", "magenta+", "yellow", "blue", "green")
"""plotext's own cycle, named so a smoothed curve keeps its series' colour and the legend matches the lines."""
RICH_COLORS = {c: ("bright_" + c[:-1]) if c.endswith("+") else c for c in COLORS}
"""The same colours in Rich's names, for the legend."""
NO_COLOR_MARKERS = ("braille", "x", "+", "o", "*", "#", "@", "%")
"""Without colour, each series gets its own marker so overlaid lines stay apart."""
LINE_SYMBOL = "━"
"""A coloured series' sample in the legend (with NO_COLOR: its marker)."""


@dataclass(frozen=True)
class Series:
    """One line of the chart: a label and its points (x as step and as seconds since the first point)."""

    label: str
    steps: tuple[float, ...]
    seconds: tuple[float, ...]
    values: tuple[float, ...]

    @classmethod
    def from_points(cls, label: str, points: Iterable[MetricPoint], start: float | None = None) -> Series:
        """A series from a metric history, sorted by step; time counts from ``start`` (default: the first point)."""
        ordered = sorted(points, key=lambda p: (p.step, p.timestamp))
        t0 = start if start is not None else min((p.timestamp for p in ordered), default=0.0)
        return cls(
            label,
            tuple(float(p.step) for p in ordered),
            tuple(p.timestamp - t0 for p in ordered),
            tuple(p.value for p in ordered),
        )

    @classmethod
    def from_history(cls, label: str, history: HistorySeries, start: float | None = None) -> Series:
        """A series from a history's arrays (already sorted by step, usually downsampled to the chart)."""
        times = history.times.tolist()
        t0 = start if start is not None else min(times, default=0.0)
        return cls(
            label,
            tuple(float(s) for s in history.steps.tolist()),
            tuple(t - t0 for t in times),
            tuple(history.values.tolist()),
        )

    def xy(self, x_axis: str, log_scale: bool) -> tuple[list[float], list[float], int]:
        """The points to draw and how many were dropped (non-finite, or not positive on a log scale)."""
        xs_all = self.steps if x_axis == "step" else self.seconds
        xs: list[float] = []
        ys: list[float] = []
        for x, y in zip(xs_all, self.values, strict=True):
            if math.isfinite(y) and (y > 0 or not log_scale):
                xs.append(x)
                ys.append(y)
        return xs, ys, len(self.values) - len(ys)


class MetricChart(ReportsWorkerErrors, PlotextPlot):
    """Plots :class:`Series`; ``x_axis`` ("step"/"time") and ``log_scale`` redraw it when changed."""

    DEFAULT_CSS = """
    MetricChart {
        height: 1fr;
        min-height: 8;
        min-width: 30;
    }
    """

    x_axis: reactive[str] = reactive("step")
    log_scale: reactive[bool] = reactive(False)
    smoothing: reactive[bool] = reactive(False)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.series: list[Series] = []
        self.title = ""
        self.dropped = 0
        """Points left out of the last drawing (NaN/inf, or values <= 0 on a log scale)."""
        self.legend_entries: list[tuple[str, str, str]] = []
        """(label, plotext colour, marker) of each series drawn, for :class:`ChartLegend`."""
        self._drawn_width = -1
        self._built: tuple[tuple[int, int, str], Text] | None = None
        """(width, height, theme) and the drawing built for them."""
        self._generation = 0
        """Counts layouts: a background build of an older one is dropped."""
        self._shown = 0
        """The layout whose drawing is shown."""
        self.build_seconds = 0.0
        """Worker time of the last background build."""
        self.drawn_at = 0.0
        """``time.perf_counter()`` when the drawing shown was made (the frame is written out right after)."""

    def set_series(self, series: Sequence[Series], title: str = "", *, in_background: bool = False) -> None:
        """Replace what is drawn; the same series and title again (a live tick with no new point) are not redrawn.

        ``in_background``: a live tick's update, built by a worker (see :meth:`_draw`)."""
        if list(series) == self.series and title == self.title and self.series and self._drawn_width == self.size.width:
            return
        self.series = list(series)
        self.title = title
        self._draw(in_background=in_background)

    def toggle_x_axis(self) -> None:
        self.x_axis = "time" if self.x_axis == "step" else "step"

    def toggle_log_scale(self) -> None:
        self.log_scale = not self.log_scale

    def watch_x_axis(self) -> None:
        self._draw()

    def watch_log_scale(self) -> None:
        self._draw()

    def toggle_smoothing(self) -> None:
        self.smoothing = not self.smoothing

    def watch_smoothing(self) -> None:
        self._draw()

    @property
    def buckets(self) -> int:
        """How many step buckets fill the plot's width (two braille dots per cell)."""
        return max(100, 2 * (self.size.width or 80))

    @property
    def x_label(self) -> str:
        return "step" if self.x_axis == "step" else "seconds since run start"

    def _draw(self, in_background: bool = False) -> None:
        """Lay out the series on the figure; plotext draws it at the next render.

        ``in_background`` (a live tick): the drawing is built by a worker on a figure of its own and
        shown when done, the previous drawing staying up meanwhile, so the UI thread does not spend the
        ~0.1 s plotext takes at 120x40. The first drawing, and one a key asked for, are built at once.
        """
        self._drawn_width = self.size.width
        self.dropped = 0
        self.legend_entries = []
        no_color = bool(os.environ.get("NO_COLOR"))
        xs_seen: set[float] = set()
        ys_seen: set[float] = set()
        lines: list[tuple[list[float], list[float], str, str]] = []
        for i, s in enumerate(self.series):
            xs, ys, dropped = s.xy(self.x_axis, self.log_scale)
            self.dropped += dropped
            if not xs:
                continue
            color = COLORS[i % len(COLORS)]
            marker = NO_COLOR_MARKERS[i % len(NO_COLOR_MARKERS)] if no_color else "braille" if len(xs) > 1 else "dot"
            if self.smoothing and len(xs) > 1:
                from tracker_core.history import ema

                lines.append((xs, ys, marker, RAW_COLOR))  # the raw curve, faint behind
                lines.append((xs, ema(ys, SMOOTHING).tolist(), marker, color))
            else:
                lines.append((xs, ys, marker, color))
            self.legend_entries.append((s.label, color, marker))
            if len(xs_seen) < 2:
                xs_seen.update(xs)
            if len(ys_seen) < 2:
                ys_seen.update(ys)
        drawn = len(self.legend_entries)
        title = self.title
        if self.log_scale:
            title += " (log scale)"
        if self.smoothing:
            title += f" (smoothed: EMA {SMOOTHING})"
        if self.dropped:
            title += f" ({self.dropped} points not drawn: nan/inf" + (" or <= 0)" if self.log_scale else ")")
        if not drawn:
            title += " - nothing to draw"
        # plotext centres the title on the canvas (right of the y labels) and drops one that does not fit
        title = ellipsize(title.strip(), (self.size.width or 80) - 10)
        x_label, log_scale = self.x_label, self.log_scale and drawn

        def configure(plt: Plot) -> None:
            plt.clear_figure()
            for xs, ys, marker, color in lines:
                plt.plot(xs, ys, marker=marker, color=color)
            plt.title(title)
            plt.xlabel(x_label)
            if log_scale:
                plt.yscale("log")
            if len(xs_seen) == 1:  # one x (a single point): one tick there, not an invented range around it
                (x,) = xs_seen
                plt.xticks([x])
                plt.xlim(x - 1, x + 1)
            if len(ys_seen) == 1:  # one value (a single point or a constant metric): its tick only
                (y,) = ys_seen
                pad = abs(y) * 0.1 or 1.0
                plt.yticks([y])
                plt.ylim(y - pad, y + pad)

        configure(self.plt)  # what a render at another size (or theme) builds from
        self._update_legend()
        self._generation += 1
        if in_background and self._built is not None and self.is_attached:
            self._build_in_background(configure, self._generation, self.size.width, self.size.height)
        else:
            self._built = None
            self._shown = self._generation
            self.refresh()

    def render(self) -> RenderResult:
        """The drawing: the one built last while size and theme are unchanged, else built now."""
        key = (self.size.width, self.size.height, self.app.theme)
        if self._built is not None and self._built[0] == key:
            return self._built[1]
        text = self._build(self.plt, *key)
        self._built = (key, text)
        self.drawn_at = time.perf_counter()
        return text

    def _build(self, plot: Plot, width: int, height: int, theme: str) -> Text:
        """``plot`` drawn at ``width`` x ``height`` in the plotext theme made for the app's ``theme``."""
        plot.plotsize(width, height)
        plot._set_size(width, height)
        plot.theme(self._get_plotext_theme_name(theme))
        return Text.from_ansi(plot.build())

    @work(thread=True, exclusive=True, exit_on_error=False, group="chart-build")
    def _build_in_background(self, configure: Callable[[Plot], None], generation: int, width: int, height: int) -> None:
        """Build a drawing on a figure of its own (worker thread); shown unless a newer one was asked for."""
        started = time.perf_counter()
        theme = self.app.theme
        plot = Plot()
        configure(plot)
        text = self._build(plot, width, height, theme)
        self.build_seconds = time.perf_counter() - started
        self.app.call_from_thread(self._show_built, generation, (width, height, theme), text)

    def _show_built(self, generation: int, key: tuple[int, int, str], text: Text) -> None:
        if generation == self._generation:
            self._built = (key, text)
            self._shown = generation
            self.drawn_at = time.perf_counter()
            self.refresh()

    @property
    def drawn(self) -> bool:
        """Whether the latest layout has been drawn on the screen (rendered, not just laid out)."""
        return self._built is not None and self.up_to_date

    @property
    def up_to_date(self) -> bool:
        """Whether the drawing shown (or about to be, at the next render) is of the latest layout."""
        return self._shown == self._generation

    def legend(self) -> Text:
        """One entry per drawn series (its colour's line, or its marker without colour); empty for one series."""
        if len(self.legend_entries) < 2:
            return Text()
        no_color = bool(os.environ.get("NO_COLOR"))
        out = Text(no_wrap=True, overflow="ellipsis")
        for label, color, marker in self.legend_entries:
            if out:
                out.append("  ")
            if no_color:
                out.append(("⣿" if marker == "braille" else marker) + " " + label)
            else:
                out.append(LINE_SYMBOL + " ", style=RICH_COLORS[color])
                out.append(label)
        return out

    def _update_legend(self) -> None:
        if self.parent is not None:
            text = self.legend()
            for legend in self.parent.query_children(ChartLegend):
                legend.update(text)
                legend.display = bool(text.plain)


class ChartLegend(Static):
    """The series of the :class:`MetricChart` beside it, on one line under the plot (never over the data)."""

    DEFAULT_CSS = """
    ChartLegend {
        height: 1;
        padding: 0 1;
        display: none;
    }
    """


class MetricPicker(OptionList):
    """The metrics a chart can show; space or enter picks one (``multiple``: adds or removes it).

    Chosen metrics are marked with a filled dot, so the choice reads without colour too.
    """

    DEFAULT_CSS = """
    MetricPicker {
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("space", "select", "Pick metric", show=False)]

    @dataclass
    class Changed(Message):
        """The chosen metrics changed (in list order)."""

        picker: MetricPicker
        chosen: list[str]

        @property
        def control(self) -> MetricPicker:
            return self.picker

    def __init__(self, *, multiple: bool, id: str | None = None) -> None:
        super().__init__(id=id)
        self.multiple = multiple
        self.keys: list[str] = []
        self._chosen: set[str] = set()

    @property
    def chosen(self) -> list[str]:
        return [k for k in self.keys if k in self._chosen]

    def set_metrics(self, keys: Sequence[str], chosen: Iterable[str]) -> None:
        """Offer ``keys`` with ``chosen`` picked; keeps the highlight on the same metric where possible."""
        chosen = set(chosen)
        if list(keys) == self.keys and chosen & set(self.keys) == self._chosen:
            return  # a live tick with no new metric: the list is not rebuilt
        current = self.keys[self.highlighted] if self.highlighted is not None and self.keys else None
        self.keys = list(keys)
        self._chosen = set(chosen) & set(self.keys)
        if current not in self.keys and self.chosen:
            current = self.chosen[0]
        self._redraw()
        if self.keys:
            self.highlighted = self.keys.index(current) if current in self.keys else 0

    def _redraw(self) -> None:
        highlighted = self.highlighted
        self.clear_options()
        self.add_options([Option(Text(("● " if k in self._chosen else "○ ") + k), id=k) for k in self.keys])
        if highlighted is not None and self.keys:
            self.highlighted = min(highlighted, len(self.keys) - 1)

    def choose(self, key: str) -> None:
        """Pick ``key`` (or, with ``multiple``, add or remove it) and announce the change."""
        if key not in self.keys:
            return
        if not self.multiple:
            self._chosen = {key}
        elif key in self._chosen:
            self._chosen.discard(key)
        else:
            self._chosen.add(key)
        self._redraw()
        self.post_message(self.Changed(self, self.chosen))

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.choose(event.option.id)
