"""Snapshots of the grouped runs table (one group expanded, min/max columns) at 80x24 and 120x40.

Update them with ``pytest tests/tui/test_group_snapshots.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import test_snapshots_main as main_snapshots

from tui_track.app import TuiTrackApp

stable_store = main_snapshots.stable_store  # the main screen's fixture: the pinned store, fixed times
main_ready = main_snapshots.main_ready


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_group_view(snap_compare, stable_store: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def arrange(pilot) -> None:  # type: ignore[no-untyped-def]
        await main_ready(pilot)
        await pilot.press("b", "slash", *"model", "enter", "space", "enter")  # group by params.model_type
        await pilot.press("home", "j", "j", "j", "enter")  # expand RandomForest
        if size[0] >= 120:
            await pilot.press("M")  # min and max columns
        await main_ready(pilot)

    assert snap_compare(TuiTrackApp(stable_store, refresh_interval=3600.0), terminal_size=size, run_before=arrange)
