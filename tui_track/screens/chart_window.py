"""Zoom, pan and smoothing of a metric chart, shared by the run screen and the multi-run chart."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType

if TYPE_CHECKING:
    from ..widgets.chart import MetricChart


def zoomed(window: tuple[int, int], full: tuple[int, int], factor: float, shift: float = 0.0) -> tuple[int, int] | None:
    """The step window after zooming by ``factor`` (<1 in, >1 out) around its centre, moved by ``shift`` widths.

    None when the result covers the whole history (zoomed all the way out).
    """
    lo, hi = window
    width = max(1.0, (hi - lo) * factor)
    centre = (lo + hi) / 2 + shift * (hi - lo)
    new_lo, new_hi = round(centre - width / 2), round(centre + width / 2)
    if new_lo < full[0]:
        new_lo, new_hi = full[0], min(full[1], full[0] + (new_hi - new_lo))
    if new_hi > full[1]:
        new_lo, new_hi = max(full[0], full[1] - (new_hi - new_lo)), full[1]
    if new_lo <= full[0] and new_hi >= full[1]:
        return None
    return new_lo, max(new_hi, new_lo + 1)


ZOOM = Binding.Group("Zoom", compact=True)
PAN = Binding.Group("Pan", compact=True)

CHART_BINDINGS: list[BindingType] = [
    Binding("plus,equals_sign", "zoom(0.5)", "Zoom in", key_display="+", group=ZOOM),
    Binding("minus", "zoom(2)", "Zoom out", key_display="-", group=ZOOM),
    Binding("left_square_bracket", "pan(-0.5)", "Pan left", key_display="[", group=PAN),
    Binding("right_square_bracket", "pan(0.5)", "Pan right", key_display="]", group=PAN),
    Binding("s", "toggle_smoothing", "Smooth"),
    Binding("l", "toggle_log", "Log y"),
    Binding("x", "toggle_x_axis", "Step/time"),
    Binding("0", "zoom_reset", "Whole history", show=False),
]
"""The keys of :class:`ChartWindowActions`, in footer order (short labels: they must fit 80 columns)."""


class ChartWindowActions:
    """The chart keys of a screen that shows ``chart`` over a step ``window`` of ``full_range``.

    The screen sets ``window`` and ``full_range`` and redraws in :meth:`_show_window`.
    """

    window: tuple[int, int] | None
    full_range: tuple[int, int] | None
    WIDE_FOOTER: ClassVar[int] = 110
    """The width the screen's footer needs for every key and the command palette key."""

    @property
    def chart(self) -> MetricChart:
        raise NotImplementedError

    def _show_window(self) -> None:
        """Draw the chart for the current ``window`` (reading the histories again where needed)."""
        raise NotImplementedError

    def action_toggle_x_axis(self) -> None:
        """Switch the chart's x axis between step and time."""
        self.chart.toggle_x_axis()

    def action_toggle_log(self) -> None:
        """Switch the chart's y axis between linear and log scale."""
        self.chart.toggle_log_scale()

    def action_toggle_smoothing(self) -> None:
        """Draw EMA-smoothed curves (TensorBoard's, weight 0.6) over the raw ones, shown faint behind them."""
        self.chart.toggle_smoothing()

    def action_zoom(self, factor: float) -> None:
        """Zoom into the middle of the step range (+) or back out (-); a zoomed range is read at full resolution."""
        self._move_window(factor, 0.0)

    def action_pan(self, shift: float) -> None:
        """Move the zoomed step range left ([) or right (]) by half its width."""
        if self.window is not None:
            self._move_window(1.0, shift)

    def action_zoom_reset(self) -> None:
        """Show the whole history again."""
        if self.window is not None:
            self.window = None
            self._show_window()

    def _move_window(self, factor: float, shift: float) -> None:
        full = self.full_range
        if full is None or full[1] <= full[0]:
            return
        window = zoomed(self.window or full, full, factor, shift)
        if window != self.window:
            self.window = window
            self._show_window()
