"""Snapshots of the main screen and help at 80x24 and 120x40, on a store whose every shown value is fixed.

The demo store has fixed times; here run ids, hosts, environments and directory times are
fixed too, and local time is UTC, so the pictures do not depend on the machine or the clock.
Update them with ``pytest tests/tui/test_snapshots_main.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import tracker_core as tc
from tracker_core.jsonio import read_json, write_json_atomic
from tui_track.app import TuiTrackApp
from tui_track.widgets.details import DetailsPane

FIXED_ENV = {
    "python": "3.11.9",
    "implementation": "CPython",
    "platform": "Linux-6.1-x86_64",
    "executable": "/opt/venv/bin/python",
    "command": ["/opt/venv/bin/python", "train.py", "--config", "churn.toml"],
    "cwd": "/home/ml/churn",
    "git": {
        "root": "/home/ml/churn",
        "commit": "3f2a9c1d5e7b9a0c4d6e8f1a2b3c4d5e6f7a8b9c",
        "branch": "main",
        "dirty": False,
    },
    "packages": {"numpy": "2.1.0", "scikit-learn": "1.5.2"},
}


@pytest.fixture
def utc() -> Iterator[None]:
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.fixture
def stable_store(demo_store: tc.Store, utc: None) -> Path:
    """The demo store with run ids, hosts, environments and directory times made deterministic."""
    counter = 0
    for exp in demo_store.list_experiments():
        runs_dir = demo_store.experiments_dir / exp.id / "runs"
        runs = sorted(demo_store.list_runs(exp.id), key=lambda r: (r.start_time or 0.0, r.name))
        for run in runs:
            counter += 1
            new_id = f"{counter:02d}" * 16
            data = read_json(runs_dir / run.id / "run.json")
            data.update(id=new_id, host="gpu-box", user="ml", env=FIXED_ENV)
            write_json_atomic(runs_dir / run.id / "run.json", data)
            os.rename(runs_dir / run.id, runs_dir / new_id)
        last = max(r.start_time or 0.0 for r in runs)
        os.utime(runs_dir, (last, last))
    return demo_store.root


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
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
    assert snap_compare(app_for(stable_store), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_help(snap_compare, stable_store: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def open_help(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("question_mark")

    assert snap_compare(app_for(stable_store), terminal_size=size, run_before=open_help)


def test_sorted_filtered_marked(snap_compare, stable_store: Path) -> None:  # type: ignore[no-untyped-def]
    async def arrange(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("slash", *"params.model_type != 'SVC'", "enter", "greater_than_sign", "s")
        await pilot.press("g", "space", "space")  # marks gbm and rf_large
        await settle(pilot)

    assert snap_compare(app_for(stable_store), terminal_size=(120, 40), run_before=arrange)
