"""The filter line: ``/`` opens it, Enter applies, a bad filter shows its error under the text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.geometry import Region
from textual.message import Message
from textual.widgets import Input, Static

PLACEHOLDER = "e.g. metrics.accuracy > 0.85 and params.model_type = 'SVC'  (Enter applies, Esc leaves)"


class FilterInput(Input):
    """The text of the filter; Escape gives focus back without applying."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "leave", "Leave filter", show=False)]

    class Left(Message):
        """Escape was pressed in the filter line."""

    def action_leave(self) -> None:
        self.post_message(self.Left())


class FilterBar(Vertical):
    """The filter text, its error, and whether a filter is active (the bar stays visible then)."""

    DEFAULT_CSS = """
    FilterBar { height: auto; display: none; }
    FilterBar.-open, FilterBar.-active { display: block; }
    FilterBar > Input, FilterBar > Input:focus { height: 1; border: none; padding: 0 1; }
    FilterBar > #filter-error { display: none; color: $error; padding: 0 1; }
    FilterBar.-error > #filter-error { display: block; }
    """

    @dataclass
    class Submitted(Message):
        """Enter in the filter line with ``text`` (empty: clear the filter)."""

        text: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.active_text = ""
        self._error: tuple[str, int | None] = ("", None)

    def compose(self) -> Any:
        yield FilterInput(placeholder=PLACEHOLDER, id="filter-input")
        yield Static(id="filter-error")

    @property
    def input(self) -> FilterInput:
        return self.query_one(FilterInput)

    @property
    def error_text(self) -> str:
        return str(self.query_one("#filter-error", Static).content) if self.has_class("-error") else ""

    def open(self) -> None:
        self.add_class("-open")
        self.screen.set_focus(self.input)  # at once, so keys typed right after "/" land in the line

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(event.value.strip()))

    def show_error(self, message: str, column: int | None) -> None:
        """Show why the filter is bad under it, with a caret at ``column`` (1-based); the text stays.

        The input's cursor moves to that column, so a long filter scrolls to show it, and the caret
        is drawn under the character as the scrolled line shows it.
        """
        self._error = (message, column)
        if column is not None:
            self.input.cursor_position = max(0, column - 1)
            cell = self._cell(column)
            self.input.scroll_to_region(Region(cell, 0, 1, 1), force=True, animate=False, immediate=True)
        self._draw_error()
        self.add_class("-error")
        self.call_after_refresh(self._draw_error)  # once the input has scrolled to the cursor

    def _draw_error(self) -> None:
        message, column = self._error
        text = Text()
        if column is not None:
            # both lines start after one cell of padding: a cell in the input is a cell here
            x = self._cell(column) - self.input.scroll_offset.x
            if 0 <= x < max(1, self.input.content_size.width):
                text.append(" " * x + "^\n")
        text.append(message)
        self.query_one("#filter-error", Static).update(text)

    def _cell(self, column: int) -> int:
        """The cell of the input's text where 1-based ``column`` starts (wide characters take two)."""
        return cell_len(self.input.value[: max(0, column - 1)])

    def applied(self, text: str) -> None:
        """The filter ``text`` is in force (empty: none); close the line unless a filter is active."""
        self.active_text = text
        self.remove_class("-error", "-open")
        self.set_class(bool(text), "-active")
        self.input.value = text

    def leave(self) -> None:
        """Back out of editing: the active filter's text comes back."""
        self.remove_class("-error", "-open")
        self.input.value = self.active_text
