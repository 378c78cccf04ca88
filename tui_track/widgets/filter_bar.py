"""The filter line: ``/`` opens it, Enter applies, a bad filter shows its error under the text."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Vertical
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

    class Submitted(Message):
        """Enter in the filter line with ``text`` (empty: clear the filter)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.active_text = ""

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
        """Show why the filter is bad under it, with a caret at ``column`` (1-based); the text stays."""
        text = Text()
        if column is not None:
            text.append(" " * max(0, column - 1) + "^\n")
        text.append(message)
        self.query_one("#filter-error", Static).update(text)
        self.add_class("-error")

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
