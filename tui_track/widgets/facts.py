"""Tables of facts (params, tags, environment, registry versions) that fit their width: no value clipped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import DataTable


def plain(*cells: object) -> list[Text]:
    """Cells or column labels for a DataTable, shown as typed (it reads plain strings as markup)."""
    return [c if isinstance(c, Text) else Text(str(c)) for c in cells]


def free_last_column(table: DataTable[Any], labels: Sequence[str], rows: Sequence[Sequence[object]]) -> int:
    """Give ``table`` the columns ``labels``, the last (free-form) one as wide as the others leave room for.

    The others fit their label and their cells in ``rows`` (all but the last cell of each). Returns the
    last column's width (at least 1), for the caller to cut or wrap its cells to; its label ends in an
    ellipsis when cut. The room of a vertical scrollbar is kept free, so the table never gets wider
    than itself and no value is clipped at its edge.
    """
    pad = 2 * table.cell_padding
    used = sum(
        max(cell_len(str(c)) for c in (labels[i], *(row[i] for row in rows))) + pad for i in range(len(labels) - 1)
    )
    scrollbar = table.styles.scrollbar_size_vertical
    room = max(1, (table.size.width or table.screen.size.width) - used - pad - scrollbar)
    table.clear(columns=True)
    table.add_columns(*plain(*labels[:-1]))
    table.add_column(Text(labels[-1], no_wrap=True, overflow="ellipsis"), width=room)
    return room


class FactsTable(DataTable[Any]):
    """A table filled whole by :meth:`show`; the cursor stays where it was.

    With ``wrap_last`` the last column (a free-form value: a command, a commit, a path) gets the width the
    others leave and its long values wrap onto more lines, so none is cut; the table refits itself when
    its width changes.
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
        if shown == self._shown and (not self.wrap_last or self._width == self.size.width):
            return
        self._shown = shown
        self._fill()

    def _fill(self) -> None:
        assert self._shown is not None
        columns, rows, empty = self._shown
        self._width = self.size.width
        cursor = self.cursor_row
        if self.wrap_last and rows:
            free_last_column(self, columns, rows)
            for row in rows:
                self.add_row(*plain(*row[:-1]), Text(row[-1]), height=None)
        else:
            self.clear(columns=True)
            self.add_columns(*plain(*columns))
            for row in rows:
                self.add_row(*plain(*row))
        if not rows:
            self.add_row(empty, *([""] * (len(columns) - 1)))
        self.move_cursor(row=min(cursor, self.row_count - 1), animate=False)

    def on_resize(self, event: events.Resize) -> None:
        if self.wrap_last and self._shown is not None and self.size.width != self._width:
            self.call_after_refresh(self._fill)
