"""What the secondary screens share: escape goes back, j/k move in whatever list has focus."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar

from textual import events
from textual.binding import ActiveBinding, Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer

from tracker_core.errors import TrackerError
from tracker_core.records import RunSummary
from tracker_core.store import Store

from ..formatting import short_id
from ..workers import ReportsWorkerErrors


class TrackerScreen(ReportsWorkerErrors, Screen[None]):
    """A pushed screen of the app (run, chart, compare, artifacts, registry)."""

    HELP_TITLE: ClassVar[str] = "screen"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("question_mark", "help", "Help"),
        Binding("j", "cursor('down')", "Down", show=False),
        Binding("k", "cursor('up')", "Up", show=False),
    ]
    WIDE_FOOTER: ClassVar[int] = 0
    """The width the screen's footer needs for every key and the command palette key (0: any width)."""
    NARROW_FOOTER_HIDES: ClassVar[frozenset[str]] = frozenset()
    """Actions left out of the footer below ``WIDE_FOOTER`` columns, as is the command palette key (the
    keys still work, and the help lists them)."""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The screen's bindings; on a narrow screen the footer leaves out ``NARROW_FOOTER_HIDES`` (keys still work)."""
        bindings = super().active_bindings
        if not self.NARROW_FOOTER_HIDES or self._wide_footer:
            return bindings
        return {
            key: active._replace(binding=dataclasses.replace(active.binding, show=False))
            if active.binding.action in self.NARROW_FOOTER_HIDES
            else active
            for key, active in bindings.items()
        }

    @property
    def _wide_footer(self) -> bool:
        return self.size.width >= self.WIDE_FOOTER

    def on_resize(self, event: events.Resize) -> None:
        if self.WIDE_FOOTER:
            for footer in self.query(Footer):
                footer.show_command_palette = self._wide_footer
            self.refresh_bindings()

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

        self.app.push_screen(HelpScreen(self.HELP_TITLE, key_actions(self, self.focused)))

    def read_runs(self, store: Store, run_ids: Sequence[str]) -> list[RunSummary]:
        """The runs that can still be read (call from a worker); a toast names each one left out."""
        runs: list[RunSummary] = []
        for run_id in run_ids:
            try:
                runs.append(store.get_run(run_id))
            except TrackerError as exc:
                self.notify(f"run {short_id(run_id)} left out: {exc}", severity="warning")
        return runs
