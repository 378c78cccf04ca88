"""Tables of facts (params, tags, environment, registry versions) that fit their width: no value clipped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import DataTable

from ..formatting import ellipsize


def plain(*cells: object) -> list[Text]:
    """Cells or column labels for a DataTable, shown as typed (it reads plain strings as markup)."""
    return [c if isinstance(c, Text) else Text(str(c)) for c in cells]


def natural_widths(table: DataTable[Any], labels: Sequence[str], rows: Sequence[Sequence[object]]) -> list[int]:
    """The width each column ``labels`` of ``table`` takes to show its label and its cells of ``rows`` whole,
    cell padding included (a row's cells beyond the labels are not counted)."""
    pad = 2 * table.cell_padding
    return [max(cell_len(str(c)) for c in (label, *(row[i] for row in rows))) + pad for i, label in enumerate(labels)]


def free_last_column(table: DataTable[Any], labels: Sequence[str], rows: Sequence[Sequence[object]]) -> int:
    """Give ``table`` the columns ``labels``, the last (free-form) one as wide as the others leave room for.

    The others fit their label and their cells in ``rows`` (all but the last cell of each). Returns the
    last column's width (at least 1), for the caller to cut or wrap its cells to; its label ends in an
    ellipsis when cut. The room of a vertical scrollbar is kept free, so the table never gets wider
    than itself and no value is clipped at its edge.
    """
    pad = 2 * table.cell_padding
    used = sum(natural_widths(table, labels[:-1], rows))
    scrollbar = table.styles.scrollbar_size_vertical
    room = max(1, (table.size.width or table.screen.size.width) - used - pad - scrollbar)
    table.clear(columns=True)
    table.add_columns(*plain(*labels[:-1]))
    table.add_column(Text(labels[-1], no_wrap=True, overflow="ellipsis"), width=room)
    return room


def first_column_room(
    table: DataTable[Any], labels: Sequence[str], rows: Sequence[Sequence[str]], room: int
) -> int | None:
    """The width the first column of ``table`` must shrink to for its columns ``labels`` and ``rows`` to fit
    ``room`` cells; None when they fit as they are."""
    pad = 2 * table.cell_padding
    widths = natural_widths(table, labels, rows)
    over = sum(widths) - room
    if over <= 0 or not rows:
        return None
    return max(4, widths[0] - pad - over)


class FactsTable(DataTable[Any]):
    """A table filled whole by :meth:`show`; the cursor stays where it was.

    With ``wrap_last`` the last column (a free-form value: a command, a commit, a path) gets the width the
    others leave and its long values wrap onto more lines, so none is cut. Without it, a table wider than
    itself narrows its first column (the names), ending the longest in an ellipsis, so that the values
    stay whole and no horizontal scrollbar appears. The table refits itself when its width changes.
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
            first = first_column_room(self, columns, rows, self._width or self.screen.size.width)
            if first is None:
                self.add_columns(*plain(*columns))
            else:
                self.add_column(Text(ellipsize(columns[0], first)), width=first)
                self.add_columns(*plain(*columns[1:]))
            for row in rows:
                cells = plain(*row)
                if first is not None:
                    cells[0] = Text(ellipsize(row[0], first))
                self.add_row(*cells)
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
