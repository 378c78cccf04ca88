"""The column picker: tick the metrics, params and tags the runs table shows."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static

from ..widgets.runs_table import FIXED_KEYS
from ..widgets.ticked_list import TickedSelectionList


class ColumnPicker(ModalScreen[list[str] | None]):
    """Returns the keys of the columns to show, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "apply", "Apply", priority=True),
        Binding("escape", "cancel", "Cancel"),
        Binding("j", "down", "Down", show=False),
        Binding("k", "up", "Up", show=False),
    ]

    DEFAULT_CSS = """
    ColumnPicker { align: center middle; }
    ColumnPicker > Vertical {
        width: 60; max-width: 100%; height: 80%;
        border: round $accent; background: $surface;
    }
    ColumnPicker SelectionList { height: 1fr; border: none; }
    ColumnPicker #columns-hint { color: $text-muted; padding: 0 1; }
    """

    def __init__(self, choices: list[tuple[str, str, bool]]) -> None:
        super().__init__()
        self.choices = [c for c in choices if c[0] not in FIXED_KEYS]

    def compose(self) -> Any:
        with Vertical() as box:
            box.border_title = "Columns"
            yield TickedSelectionList[str](*((Text(label), key, shown) for key, label, shown in self.choices))
            yield Static("space ticks · enter applies · esc cancels", id="columns-hint")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    @property
    def selection(self) -> SelectionList[str]:
        return self.query_one(SelectionList)

    def action_apply(self) -> None:
        self.dismiss(list(self.selection.selected))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_down(self) -> None:
        self.selection.action_cursor_down()

    def action_up(self) -> None:
        self.selection.action_cursor_up()
