"""The app on ``tui-track s3://bucket/prefix`` (real SeaweedFS): a background worker keeps the mirror current."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

import tracker_core as tc
from tracker_core.config import AppSettings
from tracker_core.sync import sync
from tui_track.app import TuiTrackApp


def _dead_endpoint() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens there once closed


def _log(store: tc.Store, name: str) -> str:
    with store.start_run("shared", name) as run:
        run.log_metric("loss", 0.5, step=0)
    return run.id


def _status(app: TuiTrackApp) -> str:
    return str(app.main_screen.query_one("#status-line").content)


async def test_a_run_pushed_from_another_store_appears_in_the_open_app(  # type: ignore[no-untyped-def]
    s3_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wait_until
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    box = tc.Store(tmp_path / "box")
    _log(box, "first")
    sync(box.root, s3_url)
    app = TuiTrackApp(AppSettings.for_store(s3_url, refresh_interval=0.2))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.main_screen.table
        await wait_until(pilot, lambda: len(table.runs) == 1, timeout=90, what="the pulled run")
        later = _log(box, "second")
        sync(box.root, s3_url)  # another box pushes while the app is open
        await wait_until(pilot, lambda: later in table.runs, timeout=90, what="the run pushed meanwhile")
        assert {r.name for r in table.runs.values()} == {"first", "second"}

        # the remote goes away: the screen says so and keeps showing the mirror
        endpoint = os.environ["AWS_ENDPOINT_URL"]
        monkeypatch.setenv("AWS_ENDPOINT_URL", _dead_endpoint())
        await wait_until(pilot, lambda: "remote unreachable" in _status(app), timeout=90, what="the offline notice")
        assert len(table.runs) == 2
        assert not [w for w in app.workers if w.state.name == "ERROR"]  # an expected failure, not a crash
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        await wait_until(pilot, lambda: "remote unreachable" not in _status(app), timeout=90, what="the remote back")


async def test_an_unreachable_remote_never_pulled_here_says_so(  # type: ignore[no-untyped-def]
    s3_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settle
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", _dead_endpoint())
    app = TuiTrackApp(s3_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = str(app.main_screen.query_one("#welcome").content)
        assert f"Cannot open the store at {s3_url}" in text and "cannot reach" in text
