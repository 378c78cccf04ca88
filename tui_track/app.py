"""The tui-track full-screen app: a shell that opens the main screen on a store.

The app holds what every screen shares: the settings read once at start and, once a worker
has opened it, the one :class:`~tracker_core.store.Store`. Screens are opened through the
typed ``open_*`` methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tracker_core.config import DEFAULT_REFRESH, AppSettings
from tracker_core.records import RunSummary
from tracker_core.store import Store

from .commands_palette import ScreenActions
from .screens.main import MainScreen


class TuiTrackApp(App[None]):
    """Browse a tui-track store from the keyboard; ``q`` or Ctrl-C quits, ``?`` lists the keys."""

    TITLE = "tui-track"
    CSS_PATH = ["app.tcss", "screens.tcss"]  # noqa: RUF012 (typed by App; a ClassVar annotation clashes)
    COMMANDS = App.COMMANDS | {ScreenActions}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+p", "command_palette", "Commands", show=False),
    ]

    def __init__(
        self,
        settings: AppSettings | str | Path,
        *,
        refresh_interval: float = DEFAULT_REFRESH,
        theme: str | None = None,
        experiment: str | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(settings, AppSettings):
            settings = AppSettings.for_store(
                settings, refresh_interval=refresh_interval, theme=theme, experiment=experiment
            )
        self.settings = settings
        self.store: Store | None = None
        """The store, set once the main screen's worker has opened it."""
        if settings.theme:
            if settings.theme not in self.available_themes:
                themes = ", ".join(sorted(self.available_themes))
                raise ValueError(f"unknown theme {settings.theme!r}; choose one of {themes}")
            self.theme = settings.theme

    @property
    def store_path(self) -> Path:
        return self.settings.store_path

    @property
    def refresh_interval(self) -> float:
        return self.settings.refresh_interval

    @property
    def main_screen(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("the main screen is not open")

    def on_mount(self) -> None:
        self.push_screen(MainScreen(self.settings))

    # ------------------------------------------------------------------ opening screens
    def _push(self, screen: Screen[None] | None) -> None:
        if screen is not None:
            self.push_screen(screen)

    def _opened_store(self) -> Store | None:
        if self.store is None:
            self.notify("No store yet", severity="warning")
        return self.store

    def open_run(self, run_id: str) -> None:
        """The run screen of one run."""
        from .screens.run import RunScreen

        if (store := self._opened_store()) is not None:
            self.push_screen(RunScreen(store, run_id, self.refresh_interval))

    def open_chart(self, run_ids: Sequence[str]) -> None:
        """Metric charts of the given runs."""
        from .screens.chart import ChartScreen

        if (store := self._opened_store()) is not None:
            self.push_screen(ChartScreen(store, list(run_ids), refresh_interval=self.refresh_interval))

    def open_compare(self, run_ids: Sequence[str]) -> None:
        """The given runs side by side."""
        from .screens.compare import CompareScreen

        if (store := self._opened_store()) is not None:
            self.push_screen(CompareScreen(store, list(run_ids), self.refresh_interval))

    def open_artifacts(self, run_id: str) -> None:
        """One run's artifacts."""
        from .screens.artifacts import ArtifactsScreen

        if (store := self._opened_store()) is not None:
            self.push_screen(ArtifactsScreen(store, run_id))

    def open_registry(self) -> None:
        """The model registry."""
        from .screens.registry import RegistryScreen

        if (store := self._opened_store()) is not None:
            self.push_screen(RegistryScreen(store, self.refresh_interval))

    def open_scatter(self, runs: Sequence[RunSummary], *, y: str | None = None, context: str = "") -> None:
        """A scatter of these runs (x a param or metric, ``y`` a metric key such as ``metrics.loss``)."""
        from .screens.scatter import ScatterScreen

        self.push_screen(ScatterScreen(runs, y=y, context=context))

    def open_parallel(self, runs: Sequence[RunSummary], *, metric: str | None = None, context: str = "") -> None:
        """Parallel coordinates of these runs: their params as axes, coloured by ``metric``."""
        from .screens.parallel import ParallelScreen

        self.push_screen(ParallelScreen(runs, metric=metric, context=context))
