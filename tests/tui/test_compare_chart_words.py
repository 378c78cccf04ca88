"""Counts in titles read as English: one run is "1 run"."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

import tracker_core as tc
from tui_track.screens.chart import ChartScreen


async def test_a_chart_of_one_run_says_1_run(demo_store: tc.Store, open_screen: Any) -> None:
    run = next(r for r in demo_store.list_runs("churn_prediction") if r.name == "gbm")
    async with open_screen(demo_store, lambda: ChartScreen(demo_store, [run.id])) as pilot:
        title = pilot.app.screen.query_one("#chart-title", Static).visual.plain
        assert "loss across 1 run" in title and "1 runs" not in title
