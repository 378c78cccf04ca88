"""The registry screen in a real terminal follows a promotion made by another process."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tracker_core as tc

TMUX = shutil.which("tmux")
ENTRY_POINT = Path(sys.executable).parent / "tui-track"
REFRESH = 2.0  # the app's default refresh interval (tracker_core.config.DEFAULT_REFRESH)
SLACK = 6.0  # a loaded 2-core machine: the other process's start-up and a repaint

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)"),
]


def _tmux(socket: Path, *args: str) -> str:
    assert TMUX is not None
    return subprocess.run([TMUX, "-S", str(socket), *args], capture_output=True, text=True, timeout=10).stdout


def _wait_for(socket: Path, pattern: str, what: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux(socket, "capture-pane", "-p", "-t", "app")
        if re.search(pattern, screen):
            return screen
        time.sleep(0.1)  # polling another process's terminal: there is no event to wait on
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; the screen was:\n{screen}")


def test_registry_screen_shows_a_promotion_from_another_process(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "store", create=True)
    reg = tc.Registry(store)
    for i in range(2):
        with store.start_run("churn", f"train{i}") as run:
            run.log_metrics({"accuracy": 0.8 + i / 100})
            run.log_model({"depth": i}, "model")
        reg.register("churn_model", run.id)
    reg.promote("churn_model", 1, "production")

    socket = tmp_path / "tmux.sock"
    env = {
        "TERM": "xterm-256color",
        "NO_COLOR": "1",
        "TZ": "UTC",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }
    assert TMUX is not None
    subprocess.run(
        [TMUX, "-S", str(socket), "new-session", "-d", "-s", "app", "-x", "120", "-y", "40"]
        + [arg for k, v in env.items() for arg in ("-e", f"{k}={v}")]
        + [str(ENTRY_POINT), str(store.root)],
        check=True,
        timeout=10,
        env={**os.environ, **env},
    )
    try:
        _wait_for(socket, r"train1", "the runs table", 30)
        _tmux(socket, "send-keys", "-t", "app", "m")
        _wait_for(socket, r"v1\s+│?\s*production", "the registry with v1 in production", 20)

        promote = [str(ENTRY_POINT), "--store", str(store.root), "models", "promote", "churn_model", "2"]
        done = subprocess.run(
            [*promote, "production", "-y"], capture_output=True, text=True, env={**os.environ, **env}, timeout=60
        )
        assert done.returncode == 0, done.stderr
        promoted = time.monotonic()
        screen = _wait_for(socket, r"v2\s+│?\s*production", "v2 in production", REFRESH + SLACK)
        seen_after = time.monotonic() - promoted
        assert re.search(r"v1\s+│?\s*archived", screen), screen
        print(f"registry screen showed the promotion {seen_after:.1f} s after the command returned")
    finally:
        _tmux(socket, "kill-server")
