"""Fixtures for the app's Pilot and snapshot tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

import tui_track

SCREENS_CSS = Path(tui_track.__file__).parent / "screens.tcss"


class ScreenHarness(App[None]):
    """A bare app that pushes one secondary screen over a blank base screen (for screen tests)."""

    CSS_PATH: ClassVar[list[str | Path]] = [SCREENS_CSS]

    def __init__(self, make_screen: Callable[[], Screen[None]]) -> None:
        super().__init__()
        self.make_screen = make_screen

    def compose(self) -> ComposeResult:
        yield Static("base screen", id="base")

    def on_mount(self) -> None:
        self.push_screen(self.make_screen())
