"""Live refresh: what other processes log shows up while the app is open, and nothing the user set moves."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import tracker_core as tc
from tui_track.app import TuiTrackApp
from tui_track.widgets.filter_bar import FilterBar

INTERVAL = 0.2

WRITER = textwrap.dedent(
    """
    import sys, time
    import tracker_core as tc
    store = tc.Store(sys.argv[1], create=False)
    run = store.start_run("churn_prediction", "live_writer", flush_interval=0.1)
    run.log_params({"model_type": "RandomForest", "n_estimators": 300})
    run.log_metrics({"accuracy": 0.95, "loss": 0.5}, step=0)
    run.flush()
    print(run.id, flush=True)
    for line in sys.stdin:  # one more point per line read; killed by the test at the end
        step = int(line)
        run.log_metric("loss", 0.5 / (step + 1), step=step)
        run.flush()
        print("logged", step, flush=True)
    """
)


def names(app: TuiTrackApp) -> list[str]:
    table = app.main_screen.table
    return [table.runs[i].name for i in table.order]


async def test_other_process_runs_and_points_appear_and_a_killed_one_turns_crashed(
    demo_store: tc.Store,
    wait_until,  # type: ignore[no-untyped-def]
) -> None:
    app = TuiTrackApp(demo_store.root, refresh_interval=INTERVAL)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        table = screen.table
        await wait_until(pilot, lambda: len(table.runs) == 6, what="the demo runs")
        # The user's state: a filter, a sort, marks, and the cursor on rf_small.
        await pilot.press("slash", *"metrics.accuracy > 0.8", "enter")
        await pilot.press("j", "j", "space", "space")  # marks rf_large and rf_small, cursor on logreg
        await pilot.press("k")
        for _ in range(5):
            await pilot.press("l")
            if table.cursor_column is not None and table.cursor_column.label == "accuracy":
                break
        await pilot.press("s", "s")  # accuracy, descending
        order_before = names(app)
        assert order_before == ["gbm", "rf_large", "rf_small", "logreg"]
        cursor = table.cursor_run_id
        assert cursor is not None and table.runs[cursor].name == "rf_small"
        marked = table.marked_ids()

        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(demo_store.root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert writer.stdout is not None and writer.stdin is not None
            run_id = writer.stdout.readline().strip()
            await wait_until(pilot, lambda: run_id in table.runs, what="the other process's run")
            assert names(app)[0] == "live_writer"  # sorted in: highest accuracy, filter applies
            assert table.cursor_run_id == cursor and table.marked_ids() == marked
            assert screen.query_one(FilterBar).active_text == "metrics.accuracy > 0.8"
            assert table.sort_column == "metrics.accuracy" and table.sort_descending
            assert "▶ running" in table.render_line(1).text

            writer.stdin.write("1\n2\n")
            writer.stdin.flush()
            assert writer.stdout.readline().startswith("logged") and writer.stdout.readline().startswith("logged")
            await wait_until(pilot, lambda: table.runs[run_id].metrics["loss"].count == 3, what="new metric points")
            assert table.runs[run_id].metrics["loss"].last == 0.5 / 3
            assert table.cursor_run_id == cursor

            os.kill(writer.pid, signal.SIGKILL)  # no chance to end the run: it must read as crashed
            writer.wait(timeout=10)
            await wait_until(pilot, lambda: table.runs[run_id].status == "crashed", what="the dead run crashed")
            assert "‼ crashed" in table.render_line(1).text
        finally:
            if writer.poll() is None:
                writer.kill()
                writer.wait(timeout=10)


async def test_new_experiment_appears(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    app = TuiTrackApp(demo_store.root, refresh_interval=INTERVAL)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await wait_until(pilot, lambda: len(screen.experiment_list.experiments) == 2, what="the demo experiments")
        with demo_store.start_run("a_new_idea", "first") as run:
            run.log_metric("loss", 1.0)
        await wait_until(
            pilot,
            lambda: "a_new_idea" in [e.name for e in screen.experiment_list.experiments],
            what="the new experiment",
        )
        assert screen.table.runs and "oom_sweep" in names(app)  # the shown experiment did not change


async def test_store_created_while_open_replaces_the_welcome(tmp_path, wait_until) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "later"
    app = TuiTrackApp(path, refresh_interval=INTERVAL)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.main_screen
        await wait_until(pilot, lambda: screen.has_class("-no-runs"), what="the welcome message")
        with tc.Store(path).start_run("first_experiment", "hello") as run:
            run.log_metric("loss", 0.25)
        await wait_until(pilot, lambda: names(app) == ["hello"], what="the first run")
        assert not screen.has_class("-no-runs")


async def test_progress_of_a_running_run_updates_its_row_in_place(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    run = demo_store.start_run("churn_prediction", "still_training", flush_interval=60)
    run.log_metric("loss", 1.0, step=0)
    run.flush()
    app = TuiTrackApp(demo_store.root, refresh_interval=INTERVAL)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.main_screen.table
            await wait_until(pilot, lambda: run.id in table.runs, what="the running run")
            await pilot.press("j", "j")
            cursor, order = table.cursor_run_id, list(table.order)
            for step in (1, 2, 3):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
            run.log_metric("grad_norm", 0.5)  # a metric no other run has: offered as a column, not shown by default
            run.flush()
            await wait_until(pilot, lambda: table.runs[run.id].metrics["loss"].count == 4, what="the new points")
            assert table.order == order and table.cursor_run_id == cursor
            assert "grad_norm" not in [c.label for c in table.columns]  # default columns: metrics most runs have
            assert "metrics.grad_norm" in [key for key, _, _ in table.column_choices()]
            assert table.runs[run.id].metrics["loss"].last == 0.25
            assert "▶ running" in table.render_line(table.order.index(run.id) + 1).text
    finally:
        run.end()


async def test_slow_refreshes_space_out(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    import time

    app = TuiTrackApp(demo_store.root, refresh_interval=3600.0)  # ticks by hand below
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.main_screen
        await wait_until(pilot, lambda: len(screen.table.runs) == 6, what="the demo runs")
        await app.workers.wait_for_complete()
        with demo_store.start_run("churn_prediction", "newcomer") as run:
            run.log_metric("loss", 0.5)
        screen._refresh_cost, screen._refreshed_at = 10.0, time.monotonic()  # as if the last one took 10 s
        screen.tick()
        assert not [w for w in app.workers if w.is_running]  # no refresh before 50 s have passed
        screen._refresh_cost = 0.0
        screen.tick()
        await wait_until(pilot, lambda: run.id in screen.table.runs, what="the next refresh")
