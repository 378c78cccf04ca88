"""Parallel coordinates: opened with `P` on the runs the table shows; up/down highlight runs by the metric.

Snapshots: ``pytest tests/tui/test_parallel.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

from typing import Any

import pytest
from rich.text import Text

import tracker_core as tc
from tui_track.app import TuiTrackApp
from tui_track.screens.choice import ChoiceScreen
from tui_track.screens.parallel import ParallelScreen
from tui_track.screens.run import RunScreen

SIZES = [(80, 24), (120, 40)]
size_ids = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")


async def open_parallel(pilot: Any, wait_until: Any, settle: Any, *keys: str) -> ParallelScreen:
    """Wait for the churn runs, press ``keys`` on the main screen, then P."""
    app = pilot.app
    await wait_until(pilot, lambda: len(app.main_screen.table.runs) == 6, what="the churn runs")
    await pilot.press(*keys, "P")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ParallelScreen)
    return screen


def text_of(screen: ParallelScreen, widget_id: str) -> str:
    return str(screen.query_one(f"#{widget_id}").content)


def rendered(screen: ParallelScreen) -> str:
    return Text.from_ansi(screen.plot.plt.build()).plain


@size_ids
async def test_highlight_walks_the_runs_by_metric_and_names_them(
    demo_store: tc.Store, wait_until: Any, settle: Any, size: tuple[int, int]
) -> None:
    async with TuiTrackApp(demo_store.root).run_test(size=size) as pilot:
        screen = await open_parallel(pilot, wait_until, settle)
        data = screen.data
        assert data is not None and data.metric.label == "loss" and len(data.runs) == 6
        assert [a.label for a in data.params] == ["C", "hidden", "max_depth", "max_iter", "model_type", "n_estimators"]
        failed = next(r for r in data.runs if r.name == "broken_features")
        assert f"› broken_features {failed.id[:8]} · loss=0.9 (6/6)" in text_of(screen, "parallel-detail")
        await pilot.press("down")
        assert "› oom_sweep" in text_of(screen, "parallel-detail") and "loss=0.2 (5/6)" in text_of(
            screen, "parallel-detail"
        )
        await pilot.press("end")  # the lowest loss
        assert "› gbm" in text_of(screen, "parallel-detail")
        await pilot.press("up")
        assert "› rf_large" in text_of(screen, "parallel-detail")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, RunScreen) and pilot.app.screen.run_id == screen.plot.cursor_run.id  # type: ignore[union-attr]


@size_ids
async def test_axes_that_do_not_fit_scroll_and_categories_label_their_axis(
    demo_store: tc.Store, wait_until: Any, settle: Any, size: tuple[int, int]
) -> None:
    async with TuiTrackApp(demo_store.root).run_test(size=size) as pilot:
        screen = await open_parallel(pilot, wait_until, settle)
        plot = screen.plot
        shown = [a.label for a in plot.shown_params()]
        if size == (80, 24):  # 6 params and the metric do not fit 80 columns
            assert len(shown) < 6 and "params 1-" in text_of(screen, "parallel-title")
            for _ in range(6):
                await pilot.press("right_square_bracket")
            assert [a.label for a in plot.shown_params()][-1] == "n_estimators"
            assert "of 6 shown ([ ] scroll)" in text_of(screen, "parallel-title")
            await pilot.press("left_square_bracket")
            assert plot.first_axis == 6 - len(shown) - 1
        else:
            assert shown == ["C", "hidden", "max_depth", "max_iter", "model_type", "n_estimators"]
            assert "scroll" not in text_of(screen, "parallel-title")
        while "model_type" not in [a.label for a in plot.shown_params()]:
            await pilot.press("right_square_bracket")
        picture = rendered(screen)
        for label in ("SVC", "MLP", "n/a"):
            assert label in picture
        # the axis names under the chart, whole (each has the room between two axes), the metric's last
        assert picture.splitlines()[-1].split() == [a.label for a in plot.shown_params()] + ["loss"]
        legend = text_of(screen, "parallel-legend")  # every quantile, and the highlight, within the width
        assert legend.count("━") == len(screen.data.quantile_ranges()) and legend.endswith("• highlighted")  # type: ignore[union-attr]
        assert len(legend) <= size[0]


async def test_every_key_of_the_footer_fits_at_80_columns(demo_store: tc.Store, wait_until: Any, settle: Any) -> None:
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    async with TuiTrackApp(demo_store.root).run_test(size=(80, 24)) as pilot:
        screen = await open_parallel(pilot, wait_until, settle)
        keys = {k.description: k for k in screen.query_one(Footer).query(FooterKey)}
        assert {"Back", "Axes", "Metric", "Open run", "Quit"} <= set(keys)
        assert all(k.region.right <= 80 for k in keys.values()), {d: k.region for d, k in keys.items()}  # none cut off


async def test_pick_metric_and_axes_from_the_keyboard(demo_store: tc.Store, wait_until: Any, settle: Any) -> None:
    async with TuiTrackApp(demo_store.root).run_test(size=(120, 40)) as pilot:
        screen = await open_parallel(pilot, wait_until, settle)
        await pilot.press("m")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ChoiceScreen)
        while dialog.choices[dialog.query_one("#choice-options").highlighted] != "metrics.accuracy":
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        data = screen.data
        assert data is not None and data.metric.label == "accuracy"
        assert data.left_out == 2 and "2 without accuracy left out" in text_of(screen, "parallel-title")
        assert "› gbm" in text_of(screen, "parallel-detail")  # the highest accuracy
        await pilot.press("a")  # untick everything but n_estimators and max_depth
        await settle(pilot)
        # the column picker: n unticks all shown, / searches, enter goes to the list, space ticks
        await pilot.press("n", "slash", *"max_depth", "enter", "space")
        await pilot.press("slash", "ctrl+u", *"n_estimators", "enter", "space", "enter")
        await settle(pilot)
        assert [a.label for a in screen.data.params] == ["max_depth", "n_estimators"]  # type: ignore[union-attr]
        assert "max_depth=3 · n_estimators=100" in text_of(screen, "parallel-detail")


async def test_without_colour_each_quantile_has_its_glyph(
    demo_store: tc.Store, wait_until: Any, settle: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    async with TuiTrackApp(demo_store.root).run_test(size=(80, 24)) as pilot:
        screen = await open_parallel(pilot, wait_until, settle)
        legend = text_of(screen, "parallel-legend")
        assert legend.startswith("loss: :") and "+ " in legend and "# 0.9" in legend
        picture = rendered(screen)
        assert "+" in picture and "•" in picture  # the second quantile's glyph, the highlighted run


# ---------------------------------------------------------------------- snapshots
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_parallel_snapshot(
    snap_compare: Any, pinned_store: tc.Store, wait_until: Any, settle: Any, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Any) -> None:
        await open_parallel(pilot, wait_until, settle)
        await pilot.press("down")
        await settle(pilot)

    app = TuiTrackApp(pinned_store.root, refresh_interval=3600.0)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
