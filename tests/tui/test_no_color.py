"""Without colour (NO_COLOR), states still differ on screen: the column picker ticks with a glyph."""

from __future__ import annotations

import pytest

import tracker_core as tc
from tui_track.app import TuiTrackApp
from tui_track.screens.columns import ColumnPicker
from tui_track.widgets.ticked_list import TICKED, TickedSelectionList


async def test_picker_ticked_and_unticked_entries_differ_without_colour(
    demo_store: tc.Store,
    wait_until,  # type: ignore[no-untyped-def]
    settle,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    async with TuiTrackApp(demo_store.root, refresh_interval=60.0).run_test(size=(80, 24)) as pilot:
        screen = pilot.app.main_screen
        await wait_until(pilot, lambda: screen.table.runs, what="the runs")
        await settle(pilot)
        await pilot.press("o")
        picker = pilot.app.screen
        assert isinstance(picker, ColumnPicker)
        choices = picker.query_one(TickedSelectionList)
        await pilot.pause()

        def boxes() -> dict[str, str]:
            lines = [choices.render_line(y).text for y in range(choices.option_count)]
            return {line[3:].strip(): line[:3] for line in lines}

        before = boxes()
        assert before["metrics.f1"] == f"▐{TICKED}▌" and before["tags.team"] == "▐ ▌"
        labels = [str(choices.get_option_at_index(i).prompt) for i in range(choices.option_count)]
        await pilot.press("home", *["down"] * labels.index("tags.team"), "space")
        await pilot.pause()
        assert boxes()["tags.team"] == f"▐{TICKED}▌"
