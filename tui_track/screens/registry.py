"""The model registry: models, their versions, promoting and aliasing from the keyboard, and the audit trail.

The screen refreshes live. Every change goes through :class:`tracker_core.registry.Registry`
after a confirmation that says what will change, and carries what that confirmation showed as
the registry's expected state: if another process changed it meanwhile, nothing is written,
the screen says what changed and asks again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from tracker_core.errors import ConflictError, TrackerError
from tracker_core.registry import STAGES, HistoryEntry, ModelVersion, RegisteredModel, Registry
from tracker_core.registry.records import ARCHIVED, DEVELOPMENT, PRODUCTION, STAGING
from tracker_core.store import Store

from ..formatting import aliases_text, cell, ellipsize, newest_first, short_id, short_time
from ..widgets.facts import free_last_column, plain
from ..workers import DIALOG_GROUP
from .alias_input import AliasInputScreen
from .base import TrackerScreen
from .choice import ChoiceScreen
from .confirm import ConfirmScreen

KEY_METRICS = 3
VERSION_COLUMNS = (" ", "version", "stage", "aliases", "source run", "registered", "metrics")
"""The versions table; the free-form metrics last, so a narrow screen cuts only them."""
HISTORY_COLUMNS = ("when", "change", "by", "reason")
EMPTY_HELP = (
    "No registered models yet. Register a model logged on a run with\n"
    "  tui-track models register NAME RUN_ID\n"
    "or from Python: Registry(store).register(NAME, run_id)"
)


def key_metrics(version: ModelVersion, width: int | None = None, limit: int = KEY_METRICS) -> str:
    """The first few metrics recorded with a version, as ``name value`` pairs: whole pairs that fit in
    ``width``, then `` …`` when some are left out (a single pair too wide is cut with an ellipsis)."""
    items = sorted(version.metrics.items())
    shown: list[str] = []
    for k, v in items[:limit]:
        pair = f"{k} {cell(v)}"
        if shown and width is not None and cell_len("  ".join([*shown, pair])) + 2 > width:
            break
        shown.append(pair)
    text = "  ".join(shown) + (" …" if len(shown) < len(items) else "")
    return text if width is None else ellipsize(text, width)


NEXT_STAGE = {DEVELOPMENT: STAGING, STAGING: PRODUCTION}
"""The stage the promote dialog starts on: one step up; from production or archived, the current one."""


def holder(versions: list[ModelVersion], stage: str) -> int | None:
    """The version ``models:/<name>/<stage>`` resolves to: the highest in ``stage``, None if none."""
    return max((v.version for v in versions if v.stage == stage and not v.deleted), default=None)


def promote_question(model: str, version: ModelVersion, stage: str, others: list[ModelVersion]) -> str:
    """What promoting ``version`` to ``stage`` will change, in words."""
    text = f"Move {model} v{version.version} from {version.stage} to {stage}."
    if stage == PRODUCTION:
        current = [o for o in others if o.stage == PRODUCTION and o.version != version.version]
        if current:
            names = ", ".join(f"v{o.version}" for o in current)
            text += f"\n{names}, now in production, will be archived."
        else:
            text += "\nNo version is in production now; nothing will be archived."
    elif STAGES.index(stage) < STAGES.index(version.stage) or stage == ARCHIVED:
        text += "\nThis is a demotion."
    return text


def alias_question(model: str, alias: str, version: int, aliases: dict[str, int]) -> str | None:
    """What setting ``alias`` to ``version`` will change, or None when it already points there."""
    previous = aliases.get(alias)
    if previous == version:
        return None
    if previous is None:
        return f"Set the new alias '{alias}' on {model} v{version}."
    return f"Move alias '{alias}' of {model} from v{previous} to v{version}."


def history_line(entry: HistoryEntry) -> tuple[str, str, str, str]:
    """(when, change, who, reason) for the history table."""
    return (short_time(entry.time), entry.describe(), f"{entry.user}@{entry.host}", entry.reason or "")


class RegistryScreen(TrackerScreen):
    """Registered models on top, the highlighted model's versions below, its history on demand."""

    HELP_TITLE: ClassVar[str] = "model registry"
    WIDE_FOOTER: ClassVar[int] = 90
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "promote", "Promote"),
        Binding("a", "alias", "Alias"),
        Binding("x", "remove_alias", "Drop alias"),
        Binding("h", "toggle_history", "History"),
        Binding("r", "reload", "Reload", show=False),
    ]

    @dataclass
    class ModelsLoaded(Message):
        models: list[RegisteredModel]

    @dataclass
    class ModelLoaded(Message):
        """One model's versions, history and the names of their source runs."""

        name: str
        versions: list[ModelVersion]
        history: list[HistoryEntry]
        run_names: dict[str, str]

    def __init__(self, store: Store, refresh_interval: float = 2.0) -> None:
        super().__init__()
        self.store = store
        self.refresh_interval = refresh_interval
        self._registry: Registry | None = None
        self.models: list[RegisteredModel] = []
        self.model_name: str | None = None
        self.versions: list[ModelVersion] = []
        self.history: list[HistoryEntry] = []
        self._shown_model: RegistryScreen.ModelLoaded | None = None

    @property
    def registry(self) -> Registry:
        """The registry (created on first use, in a worker)."""
        if self._registry is None:
            self._registry = Registry(self.store)
        return self._registry

    def compose(self) -> ComposeResult:
        yield Static("Model registry: loading…", id="registry-title", classes="screen-title")
        models: DataTable[Any] = DataTable(id="registry-models", cursor_type="row")
        models.add_columns("model", "versions", "latest", "production", "aliases")
        yield models
        yield Static("", id="registry-versions-title", classes="screen-title")
        versions: DataTable[Any] = DataTable(id="registry-versions", cursor_type="row")
        versions.add_columns(*VERSION_COLUMNS)
        yield versions
        yield Static("History, newest first (h hides)", id="registry-history-title", classes="screen-title history")
        history: DataTable[Any] = DataTable(id="registry-history", cursor_type="row", classes="history")
        history.add_columns(*HISTORY_COLUMNS)
        yield history
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#registry-models", DataTable).focus()
        self.load_models()
        self.set_interval(self.refresh_interval, self.tick, name="registry refresh")

    def tick(self) -> None:
        """Live refresh: read the registry again unless a read is still going."""
        if not any(w.group in ("registry-models", "registry-model") and w.is_running for w in self.workers):
            self.load_models()

    # ---------------------------------------------------------------- reading
    @work(thread=True, exclusive=True, exit_on_error=False, group="registry-models")
    def load_models(self) -> None:
        """List the registered models (worker thread)."""
        try:
            models = self.registry.list_models()
        except (TrackerError, OSError) as exc:
            self.notify(f"cannot read the registry: {exc}", severity="error", timeout=8)
            return
        self.post_message(self.ModelsLoaded(models))

    @work(thread=True, exclusive=True, exit_on_error=False, group="registry-model")
    def load_model(self, name: str) -> None:
        """Read one model's versions and history, and its source runs' names (worker thread)."""
        try:
            versions = self.registry.list_versions(name)
            history = self.registry.history(name)
        except (TrackerError, OSError) as exc:
            self.notify(f"cannot read model {name}: {exc}", severity="error", timeout=8)
            return
        run_names: dict[str, str] = {}
        for v in versions:
            if v.source_run_id and v.source_run_id not in run_names:
                try:
                    run_names[v.source_run_id] = self.store.get_run(v.source_run_id).name
                except TrackerError:
                    run_names[v.source_run_id] = "(run gone)"
        self.post_message(self.ModelLoaded(name, versions, history, run_names))

    @on(ModelsLoaded)
    def _models_loaded(self, message: ModelsLoaded) -> None:
        changed = message.models != self.models
        self.models = message.models
        table: DataTable[Any] = self.query_one("#registry-models", DataTable)
        keep = self.model_name
        if changed or not table.row_count:
            table.clear()
            for m in self.models:
                if m.error:
                    table.add_row(*plain(m.name, Text(f"unreadable: {m.error}", style="red"), "", "", ""), key=m.name)
                    continue
                production = f"v{m.production_version}" if m.production_version is not None else "-"
                latest = f"v{m.latest_version}" if m.latest_version is not None else "-"
                table.add_row(*plain(m.name, m.version_count, latest, production, aliases_text(m.aliases)), key=m.name)
        count = len(self.models)
        self.query_one("#registry-title", Static).update(
            f"Model registry · {count} model{'s' if count != 1 else ''} · p promote · a alias · x drop alias"
        )
        if not self.models:
            self.model_name = None
            self.query_one("#registry-versions-title", Static).update(EMPTY_HELP)
            self.set_class(True, "-empty")
            return
        self.set_class(False, "-empty")
        names = [m.name for m in self.models]
        index = names.index(keep) if keep in names else 0
        if table.cursor_row != index:
            table.move_cursor(row=index)
        self.model_name = names[index]
        self.load_model(self.model_name)

    @on(DataTable.RowHighlighted, "#registry-models")
    def _model_highlighted(self, event: DataTable.RowHighlighted) -> None:
        name = event.row_key.value
        if name is not None and name != self.model_name:
            self.model_name = name
            self.load_model(name)

    @on(DataTable.RowSelected, "#registry-models")
    def _model_selected(self) -> None:
        self.query_one("#registry-versions", DataTable).focus()

    @on(DataTable.RowHighlighted, "#registry-versions")
    def _version_highlighted(self) -> None:
        self._mark_cursor()

    def _mark_cursor(self) -> None:
        """A ▶ in the first column of the version under the cursor: visible without colour (NO_COLOR)."""
        table: DataTable[Any] = self.query_one("#registry-versions", DataTable)
        if not table.row_count:
            return
        first = table.ordered_columns[0].key
        current = table.cursor_row
        for row, key in enumerate(table.rows):
            table.update_cell(key, first, "▶" if row == current else " ")

    def on_resize(self, event: events.Resize) -> None:
        if self._shown_model is not None:  # the metrics column's room changed: once the table has its new size
            self.call_after_refresh(self._fill_versions, self._shown_model)

    @on(ModelLoaded)
    def _model_loaded(self, message: ModelLoaded) -> None:
        if message.name != self.model_name:
            return  # an older answer: another model is highlighted now
        if message == self._shown_model:
            return  # nothing changed: leave the cursor and scroll alone
        self._shown_model = message
        self.versions = message.versions
        self.history = message.history
        self._fill_versions(message)

    def _fill_versions(self, message: ModelLoaded) -> None:
        """The versions table, its free-form metrics column cut (with an ellipsis) to the room the others leave."""
        table: DataTable[Any] = self.query_one("#registry-versions", DataTable)
        keep = self.highlighted_version
        ordered = sorted(message.versions, key=lambda x: -x.version)
        rows = []
        for v in ordered:
            stage = Text(v.stage, style="bold green" if v.stage == PRODUCTION else "")
            run = (
                f"{message.run_names.get(v.source_run_id, '?')} {short_id(v.source_run_id)}" if v.source_run_id else "-"
            )
            rows.append([" ", f"v{v.version}", stage, ", ".join(sorted(v.aliases)), run, short_time(v.registered_at)])
        room = free_last_column(table, VERSION_COLUMNS, rows)
        for v, row in zip(ordered, rows, strict=True):
            table.add_row(*plain(*row, key_metrics(v, room)), key=str(v.version))
        if keep is not None and str(keep.version) in table.rows:
            table.move_cursor(row=table.get_row_index(str(keep.version)))
        self._mark_cursor()
        in_production = holder(self.versions, PRODUCTION)
        production = f"production v{in_production}" if in_production is not None else "none in production"
        self.query_one("#registry-versions-title", Static).update(
            f"[b]{message.name}[/b] · {len(self.versions)} versions · {production}"
        )
        history: DataTable[Any] = self.query_one("#registry-history", DataTable)
        lines = [history_line(entry) for entry in newest_first(self.history)]
        room = free_last_column(history, HISTORY_COLUMNS, lines)
        for line in lines:
            history.add_row(*plain(*line[:-1], ellipsize(line[-1], room)))

    @property
    def highlighted_version(self) -> ModelVersion | None:
        """The version under the cursor of the versions table."""
        table: DataTable[Any] = self.query_one("#registry-versions", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((v for v in self.versions if str(v.version) == key), None)

    # ---------------------------------------------------------------- writing
    def _target(self) -> tuple[str, ModelVersion] | None:
        version = self.highlighted_version
        if self.model_name is None or version is None:
            self.notify("highlight a version first (tab moves to the versions table)", severity="warning")
            return None
        return self.model_name, version

    async def _fresh_versions(self, name: str) -> list[ModelVersion]:
        """The model's versions as the store holds them now (read in a thread)."""
        versions = await asyncio.to_thread(self.registry.list_versions, name)
        self.load_models()  # the tables catch up too
        return versions

    async def _carry_out(self, question: str, title: str, change: Callable[[str | None], str]) -> str | None:
        """Ask ``question``; on yes run ``change(reason)`` in a thread and return what it did, in words.

        Returns None when the user said no, or when the change failed (the error is shown).
        A :class:`ConflictError` (the store changed since the question was asked) is raised.
        """
        reason = await self.app.push_screen_wait(ConfirmScreen(question, title=title))
        if reason is None:
            return None
        try:
            return await asyncio.to_thread(change, reason or None)
        except ConflictError:
            raise
        except (TrackerError, OSError) as exc:
            self.notify(f"{title.rstrip('?').lower()} failed: {exc}", severity="error", timeout=10)
            return None

    def _done(self, name: str, text: str) -> None:
        self.notify(f"{name}: {text}", title="Registry updated")
        self.load_models()

    @work(exclusive=True, group=DIALOG_GROUP)
    async def action_promote(self) -> None:
        """Move the highlighted version to another stage, confirmed against the store when written."""
        target = self._target()
        if target is None:
            return
        name, version = target
        label = f"{name} v{version.version}"
        prompt = f"Move {label} (now {version.stage}) to which stage?"
        start = NEXT_STAGE.get(version.stage, version.stage)
        stage = await self.app.push_screen_wait(ChoiceScreen("Promote", prompt, STAGES, version.stage, start))
        if stage is None:
            return
        versions, changed, number = self.versions, "", version.version
        while True:
            version = next((v for v in versions if v.version == number), version)
            if stage == version.stage:
                self.notify(f"{changed}{label} is already in {stage}")
                return
            expect_stage, expect_current = version.stage, holder(versions, stage)

            def change(
                reason: str | None, expect_stage: str = expect_stage, expect_current: int | None = expect_current
            ) -> str:
                entries = self.registry.promote(
                    name,
                    number,
                    stage,
                    reason=reason,
                    expect_stage=expect_stage,
                    expect_current=expect_current,
                )
                return "; ".join(e.describe() for e in entries) or "nothing changed"

            question = changed + promote_question(name, version, stage, versions)
            try:
                done = await self._carry_out(question, "Promote?", change)
            except ConflictError as exc:
                changed = f"Changed meanwhile: {exc}\n\n"
                versions = await self._fresh_versions(name)
                continue
            if done is not None:
                self._done(name, done)
            return

    @work(exclusive=True, group=DIALOG_GROUP)
    async def action_alias(self) -> None:
        """Point an alias at the highlighted version, new or moved, confirmed against the store when written."""
        target = self._target()
        if target is None:
            return
        name, version = target
        model = next((m for m in self.models if m.name == name), None)
        aliases = dict(model.aliases) if model else {}
        alias = await self.app.push_screen_wait(AliasInputScreen(f"{name} v{version.version}", aliases))
        if not alias:
            return
        changed = ""
        while True:
            question = alias_question(name, alias, version.version, aliases)
            if question is None:
                self.notify(f"{changed}alias '{alias}' already points at {name} v{version.version}")
                return
            expected = aliases.get(alias)

            def change(reason: str | None, expected: int | None = expected) -> str:
                return self.registry.set_alias(
                    name, alias, version.version, reason=reason, expect_current=expected
                ).describe()

            try:
                done = await self._carry_out(changed + question, "Set alias?", change)
            except ConflictError as exc:
                changed = f"Changed meanwhile: {exc}\n\n"
                aliases = dict((await asyncio.to_thread(self.registry.get_model, name)).aliases)
                self.load_models()
                continue
            if done is not None:
                self._done(name, done)
            return

    @work(exclusive=True, group=DIALOG_GROUP)
    async def action_remove_alias(self) -> None:
        """Remove one of the highlighted version's aliases, confirmed against the store when written."""
        target = self._target()
        if target is None:
            return
        name, version = target
        if not version.aliases:
            self.notify(f"{name} v{version.version} has no alias", severity="warning")
            return
        if len(version.aliases) == 1:
            alias: str | None = version.aliases[0]
        else:
            prompt = f"Remove which alias of {name} v{version.version}?"
            alias = await self.app.push_screen_wait(ChoiceScreen("Remove alias", prompt, sorted(version.aliases)))
        if not alias:
            return
        expected: int | None = version.version
        changed = ""
        while True:
            if expected is None:
                self.notify(f"{changed}alias '{alias}' is gone already")
                return
            question = f"Remove alias '{alias}' from {name} v{expected}; nothing will point at it."
            target_version = expected

            def change(reason: str | None, target_version: int = target_version) -> str:
                return self.registry.delete_alias(name, alias, reason=reason, expect_current=target_version).describe()

            try:
                done = await self._carry_out(changed + question, "Remove alias?", change)
            except ConflictError as exc:
                changed = f"Changed meanwhile: {exc}\n\n"
                expected = (await asyncio.to_thread(self.registry.get_model, name)).aliases.get(alias)
                self.load_models()
                continue
            if done is not None:
                self._done(name, done)
            return

    # ---------------------------------------------------------------- view
    def action_toggle_history(self) -> None:
        """Show or hide the highlighted model's history of changes."""
        self.toggle_class("-history")

    def action_reload(self) -> None:
        """Read the registry again."""
        self.load_models()
