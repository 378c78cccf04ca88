"""Help: every key of the screen it was opened from, with what it does."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..commands_palette import KeyAction

FOOTNOTE = "^p: these actions in the palette · Esc, q or ? closes"
"""The help box's bottom line: short enough to show whole in the box at 60 columns."""


class HelpScreen(ModalScreen[None]):
    """A modal list of keys; :func:`tui_track.commands_palette.key_actions` gives its content."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close help"),
        Binding("j,down", "scroll('down')", "Scroll down", show=False),
        Binding("k,up", "scroll('up')", "Scroll up", show=False),
    ]

    def __init__(self, title: str, actions: list[KeyAction]) -> None:
        super().__init__()
        self.title_text = title
        self.actions = actions

    def compose(self) -> Any:
        table = Table(box=None, padding=(0, 2), show_header=False, expand=False)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for item in self.actions:
            table.add_row(Text(item.keys), Text(item.description))  # "[" is a key, not markup
        with VerticalScroll(id="help-box") as box:
            box.border_title = f"Keys — {self.title_text}"
            box.border_subtitle = FOOTNOTE
            yield Static(table, id="help-keys")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_scroll(self, direction: str) -> None:
        box = self.query_one("#help-box", VerticalScroll)
        if direction == "down":
            box.scroll_down(animate=False)
        else:
            box.scroll_up(animate=False)
