"""The reproduce screen (``p`` on a run): checkout, patch, packages and command of a run, and its interruptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Static

from tracker_core.errors import TrackerError
from tracker_core.records import RunSummary
from tracker_core.store import Store

from ..run_sections import reproduce_text
from .base import TrackerScreen


class ReproduceScreen(TrackerScreen):
    """What ``tui-track reproduce RUN`` prints, for the run on screen."""

    HELP_TITLE: ClassVar[str] = "reproduce"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("r", "reload", "Reload", show=False)]

    @dataclass
    class Loaded(Message):
        """The run, its reproduction record and code patch (None: not recorded), read by the worker."""

        run: RunSummary
        record: dict[str, Any] | None
        patch: str | None

    def __init__(self, store: Store, run_id: str) -> None:
        super().__init__()
        self.store = store
        self.run_id = run_id
        self.text = ""

    def compose(self) -> ComposeResult:
        yield Static(f"Reproduce run {self.run_id[:8]}: loading…", id="reproduce-title", classes="screen-title")
        with VerticalScroll(id="reproduce-body"):
            yield Static(id="reproduce-text")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load(self) -> None:
        """Read the run and its reproduction record (worker thread)."""
        from tracker_core import reproduce

        try:
            run = self.store.get_run(self.run_id)
            record, patch = reproduce.load(self.store, run.id)
        except (TrackerError, OSError, ValueError) as exc:
            self.notify(f"cannot read run {self.run_id[:8]}: {exc}", severity="error", timeout=8)
            return
        self.post_message(self.Loaded(run, record, patch))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.text = reproduce_text(message.run, message.record, message.patch)
        self.query_one("#reproduce-title", Static).update(
            Text(f"Reproduce {message.run.name} ({message.run.id[:8]}, {message.run.status})", style="bold")
        )
        self.query_one("#reproduce-text", Static).update(Text(self.text))
        self.query_one("#reproduce-body", VerticalScroll).focus()

    def action_reload(self) -> None:
        """Read the record again."""
        self.load()
