"""The app on a store it cannot fully read: a message instead of "Loading runs…" for ever.

Root (the test user) ignores permissions, so the damage is one that stops root too: a FIFO where a
JSON file should be (a plain ``open()`` of it waits for a writer forever) or a directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import tracker_core as tc
from tracker_core.storage.layout import MARKER_FILE
from tui_track.app import TuiTrackApp


def _replace_by_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


async def test_an_unreadable_store_shows_why(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    _replace_by_fifo(demo_store.root / MARKER_FILE)
    async with TuiTrackApp(demo_store.root, refresh_interval=60.0).run_test(size=(80, 24)) as pilot:
        welcome = pilot.app.main_screen.query_one("#welcome")
        await wait_until(pilot, lambda: "Cannot open the store" in str(welcome.content), what="the store's error")
        assert f"{demo_store.root / MARKER_FILE} is not a file" in str(welcome.content)
        assert pilot.app.main_screen.has_class("-no-runs")


async def test_one_unreadable_run_is_listed_with_the_rest(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    gbm = next(r for r in demo_store.list_runs() if r.name == "gbm")
    _replace_by_fifo(Path(demo_store.layout.run_dir(gbm.experiment_id, gbm.id)) / "run.json")
    async with TuiTrackApp(demo_store.root, refresh_interval=60.0).run_test(size=(120, 40)) as pilot:
        table = pilot.app.main_screen.table
        await wait_until(pilot, lambda: len(table.runs) == 6, what="the six churn runs")
        assert table.runs[gbm.id].status == "unreadable"
        assert "not a regular file" in (table.runs[gbm.id].error or "")
        assert {r.name for r in table.runs.values()} >= {"rf_large", "oom_sweep", "logreg"}
