"""A scatter of runs over textual-plotext (the chart widget's plotting layer): one point per run.

The data is two :class:`~tui_track.widgets.axes.Axis` over the same runs. A cursor sits on one
point; arrow keys move it to the nearest point in that direction, ``n``/``N`` to the next or
previous point by x. Points are thinned to one per braille dot before drawing, so 100,000 runs
draw as fast as the few thousand dots a terminal can show.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from textual.binding import Binding, BindingType
from textual.message import Message
from textual_plotext import PlotextPlot

from tracker_core.records import RunSummary

from .axes import Axis
from .chart import COLORS

CURSOR_MARKER = "◆"
CURSOR_COLOR = "red+"
BULLET_POINTS = 2000
"""Up to this many runs, each point is a bullet (one per cell); more draw as braille dots."""
MARGIN_COLS = 12
"""Columns of the plot taken by y tick labels and the frame (the rest holds the points)."""
MARGIN_ROWS = 5
"""Rows taken by the title, x ticks, x label and frame."""


@dataclass(frozen=True)
class ScatterData:
    """The runs drawn (each with a position on both axes), in one order, and how many were left out."""

    runs: tuple[RunSummary, ...]
    x: Axis
    y: Axis
    left_out: int

    @classmethod
    def build(cls, runs: Sequence[RunSummary], x: Axis, y: Axis) -> ScatterData:
        """Keep the runs with a position on both axes (``x``/``y`` built over ``runs``)."""
        keep = [i for i, (px, py) in enumerate(zip(x.positions, y.positions, strict=True)) if None not in (px, py)]
        if len(keep) == len(runs):
            return cls(tuple(runs), x, y, 0)

        def sub(axis: Axis) -> Axis:
            return Axis(
                axis.key,
                tuple(axis.values[i] for i in keep),
                tuple(axis.positions[i] for i in keep),
                axis.categories,
                axis.log,
            )

        return cls(tuple(runs[i] for i in keep), sub(x), sub(y), len(runs) - len(keep))


class ScatterPlot(PlotextPlot, can_focus=True):
    """Draws :class:`ScatterData`; ``cursor`` is the index of the run under the cursor (None: no points)."""

    DEFAULT_CSS = """
    ScatterPlot { height: 1fr; min-height: 8; min-width: 30; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "move('left')", "Point left", show=False),
        Binding("right,l", "move('right')", "Point right", show=False),
        Binding("up,k", "move('up')", "Point above", show=False),
        Binding("down,j", "move('down')", "Point below", show=False),
        Binding("n", "step(1)", "Next by x", show=False),
        Binding("N", "step(-1)", "Previous by x", show=False),
        Binding("home", "end(0)", "Leftmost point", show=False),
        Binding("end", "end(-1)", "Rightmost point", show=False),
    ]

    @dataclass
    class CursorMoved(Message):
        """The cursor moved to another point (``index`` into the data's runs)."""

        plot: ScatterPlot
        index: int | None

        @property
        def control(self) -> ScatterPlot:
            return self.plot

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.data: ScatterData | None = None
        self.cursor: int | None = None
        self.title = ""
        self._px = np.zeros(0)
        self._py = np.zeros(0)
        self._by_x: list[int] = []
        self._rank = np.zeros(0, dtype=np.int64)
        self._thinned: tuple[tuple[int, int], np.ndarray] | None = None

    # ------------------------------------------------------------------ data
    def set_data(self, data: ScatterData, title: str = "", keep: str | None = None) -> None:
        """Show ``data``; the cursor stays on run ``keep`` when it is still drawn, else goes to the first by x."""
        self.data, self.title = data, title
        self._px = np.array(data.x.positions, dtype=float)
        self._py = np.array(data.y.positions, dtype=float)
        self._by_x = np.lexsort((self._py, self._px)).tolist()
        self._rank = np.empty(len(self._by_x), dtype=np.int64)
        self._rank[self._by_x] = np.arange(len(self._by_x))
        self._thinned = None
        kept = next((i for i, r in enumerate(data.runs) if r.id == keep), None) if keep else None
        self.cursor = kept if kept is not None else (self._by_x[0] if self._by_x else None)
        self._draw()
        self.post_message(self.CursorMoved(self, self.cursor))

    @property
    def cursor_run(self) -> RunSummary | None:
        return None if self.data is None or self.cursor is None else self.data.runs[self.cursor]

    def move_cursor(self, index: int | None) -> None:
        if index is not None and index != self.cursor:
            self.cursor = index
            self._draw()
            self.post_message(self.CursorMoved(self, index))

    # ------------------------------------------------------------------ cursor keys
    def nearest(self, direction: str) -> int | None:
        """The nearest point from the cursor in ``direction`` (left/right/up/down), in screen distance."""
        if self.data is None or self.cursor is None or len(self._px) < 2:
            return None
        (x0, x1), (y0, y1) = self._limits()
        cols, rows = self._canvas()
        # screen units: a cell is about twice as tall as it is wide
        dx = (self._px - self._px[self.cursor]) / (x1 - x0) * cols
        dy = (self._py - self._py[self.cursor]) / (y1 - y0) * rows * 2
        along, across = {"right": (dx, dy), "left": (-dx, dy), "up": (dy, dx), "down": (-dy, dx)}[direction]
        ahead = along > 1e-9
        ahead[self.cursor] = False
        if not ahead.any():
            return None
        score = np.where(ahead, along + 2 * np.abs(across), np.inf)
        return int(np.argmin(score))

    def action_move(self, direction: str) -> None:
        """Move to the nearest point in that direction (screen distance, favouring straight lines)."""
        self.move_cursor(self.nearest(direction))

    def action_step(self, step: int) -> None:
        """Move to the next (1) or previous (-1) point in x order (then y), through overlapping points too."""
        if self.cursor is None or not self._by_x:
            return
        at = self.rank(self.cursor)
        self.move_cursor(self._by_x[max(0, min(len(self._by_x) - 1, at + step))])

    def rank(self, index: int) -> int:
        """Where point ``index`` stands in x order (0: leftmost)."""
        return int(self._rank[index])

    def action_end(self, which: int) -> None:
        if self._by_x:
            self.move_cursor(self._by_x[which])

    # ------------------------------------------------------------------ drawing
    def _canvas(self) -> tuple[int, int]:
        """Cells of the plot's canvas (the widget less its margins)."""
        return max(10, (self.size.width or 80) - MARGIN_COLS), max(4, (self.size.height or 24) - MARGIN_ROWS)

    def _limits(self) -> tuple[tuple[float, float], tuple[float, float]]:
        assert self.data is not None
        (x0, x1), (y0, y1) = self.data.x.span(), self.data.y.span()
        return (x0, x1), (y0, y1)

    @property
    def braille(self) -> bool:
        """Many points draw as braille dots (2x4 per cell); a few as a bullet per cell, easier to see."""
        return len(self._px) > BULLET_POINTS

    def thinned(self) -> np.ndarray:
        """Indices of the points to draw: one per dot of the canvas (braille: 2x4 dots per cell)."""
        size = self._canvas()
        if self._thinned is not None and self._thinned[0] == size:
            return self._thinned[1]
        cols, rows = size
        if self.braille:
            cols, rows = 2 * cols, 4 * rows
        (x0, x1), (y0, y1) = self._limits()
        gx = np.clip(((self._px - x0) / (x1 - x0) * cols).astype(np.int64), 0, cols)
        gy = np.clip(((self._py - y0) / (y1 - y0) * rows).astype(np.int64), 0, rows)
        first: np.ndarray = np.unique(gx * (rows + 1) + gy, return_index=True)[1]
        self._thinned = (size, first)
        return first

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_figure()
        data = self.data
        if data is None or not data.runs:
            plt.title((self.title + " - nothing to draw").strip(" -"))
            self.refresh()
            return
        no_color = bool(os.environ.get("NO_COLOR"))
        shown = self.thinned()
        plt.scatter(
            self._px[shown].tolist(),
            self._py[shown].tolist(),
            marker="braille" if self.braille else "•",
            color=COLORS[0],
        )
        if self.cursor is not None:
            plt.scatter(
                [float(self._px[self.cursor])],
                [float(self._py[self.cursor])],
                marker=CURSOR_MARKER,
                color=None if no_color else CURSOR_COLOR,
            )
        (x0, x1), (y0, y1) = self._limits()
        plt.xlim(x0, x1)
        plt.ylim(y0, y1)
        cols, rows = self._canvas()
        x_ticks, y_ticks = (data.x, plt.xticks, cols // 12, 10, cols), (data.y, plt.yticks, rows // 3, 9, 0)
        for axis, ticks, count, width, room in (x_ticks, y_ticks):  # y labels: the left margin's width
            chosen = axis.ticks(max(2, count), width, room)
            if chosen is not None:
                ticks(*chosen)
        plt.xlabel(data.x.label + (" (log)" if data.x.log else ""))
        plt.title(self.title)
        self.refresh()
