"""The run screen and the multi-run chart screen, driven from the keyboard on the real app."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Footer, Static
from textual.widgets._footer import FooterKey

import tracker_core as tc
from tracker_core.records import MetricPoint
from tui_track.app import TuiTrackApp
from tui_track.formatting import cell
from tui_track.screens.chart import ChartScreen
from tui_track.screens.help import HelpScreen
from tui_track.screens.run import RunScreen
from tui_track.widgets.chart import ChartLegend, MetricChart, MetricPicker, Series


def column(table: DataTable[Any], index: int) -> list[str]:
    return [str(table.get_row_at(i)[index]) for i in range(table.row_count)]


def rows(table: DataTable[Any]) -> dict[str, list[str]]:
    return {str(table.get_row_at(i)[0]): [str(c) for c in table.get_row_at(i)[1:]] for i in range(table.row_count)}


async def test_run_screen_shows_everything_about_the_run(
    demo_store: tc.Store, settle: Any, open_screen: Any, run_named: Any
) -> None:
    run = run_named(demo_store, "rf_large")
    async with open_screen(demo_store, lambda: RunScreen(demo_store, run.id)) as pilot:
        app = pilot.app
        screen = app.screen
        assert isinstance(screen, RunScreen)
        assert screen.query_one("#run-title", Static).visual.plain.startswith("rf_large finished")
        assert rows(screen.query_one("#run-params", DataTable)) == {
            "max_depth": ["15"],
            "model_type": ["RandomForest"],
            "n_estimators": ["200"],
        }
        metrics = rows(screen.query_one("#run-metrics", DataTable))
        assert metrics["accuracy"] == ["0.88", "0.88", "0.88", "1"]
        assert metrics["loss"][3] == "20" and float(metrics["loss"][1]) < float(metrics["loss"][2])
        assert rows(screen.query_one("#run-tags", DataTable))["family"] == ["RandomForest"]
        env = rows(screen.query_one("#run-env", DataTable))
        assert env["host"] == [run.host] and env["user"] == [run.user]
        assert "python" in env and "command" in env
        attributes = rows(screen.query_one("#run-attributes", DataTable))
        assert attributes["status"] == ["finished"] and attributes["duration"] == ["44.0s"]
        artifacts = column(screen.query_one("#run-artifacts", DataTable), 0)
        assert artifacts == ["confusion.csv", "notes/", "notes/summary.txt", "report.json"]
        await pilot.press("question_mark")  # every key of this screen
        assert isinstance(app.screen, HelpScreen)
        described = {a.description for a in app.screen.actions}
        assert {"Step/time", "Log y", "Pick metric", "Layout", "Artifacts", "Back"} <= described
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, (RunScreen, HelpScreen))


async def test_run_chart_toggles_axis_and_scale_and_picks_metrics(
    demo_store: tc.Store, settle: Any, open_screen: Any, run_named: Any
) -> None:
    run = run_named(demo_store, "rf_small")
    async with open_screen(demo_store, lambda: RunScreen(demo_store, run.id)) as pilot:
        app = pilot.app
        chart = app.screen.query_one(MetricChart)
        assert [s.label for s in chart.series] == ["loss"]  # the longest history comes first
        assert chart.series[0].steps == tuple(float(s) for s in range(20))
        assert "step" in chart.plt.build()

        await pilot.press("x")
        assert chart.x_axis == "time"
        assert "seconds since run start" in chart.plt.build()
        assert chart.series[0].seconds[0] == 0.0  # rf_small's first loss point was logged at its start

        await pilot.press("l")
        assert chart.log_scale
        await pilot.press("l", "x")
        assert (chart.log_scale, chart.x_axis) == (False, "step")

        await pilot.press("m")  # focus the metric list (accuracy, auc_roc, f1, loss) on loss
        picker = app.screen.query_one("#run-metric-list", MetricPicker)
        assert picker.has_focus
        await pilot.press("k", "k", "k", "space", "j", "space")
        await settle(pilot)
        assert app.screen.chosen_metrics == ["accuracy", "auc_roc", "loss"]
        assert [s.label for s in chart.series] == ["accuracy", "auc_roc", "loss"]
        await pilot.press("j", "j", "space")  # loss off again
        assert [s.label for s in chart.series] == ["accuracy", "auc_roc"]


async def test_run_screen_layout_cycles_and_opens_artifacts(
    demo_store: tc.Store, settle: Any, open_screen: Any, run_named: Any
) -> None:
    run = run_named(demo_store, "logreg")
    async with open_screen(demo_store, lambda: RunScreen(demo_store, run.id)) as pilot:
        app = pilot.app
        details, plot = app.screen.query_one("#run-details"), app.screen.query_one("#run-plot")
        assert details.display and plot.display
        await pilot.press("v")
        assert plot.display and not details.display and plot.size.height > 18  # the chart takes the screen
        await pilot.press("v")
        assert details.display and not plot.display
        await pilot.press("v", "a")
        await settle(pilot)
        assert type(app.screen).__name__ == "ArtifactsScreen"


async def test_chart_screen_overlays_one_metric_across_runs(
    demo_store: tc.Store, settle: Any, open_screen: Any
) -> None:
    runs = [r for r in demo_store.list_runs("churn_prediction") if r.status == "finished"]
    async with open_screen(demo_store, lambda: ChartScreen(demo_store, [r.id for r in runs])) as pilot:
        app = pilot.app
        screen = app.screen
        assert isinstance(screen, ChartScreen)
        chart = screen.query_one(MetricChart)
        assert screen.metric == "loss"
        assert sorted(s.label for s in chart.series) == sorted(r.name for r in runs)
        assert all(len(s.values) == 20 for s in chart.series)

        await pilot.press("m", "k", "k", "k", "enter")  # loss -> f1 -> auc_roc -> accuracy
        await settle(pilot)
        assert screen.metric == "accuracy"
        assert sorted(s.values[0] for s in chart.series) == [0.82, 0.86, 0.88, 0.9]
        assert "accuracy across 4 runs" in screen.query_one("#chart-title", Static).visual.plain
        await pilot.press("x", "l")
        assert (chart.x_axis, chart.log_scale) == ("time", True)


async def test_chart_screen_starts_on_the_metric_asked_for(demo_store: tc.Store, open_screen: Any) -> None:
    runs = demo_store.list_runs("mnist_mlp")
    async with open_screen(
        demo_store, lambda: ChartScreen(demo_store, [r.id for r in runs], metric="val_acc"), (120, 40)
    ) as pilot:
        app = pilot.app
        chart = app.screen.query_one(MetricChart)
        assert {s.label for s in chart.series} == {"lr_0", "lr_1", "lr_2"}
        assert all(s.values == pytest.approx((0.9, 0.91, 0.92, 0.93, 0.94)) for s in chart.series)


def test_log_scale_leaves_out_what_it_cannot_draw() -> None:
    points = [MetricPoint("x", v, i, 100.0 + i) for i, v in enumerate([2.0, 0.0, -1.0, math.nan, 4.0])]
    series = Series.from_points("x", points, start=99.0)
    assert series.xy("step", log_scale=False) == ([0.0, 1.0, 2.0, 4.0], [2.0, 0.0, -1.0, 4.0], 1)
    assert series.xy("time", log_scale=True) == ([1.0, 5.0], [2.0, 4.0], 3)


async def test_run_screen_follows_a_run_being_written(tmp_path: Path, settle: Any, wait_until: Any) -> None:
    store = tc.Store(tmp_path / "store")
    run = store.start_run("live", "training")
    for step in range(3):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
    run.flush()
    app = TuiTrackApp(store.root, refresh_interval=0.1)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await app.push_screen(RunScreen(store, run.id, app.refresh_interval))
            await settle(pilot)
            chart = app.screen.query_one(MetricChart)
            assert len(chart.series[0].values) == 3
            for step in range(3, 8):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
            run.flush()
            await wait_until(pilot, lambda: len(chart.series[0].values) == 8, what="the new points on the chart")
            run.end()
            await wait_until(pilot, lambda: app.screen.run.status == "finished", what="the run to read finished")
    finally:
        if not run.ended:
            run.end()


async def test_an_unreadable_run_opens_with_its_reason_and_history(
    demo_store: tc.Store, open_screen: Any, run_named: Any
) -> None:
    run = run_named(demo_store, "rf_large")
    (demo_store.experiments_dir / run.experiment_id / "runs" / run.id / "run.json").write_text('{"id": "tru')
    async with open_screen(demo_store, lambda: RunScreen(demo_store, run.id)) as pilot:
        screen = pilot.app.screen
        attributes = rows(screen.query_one("#run-attributes", DataTable))
        assert attributes["status"] == ["unreadable"] and "run.json" in attributes["error"][0]
        assert [s.label for s in screen.query_one(MetricChart).series] == ["loss"]  # metrics.jsonl still reads


async def test_zoom_reads_the_range_at_full_resolution_and_back(tmp_path: Path, settle: Any, open_screen: Any) -> None:
    store = tc.Store(tmp_path / "store")
    with store.start_run("big", "long") as run:
        for step in range(20_000):
            run.log_metric("loss", 100.0 if step == 12_345 else 1.0 / (step + 1), step=step)
    async with open_screen(store, lambda: RunScreen(store, run.id)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RunScreen)
        await settle(pilot)
        chart = screen.chart
        whole = chart.series[0]
        assert len(whole.steps) < 20_000 and 100.0 in whole.values  # downsampled, the spike kept
        assert whole.steps[0] == 0 and whole.steps[-1] == 19_999
        for _ in range(9):
            await pilot.press("plus")
            await settle(pilot)
        assert screen.window is not None
        lo, hi = screen.window
        assert hi - lo < chart.buckets  # narrow enough to show every point
        shown = chart.series[0].steps
        assert shown == tuple(float(s) for s in range(lo, hi + 1))  # every point of the range
        assert f"steps {lo}..{hi}" in chart.title
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert screen.window is not None and screen.window[0] > lo
        await pilot.press("0")
        await settle(pilot)
        assert screen.window is None and chart.series[0].steps[-1] == 19_999
        for _ in range(6):
            await pilot.press("plus")
        await settle(pilot)
        for _ in range(10):
            await pilot.press("minus")
        await settle(pilot)
        assert screen.window is None  # zoomed all the way out again
        await pilot.press("question_mark")
        described = {a.description for a in pilot.app.screen.actions}
        assert {"Zoom in", "Zoom out", "Smooth", "Pan left", "Pan right", "Whole history"} <= described


async def test_smoothing_draws_an_ema_over_the_faint_raw_curve(tmp_path: Path, settle: Any, open_screen: Any) -> None:
    store = tc.Store(tmp_path / "store")
    with store.start_run("noisy", "run") as run:
        for step in range(200):
            run.log_metric("loss", float(step % 2), step=step)
    async with open_screen(store, lambda: RunScreen(store, run.id)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RunScreen)
        await settle(pilot)
        chart = screen.chart
        assert not chart.smoothing
        await pilot.press("s")
        assert chart.smoothing and "smoothed" in chart.plt.build()
        ys = [list(ys) for ys in chart.plt._active.monitor.y]  # what plotext draws: raw, then smoothed
        assert ys[0] == [float(s % 2) for s in range(200)]
        assert max(ys[1][50:]) - min(ys[1][50:]) < 0.5  # the EMA flattens the zig-zag
        colors = chart.plt._active.monitor.color
        assert set(colors[0]) == {"gray"} and "gray" not in colors[1]
        await pilot.press("s")
        assert not chart.smoothing and len(chart.plt._active.monitor.y) == 1


WRITER = """
import sys, time, tracker_core as tc
store = tc.Store(sys.argv[1])
run = store.start_run("live", "other-process", flush_interval=0.05)
print(run.id, flush=True)
step = 0
while True:
    for _ in range(50):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
        step += 1
    time.sleep(0.05)
"""


async def test_live_follow_of_a_run_written_by_another_process_reads_only_the_tail(
    tmp_path: Path, settle: Any, wait_until: Any
) -> None:
    import os
    import subprocess
    import sys

    root = tmp_path / "store"
    tc.Store(root)
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(root)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        run_id = proc.stdout.readline().strip()
        store = tc.Store(root)
        app = TuiTrackApp(store.root, refresh_interval=0.2)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = RunScreen(store, run_id, app.refresh_interval)
            await app.push_screen(screen)
            await wait_until(pilot, lambda: screen.counts.get("loss", 0) > 0, what="the first points")
            await wait_until(pilot, lambda: bool(screen.chart.series), what="the chart")
            first = screen.counts["loss"]
            await wait_until(pilot, lambda: screen.counts["loss"] > first + 200, timeout=20, what="new points")
            await wait_until(
                pilot, lambda: screen.chart.series[0].steps[-1] >= first + 200, what="the new points on the chart"
            )
            live = screen.live
            assert live is not None
            path = store._metrics_path(run_id)
            # every tick read only what was appended: the bytes read never exceed the file's growth since opening
            assert 0 < live.tail.bytes_read <= os.path.getsize(path) - live.index.covered + 4096
            assert screen.worker_seconds["load"] < 1.0
    finally:
        proc.kill()
        proc.wait()


async def test_multi_run_chart_downsamples_and_zooms_each_run(tmp_path: Path, settle: Any, open_screen: Any) -> None:
    store = tc.Store(tmp_path / "store")
    ids = []
    for r in range(3):
        with store.start_run("cmp", f"r{r}") as run:
            for step in range(5000):
                run.log_metric("loss", (r + 1) / (step + 1), step=step)
        ids.append(run.id)
    async with open_screen(store, lambda: ChartScreen(store, ids, metric="loss")) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, ChartScreen)
        await settle(pilot)
        chart = screen.chart
        assert len(chart.series) == 3 and all(len(s.steps) < 5000 and s.steps[-1] == 4999 for s in chart.series)
        for _ in range(7):
            await pilot.press("plus")
            await settle(pilot)
        assert screen.window is not None
        lo, hi = screen.window
        assert all(s.steps == tuple(float(x) for x in range(lo, hi + 1)) for s in chart.series)
        await pilot.press("minus")
        await settle(pilot)
        assert screen.window is not None and screen.window[1] - screen.window[0] > hi - lo
        await pilot.press("0")
        await settle(pilot)
        assert screen.window is None and all(s.steps[-1] == 4999 for s in chart.series)


LONG_NAMES = ("validation/accuracy_top5_epoch", "validation/loss_epoch", "train/learning_rate_schedule")


def long_named_run(tmp_path: Path) -> tuple[tc.Store, str]:
    """A run whose metric names are wider than the metric list, one with a single point."""
    store = tc.Store(tmp_path / "store")
    with store.start_run("wide", "names") as run:
        for step in range(300):
            for i, key in enumerate(LONG_NAMES):
                run.log_metric(key, math.sin(step / 20 + i), step=step)
        run.log_metric("test/accuracy", 0.88, step=0)
    return store, run.id


def footer_keys(footer: Footer) -> dict[str, FooterKey]:
    """The footer's keys by description (by key for those of a compact group, shown without one)."""
    return {k.description or k.key: k for k in footer.query(FooterKey)}


def plot_text(chart: MetricChart) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", chart.plt.build())


async def test_run_screen_at_80_columns_keeps_its_keys_and_names_on_one_line(
    tmp_path: Path, settle: Any, open_screen: Any
) -> None:
    store, run_id = long_named_run(tmp_path)
    async with open_screen(store, lambda: RunScreen(store, run_id), (80, 24)) as pilot:
        screen = pilot.app.screen
        footer = screen.query_one(Footer)
        keys = footer_keys(footer)
        essential = {"Back", "Help", "Pick metric", "Layout", "Smooth", "Quit", "plus", "minus"}
        essential |= {"left_square_bracket", "right_square_bracket"}  # pan, shown with zoom as "+- Zoom  [] Pan"
        assert essential <= set(keys)
        assert all(k.region.right <= 80 for k in keys.values())  # nothing clipped at the edge
        picker = screen.query_one("#run-metric-list", MetricPicker)
        assert picker.keys == sorted([*LONG_NAMES, "test/accuracy"], key=str.lower)
        assert picker.virtual_size.height == len(picker.keys)  # one line per metric, long names cut, not wrapped
        await pilot.press("question_mark")  # the keys the footer leaves out at this width are in the help
        assert {"Log y", "Step/time", "Artifacts"} <= {a.description for a in pilot.app.screen.actions}
        await pilot.press("escape")
        for width, more in ((120, set()), (140, {"Log y", "Step/time", "Artifacts"})):
            await pilot.resize_terminal(width, 40)
            await settle(pilot)
            keys = footer_keys(footer)
            assert essential | more <= set(keys)
            assert all(k.region.right <= width for k in keys.values())


async def test_the_multi_run_chart_at_80_columns_keeps_quit_zoom_and_pan(
    demo_store: tc.Store, settle: Any, open_screen: Any
) -> None:
    runs = [r for r in demo_store.list_runs("churn_prediction") if r.status == "finished"]
    async with open_screen(demo_store, lambda: ChartScreen(demo_store, [r.id for r in runs]), (80, 24)) as pilot:
        footer = pilot.app.screen.query_one(Footer)
        keys = footer_keys(footer)
        assert {"Back", "Pick metric", "Smooth", "Quit", "plus", "left_square_bracket"} <= set(keys)
        assert all(k.region.right <= 80 for k in keys.values())
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert {"Log y", "Step/time", "Quit"} <= set(footer_keys(footer))


async def test_zoomed_chart_keeps_its_title_and_the_legend_stays_off_the_data(
    tmp_path: Path, settle: Any, open_screen: Any
) -> None:
    store, run_id = long_named_run(tmp_path)
    async with open_screen(store, lambda: RunScreen(store, run_id), (80, 24)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RunScreen)
        await pilot.press("m")
        picker = screen.query_one("#run-metric-list", MetricPicker)
        for key in LONG_NAMES:
            if key not in picker.chosen:
                picker.choose(key)
        await settle(pilot)
        await pilot.press("plus")
        await settle(pilot)
        chart = screen.chart
        assert screen.window is not None and len(chart.series) == 3
        title = plot_text(chart).splitlines()[0].strip()
        assert title.startswith("train/learning_rate_schedule, ") and title.endswith("…")  # cut, not dropped
        canvas = "\n".join(plot_text(chart).splitlines()[1:])
        assert not any(name in canvas for name in LONG_NAMES)  # no legend drawn over the lines
        legend = screen.query_one("#run-chart-legend", ChartLegend)
        assert legend.display
        assert str(legend.render()).split("  ") == [f"━ {s.label}" for s in chart.series]


async def test_a_single_point_gets_one_tick_at_its_value_and_step(
    tmp_path: Path, settle: Any, open_screen: Any
) -> None:
    store, run_id = long_named_run(tmp_path)
    async with open_screen(store, lambda: RunScreen(store, run_id), (60, 15)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RunScreen)
        picker = screen.query_one("#run-metric-list", MetricPicker)
        for key in picker.chosen:
            picker.choose(key)
        picker.choose("test/accuracy")
        await settle(pilot)
        chart = screen.chart
        assert [s.label for s in chart.series] == ["test/accuracy"]
        lines = plot_text(chart).splitlines()
        y_ticks = [line.split("┤")[0].strip() for line in lines if "┤" in line]
        assert y_ticks == ["0.88"]  # not a made-up range around the one value
        x_ticks = lines[next(i for i, line in enumerate(lines) if "└" in line) + 1].split()
        assert x_ticks == ["0"]  # step 0 only, no negative steps
        assert not screen.query_one("#run-chart-legend", ChartLegend).display  # one series: no legend


def live_run(tmp_path: Path) -> Any:
    """A run still being written, with 50 points of ``loss`` on disk."""
    run = tc.Store(tmp_path / "store").start_run("live", "tick")
    for step in range(50):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
    run.flush()
    return run


async def test_a_live_tick_that_finds_no_new_line_redraws_nothing(
    tmp_path: Path, settle: Any, open_screen: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = live_run(tmp_path)
    store = run.store
    draws: list[str] = []
    refills: list[str] = []
    monkeypatch.setattr(
        MetricChart, "_draw", lambda self, draw=MetricChart._draw, **kw: (draws.append("chart"), draw(self, **kw))
    )
    monkeypatch.setattr(
        DataTable,
        "clear",
        lambda self, *a, clear=DataTable.clear, **k: (refills.append(self.id), clear(self, *a, **k))[1],
    )
    try:
        async with open_screen(store, lambda: RunScreen(store, run.id, refresh_interval=60), (120, 40)) as pilot:
            screen = pilot.app.screen
            assert isinstance(screen, RunScreen)
            await settle(pilot)
            draws.clear()
            refills.clear()
            screen.load()  # nothing new
            await settle(pilot)
            assert draws == [] and refills == []
            run.log_metric("loss", 0.001, step=50)
            run.flush()
            screen.load()
            await settle(pilot)
            assert draws == ["chart"] and "run-metrics" in refills
            assert screen.chart.series[0].steps[-1] == 50.0
    finally:
        run.end()


@pytest.mark.parametrize("size", [(60, 15), (80, 24)])
async def test_a_title_longer_than_the_screen_ends_in_an_ellipsis(
    tmp_path: Path, settle: Any, open_screen: Any, size: tuple[int, int]
) -> None:
    store = tc.Store(tmp_path / "store")
    with store.start_run("an-experiment-with-a-long-name", "a-run-whose-name-is-long-enough") as run:
        run.log_metric("loss", 1.0)
    async with open_screen(store, lambda: RunScreen(store, run.id), size) as pilot:
        await settle(pilot)
        title = pilot.app.screen.query_one("#run-title", Static)
        line = title.render_line(0).text.rstrip()
        assert title.size.height == 1 and len(line) <= size[0]
        assert line.endswith("…"), line  # cut with a mark, never mid-value as if it were the whole title


async def test_a_long_history_with_no_index_shows_a_sample_first_then_the_whole_history(
    tmp_path: Path, wait_until: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from tracker_core.history import sampled
    from tracker_core.history.index import DIRNAME

    store = tc.Store(tmp_path / "store")
    with store.start_run("big", "long") as run:
        for step in range(30_000):
            run.log_metric("loss", 100.0 if step == 12_345 else 1.0 / (step + 1), step=step)
    path = store._metrics_path(run.id)
    shutil.rmtree(path.parent / DIRNAME, ignore_errors=True)  # as a run opened for the first time
    monkeypatch.setattr(sampled, "BACKLOG", path.stat().st_size // 2)
    monkeypatch.setattr(sampled, "BUDGET", path.stat().st_size // 20)
    built = threading.Event()
    follow = tc.Store.follow_history

    def slow_build(self: tc.Store, run_id: str) -> Any:  # the index build of a history of millions of points
        assert built.wait(30)
        return follow(self, run_id)

    monkeypatch.setattr(tc.Store, "follow_history", slow_build)
    app = TuiTrackApp(store.root)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = RunScreen(store, run.id)
        await app.push_screen(screen)
        await wait_until(pilot, lambda: bool(screen.chart.series), what="the sampled chart")
        assert screen.sampled and "a sample: reading the whole history" in screen.chart.title
        preview = screen.chart.series[0]
        assert preview.steps[0] == 0 and preview.steps[-1] == 29_999  # start to latest point, at once
        assert set(preview.values) <= {100.0} | {1.0 / (s + 1) for s in range(30_000)}
        built.set()
        await wait_until(pilot, lambda: not screen.sampled, what="the chart of the whole history")
        whole = screen.chart.series[0]
        assert 100.0 in whole.values  # the spike, which a sample may miss, is drawn from the index
        assert "a sample" not in screen.chart.title and whole.steps[-1] == 29_999
        assert (path.parent / DIRNAME).is_dir()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_long_values_wrap_whole_in_the_details_tables_and_nothing_scrolls_sideways(
    tmp_path: Path, open_screen: Any, settle: Any, size: tuple[int, int]
) -> None:
    from tui_track.screens.run import WRAPPED_TABLES

    store = tc.Store(tmp_path / "store")
    long = "/data/" + "a-long-directory-name/" * 6 + "train.parquet"
    commit = "0123456789abcdef0123456789abcdef01234567"  # a git commit: 40 characters
    with store.start_run("e", "r", tags={"source": long}) as run:
        run.log_params({"data": long, "commit": commit})
    async with open_screen(store, lambda: RunScreen(store, run.id), size=size) as pilot:
        screen = pilot.app.screen
        await settle(pilot)
        for table_id in WRAPPED_TABLES:
            table = screen.query_one(f"#{table_id}", DataTable)
            assert table.virtual_size.width <= table.scrollable_content_region.width, table_id
        params = screen.query_one("#run-params", DataTable)
        assert rows(params)["data"] == [long] and rows(params)["commit"] == [commit]  # whole, not cut
        heights = {str(params.get_row_at(i)[0]): params.rows[key].height for i, key in enumerate(params.rows)}
        assert heights["data"] > 1  # wrapped onto more lines
        assert rows(screen.query_one("#run-tags", DataTable))["source"] == [long]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_metrics_table_wider_than_its_pane_cuts_the_names_and_keeps_every_value_whole(
    tmp_path: Path, open_screen: Any, settle: Any, size: tuple[int, int]
) -> None:
    store = tc.Store(tmp_path / "store")
    values = {
        "a_rather_long_metric_name_for_validation_loss_epoch_max": 0.0187083217,
        "a_rather_long_metric_name_for_validation_loss_epoch_mean": 0.0187083217,
        "short": 123456.789,
    }
    with store.start_run("e", "r") as run:
        for step in range(3):
            run.log_metrics({k: v * (step + 1) for k, v in values.items()}, step=step)
    async with open_screen(store, lambda: RunScreen(store, run.id), size=size) as pilot:
        screen = pilot.app.screen
        await settle(pilot)
        table = screen.query_one("#run-metrics", DataTable)
        assert not table.show_horizontal_scrollbar
        assert table.virtual_size.width <= table.scrollable_content_region.width
        shown = rows(table)
        assert "short" in shown and len(shown) == 3  # a name that fits stays whole; cut ones stay apart
        summary = store.get_run(run.id).metrics

        def stands_for(name: str, key: str) -> bool:  # whole, or cut in the middle: its start and end show
            head, cut, tail = name.partition("…")
            return name == key or (bool(cut and tail) and key.startswith(head) and key.endswith(tail))

        for name, cells in shown.items():
            (key,) = [k for k in values if stands_for(name, k)]  # one metric only: the two long ones stay apart
            m = summary[key]
            assert cells == [str(c) for c in (cell(m.last), cell(m.min), cell(m.max), m.count)]  # every value whole
        await pilot.resize_terminal(300, size[1])
        await settle(pilot)
        assert set(values) <= set(rows(table))  # room again: every name in full


async def test_a_metrics_table_too_narrow_even_with_its_names_cut_scrolls_sideways(
    tmp_path: Path, open_screen: Any, settle: Any
) -> None:
    store = tc.Store(tmp_path / "store")
    with store.start_run("e", "r") as run:
        run.log_metrics({"validation_loss": 0.0187083217, "throughput_samples": 123456.789}, step=0)
    async with open_screen(store, lambda: RunScreen(store, run.id), size=(40, 24)) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one("#run-metrics", DataTable)
        assert table.virtual_size.width > table.scrollable_content_region.width
        assert table.show_horizontal_scrollbar  # the cut-off columns can still be reached


async def test_a_live_tick_draws_in_a_worker_and_the_previous_drawing_stays_meanwhile(
    tmp_path: Path, settle: Any, open_screen: Any, wait_until: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from tui_track.widgets import chart as chart_mod

    run = live_run(tmp_path)
    store = run.store
    gate = threading.Event()
    builders: list[threading.Thread] = []

    class HeldPlot(chart_mod.Plot):  # the worker's own figure: its build waits for the test
        def build(self) -> str:
            builders.append(threading.current_thread())
            assert gate.wait(20)
            return str(super().build())

    monkeypatch.setattr(chart_mod, "Plot", HeldPlot)
    try:
        async with open_screen(store, lambda: RunScreen(store, run.id, refresh_interval=60), (120, 40)) as pilot:
            screen = pilot.app.screen
            assert isinstance(screen, RunScreen)
            chart = screen.chart
            before = chart.render()
            assert chart.up_to_date and builders == []  # the first drawing was built at once
            run.log_metric("loss", 5.0, step=50)
            run.flush()
            screen.load()
            await wait_until(pilot, lambda: screen.counts.get("loss") == 51, what="the tick's points")
            await pilot.pause()
            assert chart.series[0].steps[-1] == 50.0 and not chart.up_to_date
            assert chart.render() is before  # the previous drawing stays up while the worker draws
            await wait_until(pilot, lambda: bool(builders), what="the background build")
            assert builders[0] is not threading.main_thread()
            gate.set()
            await wait_until(pilot, lambda: chart.up_to_date, what="the new drawing")
            after = chart.render()
            assert after is not before and after.plain != before.plain
            await pilot.press("s")  # a key's redraw is built at once, on the UI thread
            await pilot.pause()
            assert chart.up_to_date and len(builders) == 1
    finally:
        gate.set()
        run.end()


async def test_the_multi_run_chart_follows_a_run_being_written(tmp_path: Path, wait_until: Any) -> None:
    store = tc.Store(tmp_path / "store")
    with store.start_run("e", "done") as done:
        for step in range(10):
            done.log_metric("loss", 1.0 / (step + 1), step=step)
    live = store.start_run("e", "live")
    try:
        for step in range(10):
            live.log_metric("loss", 2.0 / (step + 1), step=step)
        live.flush()
        app = TuiTrackApp(store.root, refresh_interval=0.2)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = ChartScreen(store, [done.id, live.id], "loss", refresh_interval=0.2)
            await app.push_screen(screen)
            await wait_until(pilot, lambda: len(screen.chart.series) == 2, what="both runs on the chart")
            cursor = screen.query_one("#chart-metric-list", MetricPicker).highlighted
            for step in range(10, 30):
                live.log_metric("loss", 0.05, step=step)
            live.flush()
            await wait_until(
                pilot,
                lambda: max(s.steps[-1] for s in screen.chart.series) == 29 and screen.chart.up_to_date,
                what="the new points drawn without a key",
            )
            assert screen.query_one("#chart-metric-list", MetricPicker).highlighted == cursor
            assert min(s.steps[-1] for s in screen.chart.series) == 9  # the finished run as it was
    finally:
        live.end()
