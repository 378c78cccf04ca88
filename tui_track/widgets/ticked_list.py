"""A selection list whose ticked and unticked entries differ by a glyph, not only by colour.

Textual's SelectionList draws the same ``X`` for both states and tells them apart by colour alone,
which NO_COLOR users (and monochrome terminals) cannot see: here a ticked entry shows ``✓`` and an
unticked one a blank box.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import SelectionList
from textual.widgets.option_list import OptionDoesNotExist

TICKED = "✓"
UNTICKED = " "

SelectionType = TypeVar("SelectionType")


class TickedSelectionList(SelectionList[SelectionType], Generic[SelectionType]):
    """:class:`SelectionList` with ``✓`` in the box of each ticked entry."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        segments = list(strip)
        if len(segments) < 4:
            return strip
        inner = segments[1]
        segments[1] = Segment(TICKED if selection.value in self._selected else UNTICKED, inner.style, inner.control)
        return Strip(segments, strip.cell_length)
