"""The installed ``tui-track`` command in a real terminal (tmux): keys in, screen text out."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import tracker_core as tc

TMUX = shutil.which("tmux")
ENTRY_POINT = Path(sys.executable).parent / "tui-track"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)"),
]


class Terminal:
    """A tmux session on a private server socket, so no user session is ever touched."""

    def __init__(self, socket: Path) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        assert TMUX is not None
        done = subprocess.run([TMUX, "-S", str(self.socket), *args], capture_output=True, text=True, timeout=10)
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "app")

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", "app", key)

    def text(self, text: str) -> None:
        self.tmux("send-keys", "-t", "app", "-l", text)

    def wait_for(self, check: Callable[[str], bool], what: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if check(screen):
                return screen
            time.sleep(0.1)  # polling a foreign process's terminal: there is no event to wait on
        raise AssertionError(f"timed out waiting for {what}; the screen was:\n{screen}")

    def alive(self) -> bool:
        return self.tmux("list-panes", "-t", "app", "-F", "#{pane_dead}").strip() == "0"


@pytest.fixture
def terminal(demo_store: tc.Store, tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(tmp_path / "tmux.sock")
    env = {"TERM": "xterm-256color", "NO_COLOR": "1", "TZ": "UTC", "TUI_TRACK_STORE": "/nonexistent"}
    command = [str(ENTRY_POINT), str(demo_store.root)]
    assert TMUX is not None
    subprocess.run(
        [TMUX, "-S", str(term.socket), "new-session", "-d", "-s", "app", "-x", "100", "-y", "30"]
        + [arg for k, v in env.items() for arg in ("-e", f"{k}={v}")]
        + command,
        check=True,
        timeout=10,
        env={**os.environ, **env},
    )
    term.tmux("set-option", "-t", "app", "remain-on-exit", "on")
    try:
        yield term
    finally:
        term.tmux("kill-server")


def test_installed_command_browses_filters_and_quits(terminal: Terminal) -> None:
    assert ENTRY_POINT.exists(), f"{ENTRY_POINT} is not installed; pip install -e . first"
    screen = terminal.wait_for(lambda s: "oom_sweep" in s and "churn_prediction" in s, "the runs table")
    assert "‼ crashed" in screen and "✗ failed" in screen  # statuses read without colour (NO_COLOR)
    terminal.keys("/")
    terminal.wait_for(lambda s: "e.g. metrics.accuracy" in s, "the filter line")
    terminal.text("metrics.accuracy > 0.87")
    terminal.keys("Enter")
    terminal.wait_for(
        lambda s: "2/6 runs" in s and "gbm" in s and "rf_large" in s and not {"logreg", "oom_sweep"} & set(s.split()),
        "the filtered runs, and the details of one of them",
    )
    terminal.keys("?")
    terminal.wait_for(lambda s: "Keys — runs" in s and "Sort next metric" in s, "the help screen")
    terminal.keys("Escape")  # alone: a terminal reads Escape then q as alt+q
    terminal.wait_for(lambda s: "Keys — runs" not in s, "the help screen to close")
    terminal.keys("q")
    terminal.wait_for(lambda s: not terminal.alive(), "tui-track to exit")
