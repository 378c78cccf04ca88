"""Find: jump to a run by (fuzzy) name or id prefix.

The screen gets the runs the table holds and dismisses with the chosen run's id. Typing narrows
the list: runs whose id starts with the text come first, then fuzzy name matches best first
(Textual's command-palette matcher). Up/down move in the list, enter jumps, escape cancels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tracker_core.records import RunSummary

MAX_SHOWN = 50


def find_runs(runs: Sequence[RunSummary], text: str, limit: int = MAX_SHOWN) -> list[RunSummary]:
    """Runs matching ``text``: id-prefix matches (newest first), then fuzzy name matches, best first."""
    text = text.strip()
    if not text:
        return sorted(runs, key=lambda r: r.start_time or 0.0, reverse=True)[:limit]
    lowered = text.lower()
    by_id = [r for r in runs if r.id.startswith(lowered)]
    by_id.sort(key=lambda r: r.start_time or 0.0, reverse=True)
    seen = {r.id for r in by_id}
    matcher = Matcher(text)
    scored = [(matcher.match(r.name), r) for r in runs if r.id not in seen]
    by_name = [r for score, r in sorted(scored, key=lambda p: (-p[0], -(p[1].start_time or 0.0))) if score > 0]
    return (by_id + by_name)[:limit]


class FindScreen(ModalScreen[str | None]):
    """Type part of a run's name or the start of its id; enter jumps to the highlighted run."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Next match", show=False),
        Binding("up", "move(-1)", "Previous match", show=False),
    ]

    def __init__(self, runs: Sequence[RunSummary], experiments: dict[str, str] | None = None) -> None:
        super().__init__()
        self.runs = list(runs)
        self.experiments = experiments or {}
        self.matches: list[RunSummary] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="find-dialog", classes="dialog") as dialog:
            dialog.border_title = "Find run"
            yield Input(placeholder="name (fuzzy) or id prefix", id="find-input")
            yield OptionList(id="find-matches")
            yield Static("", id="find-count")

    def on_mount(self) -> None:
        self.query_one("#find-input", Input).focus()
        self._show("")

    def _show(self, text: str) -> None:
        self.matches = find_runs(self.runs, text)
        options = self.query_one("#find-matches", OptionList)
        options.clear_options()
        for run in self.matches:
            exp = self.experiments.get(run.experiment_id)
            where = f"  [{exp}]" if exp and len(set(self.experiments.values())) > 1 else ""
            options.add_option(Option(f"{run.id[:8]}  {run.name}{where}", id=run.id))
        if self.matches:
            options.highlighted = 0
        total = len(self.runs)
        self.query_one("#find-count", Static).update(
            f"{len(self.matches)} shown of {total} runs" if self.matches else f"no run matches (of {total})"
        )

    @on(Input.Changed, "#find-input")
    def _changed(self, event: Input.Changed) -> None:
        self._show(event.value)

    @on(Input.Submitted, "#find-input")
    def _submitted(self) -> None:
        options = self.query_one("#find-matches", OptionList)
        index = options.highlighted
        if index is None or not self.matches:
            self.notify("no run matches; type less, or escape", severity="warning")
            return
        self.dismiss(self.matches[index].id)

    @on(OptionList.OptionSelected, "#find-matches")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        options = self.query_one("#find-matches", OptionList)
        if self.matches:
            current = options.highlighted or 0
            options.highlighted = max(0, min(len(self.matches) - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)
