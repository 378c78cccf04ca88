"""Pick one of a few choices from a list (a stage to promote to, an alias to remove)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class ChoiceScreen(ModalScreen[str | None]):
    """Lists ``choices`` (``current`` marked); dismisses with the pick, None on escape.

    The cursor starts on ``highlight`` when given, else on ``current``, else on the first choice.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("j", "move('down')", "Down", show=False),
        Binding("k", "move('up')", "Up", show=False),
    ]

    def __init__(
        self,
        title: str,
        prompt: str,
        choices: Sequence[str],
        current: str | None = None,
        highlight: str | None = None,
    ) -> None:
        super().__init__()
        self.highlight = highlight
        self.title_text = title
        self.prompt = prompt
        self.choices = list(choices)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-dialog", classes="dialog") as dialog:
            dialog.border_title = self.title_text
            yield Static(f"{self.prompt} enter picks, escape cancels.", markup=False)
            yield OptionList(
                *(Option(Text(f"{c}  (current)" if c == self.current else c), id=c) for c in self.choices),
                id="choice-options",
            )

    def on_mount(self) -> None:
        options = self.query_one("#choice-options", OptionList)
        start = self.highlight if self.highlight in self.choices else self.current
        options.highlighted = self.choices.index(start) if start in self.choices else 0
        options.focus()

    @on(OptionList.OptionSelected, "#choice-options")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, direction: str) -> None:
        options = self.query_one("#choice-options", OptionList)
        options.action_cursor_down() if direction == "down" else options.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
