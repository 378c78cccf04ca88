"""The column picker: tick the metrics (each as last, min, max, mean, first or count), params and tags the
runs table shows; the same list, with another title, picks the keys runs are grouped by.

``/`` searches (every key typed narrows the list, words in any order), ``a`` ticks every entry shown,
``n`` unticks them, space ticks one, Enter applies, Esc cancels (or leaves the search).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ..widgets.runs_table import FIXED_KEYS

HINT = "/ search · space ticks · a all shown · n none shown · enter applies · esc cancels"


class ColumnPicker(ModalScreen[list[str] | None]):
    """Returns the ticked keys (in the list's order), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "apply", "Apply", priority=True),
        Binding("escape", "cancel", "Cancel"),
        Binding("slash", "search", "Search"),
        Binding("space", "tick", "Tick / untick", show=False),
        Binding("a", "select_all", "Tick all shown"),
        Binding("n", "select_none", "Untick all shown"),
        Binding("j", "down", "Down", show=False),
        Binding("k", "up", "Up", show=False),
    ]

    DEFAULT_CSS = """
    ColumnPicker { align: center middle; }
    ColumnPicker > Vertical {
        width: 64; max-width: 100%; height: 80%;
        border: round $accent; background: $surface;
    }
    ColumnPicker #picker-search { border: none; height: 1; padding: 0 1; }
    ColumnPicker OptionList { height: 1fr; border: none; }
    ColumnPicker .picker-hint { color: $text-muted; padding: 0 1; }
    """

    def __init__(self, choices: list[tuple[str, str, bool]], title: str = "Columns") -> None:
        super().__init__()
        self.choices = [c for c in choices if c[0] not in FIXED_KEYS]
        self.title_text = title
        self.ticked = {key for key, _, shown in self.choices if shown}
        self.shown_keys = [key for key, _, _ in self.choices]

    def compose(self) -> Any:
        with Vertical() as box:
            box.border_title = self.title_text
            yield Input(placeholder="/ to search", id="picker-search")
            yield OptionList(*self._options(""), id="picker-list")
            yield Static(HINT, classes="picker-hint")
            yield Static("", id="picker-count", classes="picker-hint")

    def on_mount(self) -> None:
        self.selection.focus()
        if self.shown_keys:
            self.selection.highlighted = 0
        self._update_count()

    @property
    def selection(self) -> OptionList:
        return self.query_one("#picker-list", OptionList)

    def _prompt(self, key: str, label: str) -> Text:
        """``[x] label``: the tick is text, so it reads without colour (NO_COLOR)."""
        ticked = key in self.ticked
        text = Text("[x] " if ticked else "[ ] ", style="bold" if ticked else "")
        text.append(label)
        return text

    def _options(self, text: str) -> list[Option]:
        words = text.lower().split()
        found = [(key, label) for key, label, _ in self.choices if all(w in label.lower() for w in words)]
        self.shown_keys = [key for key, _ in found]
        self.labels = dict(found) | getattr(self, "labels", {})
        return [Option(self._prompt(key, label), id=key) for key, label in found]

    @on(Input.Changed, "#picker-search")
    def search_changed(self, event: Input.Changed) -> None:
        selection = self.selection
        selection.clear_options()
        selection.add_options(self._options(event.value))
        if self.shown_keys:
            selection.highlighted = 0
        self._update_count()

    @on(OptionList.OptionSelected, "#picker-list")
    def option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_apply()

    def action_tick(self) -> None:
        index = self.selection.highlighted
        if index is None or index >= len(self.shown_keys):
            return
        key = self.shown_keys[index]
        self.ticked.symmetric_difference_update({key})
        self.selection.replace_option_prompt_at_index(index, self._prompt(key, self.labels[key]))
        self._update_count()

    def _redraw(self) -> None:
        for index, key in enumerate(self.shown_keys):
            self.selection.replace_option_prompt_at_index(index, self._prompt(key, self.labels[key]))
        self._update_count()

    def _update_count(self) -> None:
        shown = len(self.shown_keys)
        text = f"{len(self.ticked)} of {len(self.choices)} ticked · {shown} shown"
        self.query_one("#picker-count", Static).update(text)

    def action_apply(self) -> None:
        if self.focused is self.query_one(Input):
            self.selection.focus()  # enter in the search goes to the list
            return
        self.dismiss([key for key, _, _ in self.choices if key in self.ticked])

    def action_cancel(self) -> None:
        if self.focused is self.query_one(Input):
            self.selection.focus()
            return
        self.dismiss(None)

    def action_search(self) -> None:
        self.query_one(Input).focus()

    def action_select_all(self) -> None:
        self.ticked.update(self.shown_keys)
        self._redraw()

    def action_select_none(self) -> None:
        self.ticked.difference_update(self.shown_keys)
        self._redraw()

    def action_down(self) -> None:
        self.selection.action_cursor_down()

    def action_up(self) -> None:
        self.selection.action_cursor_up()
