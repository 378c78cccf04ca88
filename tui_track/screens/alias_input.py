"""Type the alias to set on (or move to) a model version."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..formatting import aliases_text


class AliasInputScreen(ModalScreen[str | None]):
    """An input for an alias name; dismisses with it (stripped) on enter, None on escape or when empty."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, label: str, aliases: dict[str, int]) -> None:
        super().__init__()
        self.label = label
        self.aliases = aliases

    def compose(self) -> ComposeResult:
        existing = aliases_text(self.aliases) or "none yet"
        with Vertical(id="alias-dialog", classes="dialog") as dialog:
            dialog.border_title = "Set alias"
            yield Static(
                f"Alias to point at {self.label} (existing: {existing}). enter sets, escape cancels.", markup=False
            )
            yield Input(placeholder="e.g. champion", id="alias-input")

    def on_mount(self) -> None:
        self.query_one("#alias-input", Input).focus()

    @on(Input.Submitted, "#alias-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
