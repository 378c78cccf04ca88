"""Confirmations that say what will change before anything is written (one with a reason field)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class ConfirmScreen(ModalScreen[str | None]):
    """Asks ``question`` with an optional reason for the audit trail.

    Dismisses with the reason ("" when none was typed) on yes, None on no or escape. y and n
    answer while the buttons have focus; tab reaches the reason field, where enter means yes.
    ``reason=None``: no reason field (a change with no audit trail, like managing runs).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "Cancel"),
    ]

    def __init__(
        self, question: str, *, title: str = "Confirm", yes_label: str = "Yes, do it", reason: str | None = ""
    ) -> None:
        super().__init__()
        self.question = question
        self.title_text = title
        self.yes_label = yes_label
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog") as dialog:
            dialog.border_title = self.title_text
            yield Static(self.question, id="confirm-question", markup=False)
            if self.reason is not None:
                yield Input(
                    self.reason, placeholder="reason (optional, kept in the history; tab here)", id="confirm-reason"
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes_label} (y)", id="confirm-yes", variant="warning")
                yield Button("No (n)", id="confirm-no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_answer(event.button.id == "confirm-yes")

    @on(Input.Submitted, "#confirm-reason")
    def _submitted(self) -> None:
        self.action_answer(True)

    def action_answer(self, answer: bool) -> None:
        reasons = self.query("#confirm-reason").results(Input)
        self.dismiss(next((i.value.strip() for i in reasons), "") if answer else None)
