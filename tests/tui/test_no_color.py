"""Without colour (NO_COLOR), states still differ on screen: the column picker ticks with text."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

import tracker_core as tc
from tui_track.app import TuiTrackApp
from tui_track.screens.columns import ColumnPicker


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
        options = picker.query_one("#picker-list", OptionList)
        await pilot.pause()

        def prompts() -> list[str]:
            return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]

        before = prompts()
        assert all(p.startswith(("[x] ", "[ ] ")) for p in before)
        first_unticked = next(i for i, p in enumerate(before) if p.startswith("[ ] "))
        assert any(p.startswith("[x] ") for p in before)
        options.highlighted = first_unticked
        await pilot.press("space")
        await pilot.pause()
        assert prompts()[first_unticked] == "[x] " + before[first_unticked][4:]
