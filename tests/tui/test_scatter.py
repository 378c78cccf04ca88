"""The scatter screen: opened with `v` on the runs the table shows, a point per run, keys move the cursor.

Snapshots: ``pytest tests/tui/test_scatter.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tracker_core as tc
from tui_track.app import TuiTrackApp
from tui_track.screens.choice import ChoiceScreen
from tui_track.screens.run import RunScreen
from tui_track.screens.scatter import ScatterScreen
from tui_track.widgets.scatter import ScatterPlot

SIZES = [(80, 24), (120, 40)]
size_ids = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")


async def open_scatter(pilot: Any, wait_until: Any, settle: Any, filter_text: str = "") -> ScatterScreen:
    """Wait for the churn runs, apply a filter as a user types it, press v."""
    app = pilot.app
    await wait_until(pilot, lambda: len(app.main_screen.table.runs) == 6, what="the churn runs")
    if filter_text:
        await pilot.press("slash", *filter_text, "enter")
    await pilot.press("v")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ScatterScreen)
    return screen


def detail(screen: ScatterScreen) -> str:
    return str(screen.query_one("#scatter-detail").content)


def title(screen: ScatterScreen) -> str:
    return str(screen.query_one("#scatter-title").content)


async def pick(pilot: Any, settle: Any, key: str, choice: str) -> None:
    """Press ``key`` (x or y), move to ``choice`` in the list and press enter."""
    await pilot.press(key)
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, ChoiceScreen)
    while dialog.choices[dialog.query_one("#choice-options").highlighted] != choice:
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)


def rendered(plot: ScatterPlot) -> str:
    """What the chart draws, as plain text."""
    from rich.text import Text

    return Text.from_ansi(plot.plt.build()).plain


@size_ids
async def test_points_are_the_filtered_runs_and_the_cursor_names_them(
    demo_store: tc.Store, wait_until: Any, settle: Any, size: tuple[int, int]
) -> None:
    async with TuiTrackApp(demo_store.root).run_test(size=size) as pilot:
        screen = await open_scatter(pilot, wait_until, settle, "params.n_estimators > 60")
        assert sorted(r.name for r in screen.runs) == ["gbm", "rf_large"]  # only what the table showed
        await pick(pilot, settle, "x", "params.n_estimators")
        await pick(pilot, settle, "y", "metrics.accuracy")
        assert "accuracy vs n_estimators" in title(screen) and "2 runs" in title(screen)
        assert "filter: params.n_estimators > 60" in title(screen)
        gbm, rf_large = (next(r for r in screen.runs if r.name == n) for n in ("gbm", "rf_large"))
        assert f"› gbm {gbm.id[:8]} · n_estimators=100 · accuracy=0.9" in detail(screen)  # leftmost first
        await pilot.press("right")
        assert f"› rf_large {rf_large.id[:8]} · n_estimators=200 · accuracy=0.88" in detail(screen)
        await pilot.press("right")  # nothing further right: the cursor stays
        assert "› rf_large" in detail(screen)
        await pilot.press("left")
        assert "› gbm" in detail(screen)
        await pilot.press("down")  # rf_large is lower (0.88 < 0.9)
        assert "› rf_large" in detail(screen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, RunScreen) and pilot.app.screen.run_id == rf_large.id


async def test_a_detail_line_longer_than_the_screen_ends_in_an_ellipsis(
    demo_store: tc.Store, wait_until: Any, settle: Any
) -> None:
    async with TuiTrackApp(demo_store.root).run_test(size=(80, 24)) as pilot:
        screen = await open_scatter(pilot, wait_until, settle)
        await pick(pilot, settle, "x", "params.model_type")
        await pick(pilot, settle, "y", "metrics.accuracy")
        full = detail(screen)
        assert len(full) > 80 and full.endswith("enter opens it")
        line = screen.query_one("#scatter-detail").render_line(0).text.rstrip()
        assert len(line) <= 80 and line.endswith("…"), line  # cut with a mark, never a word dropped silently
        assert line[:-1].strip() in full


@size_ids
async def test_categorical_param_has_its_values_as_axis_labels(
    demo_store: tc.Store, wait_until: Any, settle: Any, size: tuple[int, int]
) -> None:
    async with TuiTrackApp(demo_store.root).run_test(size=size) as pilot:
        screen = await open_scatter(pilot, wait_until, settle)
        data = screen.data
        assert data is not None and data.x.key == "params.model_type" and data.y.label == "loss"
        assert data.x.categories == ("GradientBoosting", "LogisticRegression", "MLP", "RandomForest", "SVC")
        labels = rendered(screen.plot).splitlines()[-2]  # the x axis' labels, above its name
        # each category's label takes its share of the room between two ticks: whole where it fits
        whole = ("MLP", "SVC", "RandomForest") if size[0] >= 120 else ("MLP", "SVC")
        assert all(f" {label} " in f" {labels} " for label in whole), labels
        cut = ("GradientBoost…", "LogisticRegre…") if size[0] >= 120 else ("GradientB…", "LogisticR…", "RandomFor…")
        assert all(f" {label} " in f" {labels} " for label in cut), labels
        # n walks the runs by x: the categories in order, both RandomForest runs
        seen = [screen.plot.cursor_run.name]  # type: ignore[union-attr]
        for _ in range(5):
            await pilot.press("n")
            seen.append(screen.plot.cursor_run.name)  # type: ignore[union-attr]
        assert seen[0] == "gbm" and seen[1] == "logreg" and seen[2] == "oom_sweep" and seen[-1] == "broken_features"
        assert sorted(seen[3:5]) == ["rf_large", "rf_small"]
        await pilot.press("X")  # a log scale on a categorical axis is refused
        assert "categorical" in detail(screen) and not screen.log_x


def offset_store(root: Path) -> tc.Store:
    """Three runs whose param ``offset`` is -1, 0 and 2, with a positive metric ``score``."""
    store = tc.Store(root)
    for name, offset, score in (("neg", -1, 0.5), ("zero", 0, 5.0), ("pos", 2, 50.0)):
        with store.start_run("shift", name) as run:
            run.log_params({"offset": offset, "seed": 1})
            run.log_metric("score", score)
    return store


@size_ids
async def test_log_axis_is_refused_for_values_at_or_below_zero(
    tmp_path: Path, wait_until: Any, settle: Any, size: tuple[int, int]
) -> None:
    store = offset_store(tmp_path / "store")
    async with TuiTrackApp(store.root).run_test(size=size) as pilot:
        await wait_until(pilot, lambda: len(pilot.app.main_screen.table.runs) == 3, what="the runs")
        await pilot.press("v")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ScatterScreen)
        assert "score vs offset" in title(screen)
        await pilot.press("X")
        await settle(pilot)
        assert not screen.log_x
        assert "log scale refused: 2 runs have offset <= 0 (smallest -1)" in detail(screen)
        await pilot.press("Y")  # every score is positive: y goes log
        await settle(pilot)
        assert screen.log_y and screen.data is not None and screen.data.y.log
        assert "log y" in title(screen)
        assert "10" in rendered(screen.plot)  # decade ticks 1, 10 between 0.5 and 50
        assert "› neg" in detail(screen)  # the cursor stayed on its run
        await pilot.press("Y")
        await settle(pilot)
        assert not screen.log_y and "log" not in title(screen)


async def test_no_runs_shown_says_so(demo_store: tc.Store, wait_until: Any, settle: Any) -> None:
    async with TuiTrackApp(demo_store.root).run_test(size=(80, 24)) as pilot:
        screen = await open_scatter(pilot, wait_until, settle, "params.n_estimators > 1000")
        assert "no runs to draw" in title(screen)
        await pilot.press("enter", "right", "X")  # nothing to move to or open: no error
        await settle(pilot)
        assert pilot.app.screen is screen


def test_all_100k_runs_draw_thinned_to_the_dots_a_terminal_has() -> None:
    """The drawing of a huge scatter keeps one point per braille dot, and always the cursor's."""
    from tracker_core.records import MetricSummary, RunSummary
    from tui_track.widgets.axes import build_axis
    from tui_track.widgets.scatter import ScatterData

    runs = [
        RunSummary(
            f"{i:032x}",
            "e",
            f"r{i}",
            "finished",
            0.0,
            params={"lr": 1 + i % 997},
            metrics={"m": MetricSummary.first(i % 101, 0, 0.0)},
        )
        for i in range(100_000)
    ]
    data = ScatterData.build(runs, build_axis(runs, "params.lr"), build_axis(runs, "metrics.m"))
    plot = ScatterPlot()
    plot.set_data(data)
    shown = plot.thinned()
    cols, rows = plot._canvas()
    assert plot.braille and 0 < len(shown) <= (2 * cols + 1) * (4 * rows + 1)
    assert len(shown) < len(runs) / 4


# ---------------------------------------------------------------------- snapshots
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_scatter_snapshot(
    snap_compare: Any, pinned_store: tc.Store, wait_until: Any, settle: Any, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Any) -> None:
        await open_scatter(pilot, wait_until, settle)
        await pilot.press("n", "n")
        await settle(pilot)

    app = TuiTrackApp(pinned_store.root, refresh_interval=3600.0)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
