"""What the secondary screens share: escape goes back, j/k move in whatever list has focus."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen

from tracker_core.errors import TrackerError
from tracker_core.records import RunSummary
from tracker_core.store import Store

from ..formatting import short_id
from ..workers import ReportsWorkerErrors


def plain(*cells: object) -> list[Text]:
    """Cells or column labels for a DataTable, shown as typed (it reads plain strings as markup)."""
    return [c if isinstance(c, Text) else Text(str(c)) for c in cells]


class TrackerScreen(ReportsWorkerErrors, Screen[None]):
    """A pushed screen of the app (run, chart, compare, artifacts, registry)."""

    HELP_TITLE: ClassVar[str] = "screen"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("question_mark", "help", "Help"),
        Binding("j", "cursor('down')", "Down", show=False),
        Binding("k", "cursor('up')", "Up", show=False),
    ]

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A toast, plain text unless asked: messages carry error texts and names that may hold brackets."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def action_back(self) -> None:
        """Return to the screen underneath."""
        self.dismiss()

    def action_cursor(self, direction: str) -> None:
        """Vim-style j/k: move the cursor of the focused list, table or tree."""
        move = getattr(self.focused, f"action_cursor_{direction}", None)
        if callable(move):
            move()

    def action_help(self) -> None:
        """List every key of this screen."""
        from ..commands_palette import key_actions
        from .help import HelpScreen

        self.app.push_screen(HelpScreen(self.HELP_TITLE, key_actions(self, self.focused)))  # type: ignore[arg-type]

    def read_runs(self, store: Store, run_ids: Sequence[str]) -> list[RunSummary]:
        """The runs that can still be read (call from a worker); a toast names each one left out."""
        runs: list[RunSummary] = []
        for run_id in run_ids:
            try:
                runs.append(store.get_run(run_id))
            except TrackerError as exc:
                self.notify(f"run {short_id(run_id)} left out: {exc}", severity="warning")
        return runs
