"""Snapshots of the main screen and help at 80x24 and 120x40, on a store whose every shown value is fixed.

The demo store has fixed times; the pinned store fixes run ids, hosts and environments, and
local time is UTC, so the pictures do not depend on the machine or the clock.
Update them with ``pytest tests/tui/test_snapshots_main.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import tracker_core as tc
from tui_track.app import TuiTrackApp
from tui_track.widgets.details import DetailsPane


@pytest.fixture
def stable_store(pinned_store: tc.Store) -> Path:
    """The shared pinned store (fixed ids, hosts, environments; UTC), with fixed "last activity" times too."""
    for exp in pinned_store.list_experiments():
        runs_dir = pinned_store.experiments_dir / exp.id / "runs"
        last = max(r.start_time or 0.0 for r in pinned_store.list_runs(exp.id))
        os.utime(runs_dir, (last, last))
    return pinned_store.root


async def main_ready(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait for the runs and the details of the highlighted run to be on screen."""
    app = pilot.app
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)
        screen = app.main_screen
        pane = screen.query_one(DetailsPane)
        if screen.table.runs and pane.run_id == screen.table.cursor_run_id and "loading" not in _body(pane):
            await pilot.pause()
            return
    raise AssertionError("the main screen did not settle")


def _body(pane: DetailsPane) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, color_system=None)
    console.print(pane.query_one("#details-body").content)
    return console.export_text()


def app_for(path: Path) -> TuiTrackApp:
    return TuiTrackApp(path, refresh_interval=3600.0)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_main_screen(snap_compare, stable_store: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_for(stable_store), terminal_size=size, run_before=main_ready)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_help(snap_compare, stable_store: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def open_help(pilot) -> None:  # type: ignore[no-untyped-def]
        await main_ready(pilot)
        await pilot.press("question_mark")

    assert snap_compare(app_for(stable_store), terminal_size=size, run_before=open_help)


def test_sorted_filtered_marked(snap_compare, stable_store: Path) -> None:  # type: ignore[no-untyped-def]
    async def arrange(pilot) -> None:  # type: ignore[no-untyped-def]
        await main_ready(pilot)
        await pilot.press("slash", *"params.model_type != 'SVC'", "enter", "greater_than_sign", "s")
        await pilot.press("g", "space", "space")  # marks gbm and rf_large
        await main_ready(pilot)

    assert snap_compare(app_for(stable_store), terminal_size=(120, 40), run_before=arrange)
