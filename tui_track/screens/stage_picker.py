"""Pick the stage to move a model version to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class StagePickerScreen(ModalScreen[str | None]):
    """Lists ``stages`` (the current one marked); dismisses with the chosen stage, or None on escape."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("j", "move('down')", "Down", show=False),
        Binding("k", "move('up')", "Up", show=False),
    ]

    def __init__(self, label: str, stages: Sequence[str], current: str) -> None:
        super().__init__()
        self.label = label
        self.stages = list(stages)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="stage-dialog", classes="dialog") as dialog:
            dialog.border_title = "Promote"
            yield Static(f"Move {self.label} (now {self.current}) to which stage? enter picks, escape cancels.")
            yield OptionList(
                *(Option(f"{s}  (current)" if s == self.current else s, id=s) for s in self.stages),
                id="stage-options",
            )

    def on_mount(self) -> None:
        options = self.query_one("#stage-options", OptionList)
        options.highlighted = next((i for i, s in enumerate(self.stages) if s != self.current), 0)
        options.focus()

    @on(OptionList.OptionSelected, "#stage-options")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, direction: str) -> None:
        options = self.query_one("#stage-options", OptionList)
        options.action_cursor_down() if direction == "down" else options.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
