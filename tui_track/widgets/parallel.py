"""Parallel coordinates over textual-plotext: params and one metric as vertical axes, a line per run.

Each axis is scaled to its own range (a categorical one spaces its values evenly; a run without
a value sits on the ``n/a`` level below). Lines are coloured by the metric's quantile and, without
colour (NO_COLOR), drawn with a glyph per quantile; :meth:`ParallelPlot.legend` explains both.
When the axes do not fit the width, a window of them shows and ``[``/``]`` scroll it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual_plotext import PlotextPlot

from tracker_core.records import RunSummary

from ..formatting import cell, ellipsize
from .axes import Axis, label_room

QUANTILE_COLORS = ("blue", "cyan", "green", "yellow", "red")
"""Low to high metric values."""
QUANTILE_MARKERS = (":", "+", "x", "o", "#")
"""Without colour, each quantile's lines are drawn with its own glyph."""
HIGHLIGHT_MARKER = "•"
AXIS_COLS = 13
"""Columns each axis needs (its label and range)."""
MAX_LINES = 600
"""Lines drawn at most (spread evenly over the metric's ranks); more only smear the picture."""
MISSING = -0.12
"""Where a run without a value on an axis crosses it (below the axis' range)."""


@dataclass(frozen=True)
class ParallelData:
    """Runs with the metric, ordered by it (ascending); param axes and the metric axis over them."""

    runs: tuple[RunSummary, ...]
    params: tuple[Axis, ...]
    metric: Axis
    left_out: int

    @classmethod
    def build(cls, runs: Sequence[RunSummary], params: Sequence[Axis], metric: Axis) -> ParallelData:
        """Keep the runs with a value of ``metric`` (all axes built over ``runs``), sorted by it."""
        keep = sorted(
            (i for i, p in enumerate(metric.positions) if p is not None),
            key=lambda i: (metric.positions[i], runs[i].name),
        )

        def sub(axis: Axis) -> Axis:
            return Axis(
                axis.key,
                tuple(axis.values[i] for i in keep),
                tuple(axis.positions[i] for i in keep),
                axis.categories,
                axis.log,
            )

        return cls(tuple(runs[i] for i in keep), tuple(sub(a) for a in params), sub(metric), len(runs) - len(keep))

    def quantile(self, i: int) -> int:
        """The metric quantile (0 lowest .. len(QUANTILE_COLORS)-1) of run ``i`` (runs are in metric order)."""
        return min(len(QUANTILE_COLORS) - 1, i * len(QUANTILE_COLORS) // max(1, len(self.runs)))

    def quantile_ranges(self) -> list[tuple[float, float]]:
        """The metric's lowest and highest value in each quantile that has runs."""
        groups: dict[int, list[float]] = {}
        for i, v in enumerate(self.metric.values):
            groups.setdefault(self.quantile(i), []).append(v)
        return [(min(vs), max(vs)) for _, vs in sorted(groups.items())]


def _level(axis: Axis, i: int) -> float:
    """Run ``i``'s height on ``axis``, 0..1 (MISSING when it has no value)."""
    pos = axis.positions[i]
    if pos is None:
        return MISSING
    lo, hi = axis.span()
    return (pos - lo) / (hi - lo)


SCROLL_AXES = Binding.Group("Scroll axes", compact=True)
"""The two axis-scrolling keys, shown in the footer as one entry (``[]``)."""


class ParallelPlot(PlotextPlot, can_focus=True):
    """Draws :class:`ParallelData`; ``cursor`` is the highlighted run (an index into the data's runs)."""

    DEFAULT_CSS = """
    ParallelPlot { height: 1fr; min-height: 8; min-width: 30; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(1)", "Higher metric", show=False),
        Binding("down,j", "move(-1)", "Lower metric", show=False),
        Binding("pageup", "move(10)", "Ten runs up", show=False),
        Binding("pagedown", "move(-10)", "Ten runs down", show=False),
        Binding("home", "end(-1)", "Best (highest) run", show=False),
        Binding("end", "end(0)", "Lowest run", show=False),
        Binding("left_square_bracket,left,h", "scroll_axes(-1)", "Axes left", key_display="[", group=SCROLL_AXES),
        Binding("right_square_bracket,right,l", "scroll_axes(1)", "Axes right", key_display="]", group=SCROLL_AXES),
    ]

    @dataclass
    class CursorMoved(Message):
        """Another run is highlighted (``index`` into the data's runs), or the axes scrolled."""

        plot: ParallelPlot
        index: int | None

        @property
        def control(self) -> ParallelPlot:
            return self.plot

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.data: ParallelData | None = None
        self.cursor: int | None = None
        self.first_axis = 0
        """The first param axis shown (when not all fit)."""

    def set_data(self, data: ParallelData, keep: str | None = None) -> None:
        """Show ``data``; the highlight stays on run ``keep`` when it is still drawn, else on the highest metric."""
        self.data = data
        ids = [r.id for r in data.runs]
        self.cursor = ids.index(keep) if keep in ids else (len(ids) - 1 if ids else None)
        self.first_axis = min(self.first_axis, max(0, len(data.params) - 1))
        self._draw()
        self.post_message(self.CursorMoved(self, self.cursor))

    @property
    def cursor_run(self) -> RunSummary | None:
        return None if self.data is None or self.cursor is None else self.data.runs[self.cursor]

    # ------------------------------------------------------------------ axes that fit
    @property
    def fit(self) -> int:
        """How many axes (params and the metric) fit the width."""
        return max(2, ((self.size.width or 80) - 4) // AXIS_COLS)

    def shown_params(self) -> list[Axis]:
        """The param axes in view (the metric axis always shows, last)."""
        if self.data is None:
            return []
        return list(self.data.params[self.first_axis : self.first_axis + self.fit - 1])

    def hidden_note(self) -> str:
        """Which axes are in view when not all fit, and how to see the others."""
        if self.data is None or len(self.data.params) <= self.fit - 1:
            return ""
        first, last = self.first_axis + 1, self.first_axis + len(self.shown_params())
        return f"params {first}-{last} of {len(self.data.params)} shown ([ ] scroll)"

    # ------------------------------------------------------------------ keys
    def action_move(self, step: int) -> None:
        """Highlight the run with the next higher (1) or lower (-1) metric value."""
        if self.data is None or self.cursor is None:
            return
        target = max(0, min(len(self.data.runs) - 1, self.cursor + step))
        if target != self.cursor:
            self.cursor = target
            self._draw()
            self.post_message(self.CursorMoved(self, target))

    def action_end(self, which: int) -> None:
        if self.data is not None and self.data.runs:
            self.cursor = which % len(self.data.runs)
            self._draw()
            self.post_message(self.CursorMoved(self, self.cursor))

    def action_scroll_axes(self, step: int) -> None:
        """Show the next or previous param axes when not all fit."""
        if self.data is None:
            return
        last = max(0, len(self.data.params) - (self.fit - 1))
        offset = max(0, min(last, self.first_axis + step))
        if offset != self.first_axis:
            self.first_axis = offset
            self._draw()
            self.post_message(self.CursorMoved(self, self.cursor))

    # ------------------------------------------------------------------ drawing
    def on_resize(self) -> None:
        if self.data is not None:
            self.first_axis = min(self.first_axis, max(0, len(self.data.params) - (self.fit - 1)))
        self._draw()

    def drawn_lines(self) -> list[int]:
        """The runs whose lines are drawn: all, or MAX_LINES spread over the metric's ranks."""
        n = 0 if self.data is None else len(self.data.runs)
        if n <= MAX_LINES:
            return list(range(n))
        return sorted({round(k * (n - 1) / (MAX_LINES - 1)) for k in range(MAX_LINES)})

    def legend(self, width: int | None = None) -> Text:
        """Colour (and glyph) of each metric quantile, with its value range; when that is wider than
        ``width``, each quantile by its highest value (``≤0.92``: the ranges follow one another)."""
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.data is None or not self.data.runs:
            return text
        ranges = self.data.quantile_ranges()
        full = [f" {cell(lo)}" + (f"–{cell(hi)}  " if hi != lo else "  ") for lo, hi in ranges]
        label, end = f"{self.data.metric.label}: ", f"{HIGHLIGHT_MARKER} highlighted"
        if width is not None and len(label + end) + sum(len(t) + 1 for t in full) > width:
            full = [f"≤{cell(hi)} " for _, hi in ranges]
        no_color = bool(os.environ.get("NO_COLOR"))
        text.append(label)
        for q, words in enumerate(full):
            glyph = QUANTILE_MARKERS[q] if no_color else "━"
            text.append(glyph, style="" if no_color else f"bold {QUANTILE_COLORS[q]}")
            text.append(words)
        text.append(end)
        return text

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_figure()
        data = self.data
        if data is None or not data.runs:
            plt.title("nothing to draw")
            self.refresh()
            return
        no_color = bool(os.environ.get("NO_COLOR"))
        axes = [*self.shown_params(), data.metric]
        xs = [float(i) for i in range(len(axes))]
        buckets: dict[int, tuple[list[float], list[float]]] = {}
        for i in self.drawn_lines():
            bx, by = buckets.setdefault(data.quantile(i), ([], []))
            # one series per quantile: its runs' lines back and forth, each joined to the next along an axis
            forward = len(bx) // len(xs) % 2 == 0
            levels = [_level(a, i) for a in axes]
            bx.extend(xs if forward else xs[::-1])
            by.extend(levels if forward else levels[::-1])
        for q, (bx, by) in sorted(buckets.items()):
            marker = QUANTILE_MARKERS[q] if no_color else "braille"
            plt.plot(bx, by, marker=marker, color=None if no_color else QUANTILE_COLORS[q])
        if self.cursor is not None:
            plt.plot(
                xs,
                [_level(a, self.cursor) for a in axes],
                marker=HIGHLIGHT_MARKER,
                color=None if no_color else "white",
                style="bold",
            )
        for x in xs:
            plt.vertical_line(x, color=None if no_color else "gray")
        missing = any(a.missing for a in axes)
        plt.xlim(-0.02, len(axes) - 1 + 0.02)
        plt.ylim(MISSING - 0.04 if missing else -0.04, 1.04)
        plt.yticks([], [])
        spacing = ((self.size.width or 80) - 4) // max(1, len(axes) - 1)  # cells between two axes
        plt.xticks(xs, [ellipsize(a.label, max(AXIS_COLS - 2, label_room(spacing))) for a in axes])
        for x, axis in zip(xs, axes, strict=True):
            self._label_axis(x, axis, len(axes))
        self.refresh()

    def _label_axis(self, x: float, axis: Axis, count: int) -> None:
        """The range of a numeric axis at its ends, the values of a categorical one beside it."""
        align: Literal["left", "right"] = "left" if x < count - 1 else "right"
        width = AXIS_COLS - 2
        if axis.categories is not None:
            rows = max(2, (self.size.height or 24) - 6)
            n = len(axis.categories)
            every = max(1, -(-n * 2 // rows))
            for k in range(0, n, every):
                self.plt.text(ellipsize(axis.categories[k], width), x, (k + 0.5) / n, alignment=align)
        else:
            drawn = [(p, v) for v, p in zip(axis.values, axis.positions, strict=True) if p is not None]
            if drawn:
                lo, hi = axis.span()
                for p, v in {min(drawn), max(drawn)}:  # the ends of its range, at their heights
                    self.plt.text(ellipsize(cell(v), width), x, (p - lo) / (hi - lo), alignment=align)
        if axis.missing:
            self.plt.text("n/a", x, MISSING, alignment=align)
