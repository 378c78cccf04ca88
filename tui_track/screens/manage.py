"""Managing runs from the runs table: delete/restore, rename, tags and the note, each confirmed.

:class:`ManageRuns` is mixed into the main screen (its bindings live there); every change goes
through :mod:`tracker_core.manage` in a thread, after a confirmation that says what will change.
:class:`TextPrompt` is the one-line input those actions ask with.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tracker_core.errors import TrackerError
from tracker_core.records import RunSummary

from ..formatting import cell
from ..workers import DIALOG_GROUP
from .confirm import ConfirmScreen

if TYPE_CHECKING:
    from tracker_core.store import Store

    from ..widgets.runs_table import RunsTable

NOTE_TAG = "note"  # tracker_core.manage.NOTE_TAG (not imported here: the app loads the library lazily)


class TextPrompt(ModalScreen[str | None]):
    """One line of text: enter gives it (stripped), escape gives None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, prompt: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-dialog", classes="dialog") as dialog:
            dialog.border_title = self.title_text
            yield Static(self.prompt, id="prompt-text", markup=False)
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input")

    def on_mount(self) -> None:
        self.query_one("#prompt-input", Input).focus()

    @on(Input.Submitted, "#prompt-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


def _names(runs: list[RunSummary], limit: int = 4) -> str:
    shown = ", ".join(f"{r.name} ({r.id[:8]})" for r in runs[:limit])
    return shown + (f" and {len(runs) - limit} more" if len(runs) > limit else "")


def parse_tag_edit(text: str) -> tuple[dict[str, str], list[str]]:
    """``key=value`` sets a tag, ``-key`` removes one; several are separated by ``;``."""
    tags: dict[str, str] = {}
    remove: list[str] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        if part.startswith("-") and "=" not in part:
            remove.append(part[1:].strip())
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{part!r} is not key=value or -key")
        tags[key.strip()] = value.strip()
    return tags, remove


class ManageRuns:
    """Actions of the main screen that change runs (bound in its BINDINGS)."""

    if TYPE_CHECKING:
        store: Store | None
        show_deleted: bool
        app: Any

        @property
        def table(self) -> RunsTable: ...

        def notify(self, message: str, **kwargs: Any) -> None: ...

        def _targets(self) -> list[str]: ...

        def refresh_runs_now(self) -> None: ...

    def _chosen(self) -> list[RunSummary]:
        runs = [self.table.runs[i] for i in self._targets() if i in self.table.runs]
        if not runs:
            self.notify("no run under the cursor", severity="warning")
        return runs

    def _current(self) -> RunSummary | None:
        run_id = self.table.cursor_run_id
        run = self.table.runs.get(run_id) if run_id else None
        if run is None:
            self.notify("no run under the cursor", severity="warning")
        return run

    async def _confirm_and_do(self, question: str, title: str, change: Callable[[Store], Any], done: str) -> bool:
        """Ask; on yes run ``change(store)`` in a thread; say what happened (or why it failed)."""
        store = self.store
        if store is None:
            return False
        answer = await self.app.push_screen_wait(ConfirmScreen(question, title=title, reason=None))
        if answer is None:
            return False
        try:
            await asyncio.to_thread(change, store)
        except (TrackerError, OSError) as exc:
            self.notify(f"{title.rstrip('?').lower()} failed: {exc}", severity="error", timeout=10, markup=False)
            self.refresh_runs_now()
            return False
        self.notify(done, title="Runs updated", markup=False)
        self.refresh_runs_now()
        return True

    @work(exclusive=True, group=DIALOG_GROUP)
    async def action_delete_runs(self) -> None:
        """Delete the marked runs (or the one under the cursor); in the deleted-runs view, restore them."""
        from tracker_core import manage

        runs = self._chosen()
        if not runs:
            return
        ids = [r.id for r in runs]
        if self.show_deleted:
            await self._confirm_and_do(
                f"Restore {len(runs)} run(s): {_names(runs)}?\nThey show in the runs table again.",
                "Restore runs?",
                lambda store: manage.restore_runs(store, ids),
                f"restored {len(runs)} run(s)",
            )
            return
        await self._confirm_and_do(
            f"Delete {len(runs)} run(s): {_names(runs)}?\n"
            "They are hidden, not erased: X shows the deleted runs, where x restores them.",
            "Delete runs?",
            lambda store: manage.delete_runs(store, ids),
            f"deleted {len(runs)} run(s) (X shows deleted runs)",
        )

    @work(exclusive=True, group=DIALOG_GROUP)
    async def action_rename_run(self) -> None:
        """Rename the run under the cursor."""
        from tracker_core import manage

        run = self._current()
        if run is None:
            return
        name = await self.app.push_screen_wait(
            TextPrompt(
                "Rename run", f"New name for run {run.id[:8]} ({run.name}); enter renames, escape cancels.", run.name
            )
        )
        if not name or name == run.name:
            return
        old = run.name
        await self._confirm_and_do(
            f"Rename run {run.id[:8]} from {old!r} to {name!r}?",
            "Rename run?",
            lambda store: manage.rename_run(store, run.id, name, expect_name=old),
            f"renamed {run.id[:8]} to {name}",
        )

    @work(exclusive=True, group=DIALOG_GROUP)
    async def action_tag_run(self) -> None:
        """Set or remove tags of the marked runs (or the one under the cursor)."""
        from tracker_core import manage

        runs = self._chosen()
        if not runs:
            return
        current = "; ".join(f"{k}={cell(v)}" for k, v in sorted(runs[0].tags.items()) if k != NOTE_TAG) or "none"
        text = await self.app.push_screen_wait(
            TextPrompt(
                "Tags",
                f"Tags of {_names(runs)} — now: {current}\n"
                "key=value sets, -key removes; several separated by ';'. Escape cancels.",
                placeholder="e.g. reviewed=yes; -stale",
            )
        )
        if not text:
            return
        try:
            tags, remove = parse_tag_edit(text)
        except ValueError as exc:
            self.notify(f"tags not changed: {exc}", severity="error", markup=False)
            return
        what = ", ".join([f"set {k}={v!r}" for k, v in tags.items()] + [f"remove {k}" for k in remove])
        ids = [r.id for r in runs]

        def change(store: Store) -> None:
            for run_id in ids:
                manage.update_tags(store, run_id, tags, remove=remove)

        await self._confirm_and_do(
            f"On {len(runs)} run(s) ({_names(runs)}): {what}?", "Change tags?", change, f"tags changed: {what}"
        )

    @work(exclusive=True, group=DIALOG_GROUP)
    async def action_note_run(self) -> None:
        """Write, change or clear the note of the run under the cursor (the `note` tag)."""
        from tracker_core import manage

        run = self._current()
        if run is None:
            return
        old = str(run.tags.get(NOTE_TAG, ""))
        text = await self.app.push_screen_wait(
            TextPrompt(
                "Note",
                f"Note on {run.name} ({run.id[:8]}); an empty note removes it. Search it with tags.note LIKE '%word%'.",
                old,
                placeholder="e.g. overfits after epoch 12",
            )
        )
        if text is None or text == old:
            return
        question = f"Remove the note of {run.name}?" if not text else f"Set the note of {run.name} to {text!r}?"
        await self._confirm_and_do(
            question,
            "Note?",
            lambda store: manage.set_note(store, run.id, text),
            "note saved" if text else "note removed",
        )
