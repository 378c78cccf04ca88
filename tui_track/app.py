"""The tui-track full-screen app: a shell that opens the main screen on a store."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from .commands_palette import ScreenActions
from .screens.main import MainScreen

DEFAULT_THEME = "textual-dark"
DEFAULT_REFRESH = 2.0


class TuiTrackApp(App[None]):
    """Browse a tui-track store from the keyboard; ``q`` quits, ``?`` lists the keys."""

    TITLE = "tui-track"
    CSS_PATH = ["app.tcss", "screens.tcss"]  # noqa: RUF012 (typed by App; a ClassVar annotation clashes)
    COMMANDS = App.COMMANDS | {ScreenActions}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+p", "command_palette", "Commands", show=False),
    ]

    def __init__(
        self, store_path: str | Path, *, refresh_interval: float = DEFAULT_REFRESH, theme: str | None = None
    ) -> None:
        super().__init__()
        self.store_path = Path(store_path)
        self.refresh_interval = refresh_interval
        if theme:
            if theme not in self.available_themes:
                raise ValueError(f"unknown theme {theme!r}; choose one of {', '.join(sorted(self.available_themes))}")
            self.theme = theme

    @property
    def main_screen(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("the main screen is not open")

    def on_mount(self) -> None:
        self.push_screen(MainScreen(self.store_path, self.refresh_interval))
