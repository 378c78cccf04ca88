"""A bad filter's caret points at the character it names, also when the filter is longer than the line."""

from __future__ import annotations

import re

import tracker_core as tc
from tui_track.app import TuiTrackApp

LONG = " AND ".join(f"metrics.accuracy > 0.{i}" for i in range(1, 8))  # about 160 characters


async def _error_line(pilot, text: str):  # type: ignore[no-untyped-def]
    bar = pilot.app.main_screen.filter_bar
    await pilot.press("slash")
    await pilot.press(*text) if len(text) < 20 else None
    bar.input.value = text
    await pilot.press("enter")
    await pilot.pause()
    await pilot.pause()
    return bar


async def test_caret_under_the_error_of_a_long_filter(demo_store: tc.Store, wait_until, settle) -> None:  # type: ignore[no-untyped-def]
    end = LONG + " AND metrics.f1 >"  # the error is after the last character, far right of a 60-column line
    start = "metrics.accuracy >> 1 AND " + LONG  # the error is near the start, typed with the cursor at the end
    for text, low, high in ((end, len(end) + 1, len(end) + 1), (start, 18, 20)):
        async with TuiTrackApp(demo_store.root, refresh_interval=60.0).run_test(size=(60, 20)) as pilot:
            await wait_until(pilot, lambda: pilot.app.main_screen.table.runs, what="the runs")
            await settle(pilot)
            bar = await _error_line(pilot, text)
            assert bar.has_class("-error")
            caret_line, message = bar.error_text.split("\n", 1)
            column = int(re.search(r"column (\d+)", message).group(1))  # type: ignore[union-attr]
            assert low <= column <= high, message
            x = caret_line.index("^")
            assert caret_line.strip() == "^" and x < bar.input.content_size.width  # on screen, on one line
            assert bar.input.scroll_offset.x + x == column - 1  # under the character the message names
            assert (bar.input.scroll_offset.x > 0) == (column > 60)  # the line scrolled to show it


async def test_a_long_filter_in_the_header_ends_in_an_ellipsis(demo_store: tc.Store, wait_until, settle) -> None:  # type: ignore[no-untyped-def]
    async with TuiTrackApp(demo_store.root, refresh_interval=60.0).run_test(size=(60, 20)) as pilot:
        screen = pilot.app.main_screen
        await wait_until(pilot, lambda: screen.table.runs, what="the runs")
        await settle(pilot)
        assert screen.apply_filter(LONG)
        await settle(pilot)
        header = screen.query_one("#status-line").render_line(0).text
        assert header.rstrip().endswith("…") and len(header) <= 60 and "filter: metrics.a" in header
