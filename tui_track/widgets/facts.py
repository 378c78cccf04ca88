"""Tables of facts (params, tags, environment, registry versions) that fit their width.

Values stay whole: a free-form last column wraps, and otherwise the names of the first column are cut in
their middle. Only a table too narrow even for that scrolls sideways.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import DataTable

from ..formatting import ellipsize_middle


def plain(*cells: object) -> list[Text]:
    """Cells or column labels for a DataTable, shown as typed (it reads plain strings as markup)."""
    return [c if isinstance(c, Text) else Text(str(c)) for c in cells]


def natural_widths(table: DataTable[Any], labels: Sequence[str], rows: Sequence[Sequence[object]]) -> list[int]:
    """The width each column ``labels`` of ``table`` takes to show its label and its cells of ``rows`` whole,
    cell padding included (a row's cells beyond the labels are not counted)."""
    pad = 2 * table.cell_padding
    return [max(cell_len(str(c)) for c in (label, *(row[i] for row in rows))) + pad for i, label in enumerate(labels)]


def usable_width(table: DataTable[Any]) -> int:
    """The cells ``table`` can give its columns, keeping the room of a vertical scrollbar (before the first
    layout, when the table has no size yet, the screen's width stands in)."""
    return (table.size.width or table.screen.size.width) - table.styles.scrollbar_size_vertical


def free_last_column(table: DataTable[Any], labels: Sequence[str], rows: Sequence[Sequence[object]]) -> int:
    """Give ``table`` the columns ``labels``, the last (free-form) one as wide as the others leave room for.

    The others fit their label and their cells in ``rows`` (all but the last cell of each). Returns the
    last column's width (at least 1), for the caller to cut or wrap its cells to; its label ends in an
    ellipsis when cut. The room of a vertical scrollbar is kept free, so the table is no wider than
    itself unless the other columns alone are: only then may it scroll sideways.
    """
    pad = 2 * table.cell_padding
    spare = usable_width(table) - sum(natural_widths(table, labels[:-1], rows)) - pad
    room = max(1, spare)
    table.clear(columns=True)
    table.add_columns(*plain(*labels[:-1]))
    table.add_column(Text(labels[-1], no_wrap=True, overflow="ellipsis"), width=room)
    table.styles.overflow_x = "hidden" if spare >= 1 else "auto"  # no scrollbar row for a table that fits
    return room


FIRST_COLUMN_MIN = 4
"""The narrowest a table's first column gets (three cells of a name and the ellipsis)."""


def first_column_room(widths: Sequence[int], room: int, pad: int) -> int | None:
    """The width the first of columns ``widths`` (:func:`natural_widths`) must shrink to for all of them to fit
    ``room`` cells, at least :data:`FIRST_COLUMN_MIN`; None when they fit as they are."""
    over = sum(widths) - room
    if over <= 0:
        return None
    return max(FIRST_COLUMN_MIN, widths[0] - pad - over)


class FactsTable(DataTable[Any]):
    """A table filled whole by :meth:`show`; the cursor stays where it was.

    With ``wrap_last`` the last column (a free-form value: a command, a commit, a path) gets the width the
    others leave and its long values wrap onto more lines, so none is cut. Without it, a table wider than
    itself narrows its first column (the names), cutting the longest in the middle, so that the values
    stay whole. Only when that is not enough does the table scroll sideways. It refits itself when its
    width, or its vertical scrollbar, changes.
    """

    def __init__(self, *, wrap_last: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.wrap_last = wrap_last
        self._shown: tuple[tuple[str, ...], tuple[tuple[str, ...], ...], str] | None = None
        self._width = -1

    def show(self, columns: Sequence[str], rows: Iterable[Sequence[str]], empty: str) -> None:
        """Show ``rows`` under ``columns`` (one ``empty`` row when there is none); the same again is left alone
        (a live tick redraws only what changed)."""
        shown = (tuple(columns), tuple(tuple(row) for row in rows), empty)
        if shown == self._shown and self._width == self._fit_width():
            return
        self._shown = shown
        self._fill()

    def _fill(self) -> None:
        assert self._shown is not None
        columns, rows, empty = self._shown
        self._width = self._fit_width()
        cursor = self.cursor_row
        if self.wrap_last and rows:
            free_last_column(self, columns, rows)
            for row in rows:
                self.add_row(*plain(*row[:-1]), Text(row[-1]), height=None)
        else:
            self.clear(columns=True)
            pad = 2 * self.cell_padding
            width = self._width or self.screen.size.width
            widths = natural_widths(self, columns, rows)
            first = first_column_room(widths, width, pad) if rows else None
            if first is None:
                self.add_columns(*plain(*columns))
            else:
                self.add_column(Text(ellipsize_middle(columns[0], first)), width=first)
                self.add_columns(*plain(*columns[1:]))
            for row in rows:
                cells = plain(*row)
                if first is not None:
                    cells[0] = Text(ellipsize_middle(row[0], first))
                self.add_row(*cells)
            too_wide = first is not None and sum(widths[1:]) + first + pad > width
            self.styles.overflow_x = "auto" if too_wide else "hidden"  # no scrollbar row for a table that fits
        if not rows:
            self.add_row(empty, *([""] * (len(columns) - 1)))
        self.move_cursor(row=min(cursor, self.row_count - 1), animate=False)
        self.call_after_refresh(self._refit)  # the new rows may have brought or taken away a vertical scrollbar

    def _fit_width(self) -> int:
        """The width the table is fitted to: its whole width when the last column wraps (room for a
        scrollbar is kept by :func:`free_last_column`), else the width its vertical scrollbar leaves."""
        return self.size.width if self.wrap_last else self.scrollable_content_region.width

    def _refit(self) -> None:
        if self._shown is not None and self._fit_width() != self._width:
            self._fill()

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._refit)
