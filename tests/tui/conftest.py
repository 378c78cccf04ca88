"""Fixtures for the app's Pilot and snapshot tests."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
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


async def _wait_until(pilot: Any, condition: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    """Poll ``condition`` between pauses of the app until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        await pilot.pause(0.05)


@pytest.fixture
def wait_until() -> Callable[..., Awaitable[None]]:
    """``await wait_until(pilot, lambda: ..., timeout=10, what="...")``: poll the app with a timeout."""
    return _wait_until


async def _settle(pilot: Any) -> None:
    """Let posted messages run, wait for every worker, then let their messages run too."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def settle() -> Callable[[Any], Awaitable[None]]:
    """``await settle(pilot)``: the app is idle (workers done, their messages handled)."""
    return _settle


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests in a fresh event loop (no async plugin needed)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{n: pyfuncitem.funcargs[n] for n in names}))
    return True
