"""The model registry: models, their versions, promoting and aliasing from the keyboard, and the audit trail.

Every change goes through :class:`tracker_core.registry.Registry` after a confirmation that
says what will change, so ``tui-track models`` sees it at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from tracker_core.errors import TrackerError
from tracker_core.registry import STAGES, HistoryEntry, ModelVersion, RegisteredModel, Registry
from tracker_core.registry.records import PRODUCTION
from tracker_core.store import Store

from ..output import cell, timestamp
from .alias_input import AliasInputScreen
from .base import TrackerScreen, plain
from .choice import ChoiceScreen
from .confirm import ConfirmScreen

KEY_METRICS = 3
EMPTY_HELP = (
    "No registered models yet. Register a model logged on a run with\n"
    "  tui-track models register NAME RUN_ID\n"
    "or from Python: Registry(store).register(NAME, run_id)"
)


def key_metrics(version: ModelVersion, limit: int = KEY_METRICS) -> str:
    """The first few metrics recorded with a version, as ``name value`` pairs."""
    items = sorted(version.metrics.items())[:limit]
    more = " …" if len(version.metrics) > limit else ""
    return "  ".join(f"{k} {cell(v)}" for k, v in items) + more


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
    return (timestamp(entry.time), entry.describe(), f"{entry.user}@{entry.host}", entry.reason or "")


class RegistryScreen(TrackerScreen):
    """Registered models on top, the highlighted model's versions below, its history on demand."""

    HELP_TITLE: ClassVar[str] = "model registry"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "promote", "Promote"),
        Binding("a", "alias", "Set alias"),
        Binding("x", "remove_alias", "Remove alias", show=False),
        Binding("h", "toggle_history", "History"),
        Binding("r", "reload", "Reload", show=False),
    ]

    class ModelsLoaded(Message):
        def __init__(self, models: list[RegisteredModel]) -> None:
            super().__init__()
            self.models = models

    class ModelLoaded(Message):
        """One model's versions, history and the names of their source runs."""

        def __init__(
            self, name: str, versions: list[ModelVersion], history: list[HistoryEntry], run_names: dict[str, str]
        ) -> None:
            super().__init__()
            self.name = name
            self.versions = versions
            self.history = history
            self.run_names = run_names

    class Written(Message):
        """A change went through; ``text`` says what happened."""

        def __init__(self, name: str, text: str) -> None:
            super().__init__()
            self.name = name
            self.text = text

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self._registry: Registry | None = None
        self.models: list[RegisteredModel] = []
        self.model_name: str | None = None
        self.versions: list[ModelVersion] = []
        self.history: list[HistoryEntry] = []

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
        versions.add_columns("version", "stage", "aliases", "source run", "metrics", "registered")
        yield versions
        yield Static("History (h hides)", id="registry-history-title", classes="screen-title history")
        history: DataTable[Any] = DataTable(id="registry-history", cursor_type="row", classes="history")
        history.add_columns("when", "change", "by", "reason")
        yield history
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#registry-models", DataTable).focus()
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
        self.models = message.models
        table: DataTable[Any] = self.query_one("#registry-models", DataTable)
        keep = self.model_name
        table.clear()
        for m in self.models:
            if m.error:
                table.add_row(*plain(m.name, Text(f"unreadable: {m.error}", style="red"), "", "", ""), key=m.name)
                continue
            aliases = ", ".join(f"{a}→v{v}" for a, v in sorted(m.aliases.items()))
            production = f"v{m.production_version}" if m.production_version is not None else "-"
            latest = f"v{m.latest_version}" if m.latest_version is not None else "-"
            table.add_row(*plain(m.name, m.version_count, latest, production, aliases), key=m.name)
        count = len(self.models)
        self.query_one("#registry-title", Static).update(
            f"Model registry · {count} model{'s' if count != 1 else ''} · p promote · a alias · h history"
        )
        if not self.models:
            self.model_name = None
            self.query_one("#registry-versions-title", Static).update(EMPTY_HELP)
            self.set_class(True, "-empty")
            return
        self.set_class(False, "-empty")
        names = [m.name for m in self.models]
        index = names.index(keep) if keep in names else 0
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

    @on(ModelLoaded)
    def _model_loaded(self, message: ModelLoaded) -> None:
        if message.name != self.model_name:
            return  # an older answer: another model is highlighted now
        self.versions = message.versions
        self.history = message.history
        table: DataTable[Any] = self.query_one("#registry-versions", DataTable)
        keep = self.highlighted_version
        table.clear()
        for v in sorted(self.versions, key=lambda x: -x.version):
            stage = Text(v.stage, style="bold green" if v.stage == PRODUCTION else "")
            run = f"{message.run_names.get(v.source_run_id, '?')} {v.source_run_id[:8]}" if v.source_run_id else "-"
            cells = (
                f"v{v.version}",
                stage,
                ", ".join(sorted(v.aliases)),
                run,
                key_metrics(v),
                timestamp(v.registered_at),
            )
            table.add_row(*plain(*cells), key=str(v.version))
        if keep is not None and str(keep.version) in table.rows:
            table.move_cursor(row=table.get_row_index(str(keep.version)))
        model = next((m for m in self.models if m.name == message.name), None)
        production = (
            f"production v{model.production_version}" if model and model.production_version else "none in production"
        )
        self.query_one("#registry-versions-title", Static).update(
            f"[b]{message.name}[/b] · {len(self.versions)} versions · {production}"
        )
        history: DataTable[Any] = self.query_one("#registry-history", DataTable)
        history.clear()
        for entry in reversed(self.history):
            history.add_row(*plain(*history_line(entry)))

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

    def action_promote(self) -> None:
        """Move the highlighted version to another stage (after a confirmation)."""
        target = self._target()
        if target is None:
            return
        name, version = target

        def picked(stage: str | None) -> None:
            if stage is None:
                return
            if stage == version.stage:
                self.notify(f"{name} v{version.version} is already in {stage}")
                return
            question = promote_question(name, version, stage, self.versions)
            self._confirm(question, "Promote?", lambda: self.promote(name, version.version, stage))

        label = f"{name} v{version.version}"
        prompt = f"Move {label} (now {version.stage}) to which stage?"
        self.app.push_screen(ChoiceScreen("Promote", prompt, STAGES, version.stage), picked)

    def action_alias(self) -> None:
        """Point an alias at the highlighted version, new or moved (after a confirmation)."""
        target = self._target()
        if target is None:
            return
        name, version = target
        model = next((m for m in self.models if m.name == name), None)
        aliases = dict(model.aliases) if model else {}

        def typed(alias: str | None) -> None:
            if not alias:
                return
            question = alias_question(name, alias, version.version, aliases)
            if question is None:
                self.notify(f"alias '{alias}' already points at {name} v{version.version}")
                return
            self._confirm(question, "Set alias?", lambda: self.set_alias(name, alias, version.version))

        self.app.push_screen(AliasInputScreen(f"{name} v{version.version}", aliases), typed)

    def action_remove_alias(self) -> None:
        """Remove one of the highlighted version's aliases (after a confirmation)."""
        target = self._target()
        if target is None:
            return
        name, version = target
        if not version.aliases:
            self.notify(f"{name} v{version.version} has no alias", severity="warning")
            return

        def picked(alias: str | None) -> None:
            if alias:
                question = f"Remove alias '{alias}' from {name} v{version.version}; nothing will point at it."
                self._confirm(question, "Remove alias?", lambda: self.delete_alias(name, alias))

        if len(version.aliases) == 1:
            picked(version.aliases[0])
        else:
            prompt = f"Remove which alias of {name} v{version.version}?"
            self.app.push_screen(ChoiceScreen("Remove alias", prompt, sorted(version.aliases)), picked)

    def _confirm(self, question: str, title: str, then: Callable[[], object]) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmScreen(question, title=title, yes_label="Yes, do it"), answered)

    @work(thread=True, exclusive=False, exit_on_error=False, group="registry-write")
    def write(self, name: str, what: str, change: Callable[[Registry], str]) -> None:
        """Apply ``change`` through the registry (worker thread); it returns what it did, in words."""
        try:
            done = change(self.registry)
        except (TrackerError, OSError) as exc:
            self.notify(f"{what} failed: {exc}", severity="error", timeout=10)
            return
        self.post_message(self.Written(name, f"{name}: {done}"))

    def promote(self, name: str, version: int, stage: str) -> None:
        """Move a version to ``stage`` (production archives the one there before)."""

        def change(registry: Registry) -> str:
            entries = registry.promote(name, version, stage)
            return "; ".join(e.describe() for e in entries) or "nothing changed"

        self.write(name, "promote", change)

    def set_alias(self, name: str, alias: str, version: int) -> None:
        """Point ``alias`` at a version, moving it if it pointed elsewhere."""
        self.write(name, "set alias", lambda registry: registry.set_alias(name, alias, version).describe())

    def delete_alias(self, name: str, alias: str) -> None:
        """Remove ``alias`` from the model."""
        self.write(name, "remove alias", lambda registry: registry.delete_alias(name, alias).describe())

    @on(Written)
    def _written(self, message: Written) -> None:
        self.notify(message.text, title="Registry updated")
        self.load_models()

    # ---------------------------------------------------------------- view
    def action_toggle_history(self) -> None:
        """Show or hide the highlighted model's history of changes."""
        self.toggle_class("-history")

    def action_reload(self) -> None:
        """Read the registry again."""
        self.load_models()
