"""Group by and aggregate columns in the runs table, from the keyboard, at 80x24 and 120x40."""

from __future__ import annotations

import statistics
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

import tracker_core as tc
from tui_track.app import TuiTrackApp
from tui_track.screens.columns import ColumnPicker
from tui_track.screens.main import MainScreen
from tui_track.widgets import run_groups
from tui_track.widgets.run_groups import GROUP_ROW
from tui_track.widgets.runs_table import RunsTable

SIZES = [(80, 24), (120, 40)]


def make_app(store: tc.Store) -> TuiTrackApp:
    return TuiTrackApp(store.root, refresh_interval=3600.0)


async def loaded(pilot, wait_until) -> MainScreen:  # type: ignore[no-untyped-def]
    screen = pilot.app.main_screen
    await wait_until(pilot, lambda: screen.table.runs, what="the first experiment's runs")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return screen


def lines(table: RunsTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


def status(screen: MainScreen) -> str:
    return str(screen.query_one("#status-line").content)


async def group_by_model_type(pilot, table: RunsTable, settle) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("b")
    assert isinstance(pilot.app.screen, ColumnPicker)
    await pilot.press("slash", *"model", "enter", "space", "enter")  # search, to the list, tick, apply
    await settle(pilot)  # the groups are computed in a worker
    assert table.groups is not None and table.groups.by == ["params.model_type"]


@asynccontextmanager
async def grouped(store: tc.Store, size, wait_until, settle) -> AsyncIterator:  # type: ignore[no-untyped-def]
    """The app on ``store``, its runs grouped by model_type from the keyboard: (pilot, screen, table)."""
    async with make_app(store).run_test(size=size) as pilot:
        screen = await loaded(pilot, wait_until)
        await group_by_model_type(pilot, screen.table, settle)
        yield pilot, screen, screen.table


@pytest.mark.parametrize("size", SIZES)
async def test_group_expand_sort_mark_and_ungroup(demo_store: tc.Store, wait_until, settle, size) -> None:  # type: ignore[no-untyped-def]
    async with grouped(demo_store, size, wait_until, settle) as (pilot, screen, table):
        assert "grouped by model_type (5 groups)" in status(screen)
        assert all(row.startswith(GROUP_ROW) for row in table.order) and len(table.order) == 5
        runs = demo_store.list_runs("churn_prediction")
        forests = [r for r in runs if r.params.get("model_type") == "RandomForest"]
        losses = [r.metrics["loss"].last for r in forests]
        shown = "\n".join(lines(table))
        assert "RandomForest" in shown and "2 runs" in shown and "model_type" in lines(table)[0]
        mean, std = statistics.mean(losses), statistics.stdev(losses)
        assert f"{mean:.6g} ± {std:.4g}"[:14] in shown  # mean ± std of the loss column
        # to the RandomForest group, expand it: its runs follow it; collapse from one of them
        await pilot.press("home", *["j"] * 3)
        assert table.cursor_group is not None and table.cursor_group.values == ("RandomForest",)
        await pilot.press("enter")
        assert len(table.order) == 7 and {table.runs[i].name for i in table.order[4:6]} == {"rf_small", "rf_large"}
        assert "▾" in lines(table)[4]  # the expanded glyph, readable without colour
        await pilot.press("j")
        assert table.cursor_run_id in {r.id for r in forests}
        await pilot.press("F")
        assert len(table.order) == 5 and table.cursor_group.values == ("RandomForest",)
        # space on a group marks its runs
        await pilot.press("space")
        assert table.marks == {r.id for r in forests}
        # sort the groups by the loss column (mean), then descending
        await pilot.press("home")
        table.cursor_col = [c.key for c in table.columns].index("metrics.loss")
        await pilot.press("s")
        await settle(pilot)
        means = [g.stats("metrics.loss").mean for g in table.groups.grouping.groups]
        assert means == sorted(means)
        await pilot.press("s")
        await settle(pilot)
        means = [g.stats("metrics.loss").mean for g in table.groups.grouping.groups]
        assert means == sorted(means, reverse=True)
        # min/max columns on request
        await pilot.press("M")
        labels = [c.label for c in table.columns]
        assert "loss min" in labels and "loss max" in labels
        forest_row = next(r for r, g in table.groups.rows.items() if g.values == ("RandomForest",))
        group = table.groups.rows[forest_row]
        assert group.value("metrics.loss", "min") == min(losses)
        # ungroup: the runs again
        await pilot.press("B")
        await settle(pilot)
        assert table.groups is None and set(table.order) == {r.id for r in runs}
        assert "grouped" not in status(screen)


@pytest.mark.parametrize("size", SIZES)
async def test_column_picker_aggregates_search_all_none(demo_store: tc.Store, wait_until, size) -> None:  # type: ignore[no-untyped-def]
    async with make_app(demo_store).run_test(size=size) as pilot:
        screen = await loaded(pilot, wait_until)
        table = screen.table
        # the default metric columns: the metrics most runs have, most common first (loss: all six runs)
        assert [c.label for c in table.columns if c.is_metric] == ["loss", "accuracy", "auc_roc", "f1"]
        await pilot.press("o")
        picker = pilot.app.screen
        assert isinstance(picker, ColumnPicker)
        labels = [label for _, label, _ in picker.choices]
        assert [lab.split()[0] for lab in labels if lab.startswith("metrics.loss")] == [
            "metrics.loss", "metrics.loss.min", "metrics.loss.max", "metrics.loss.mean", "metrics.loss.first",
            "metrics.loss.count",
        ]  # fmt: skip
        assert "(6/6 runs)" in labels[labels.index("metrics.loss.mean  (6/6 runs)")]
        await pilot.press("slash", *"loss", "enter")
        assert picker.shown_keys and all("loss" in k for k in picker.shown_keys)
        await pilot.press("n")  # untick every loss column shown
        await pilot.press("slash", "ctrl+u", *"loss min", "enter")  # words in any order
        assert picker.shown_keys == ["metrics.`loss`.min"]
        await pilot.press("space")
        await pilot.press("slash", "ctrl+u", *"auc", "enter", "a")  # tick all auc columns
        await pilot.press("enter")
        await pilot.pause()
        keys = [c.key for c in table.columns]
        assert "metrics.`loss`.min" in keys and "metrics.loss" not in keys
        assert {"metrics.`auc_roc`.mean", "metrics.`auc_roc`.count"} <= set(keys)
        # the cells hold what the store holds
        table.cursor_col = keys.index("metrics.`loss`.min")
        await pilot.press("s")
        run = demo_store.get_run(table.cursor_run_id or "")
        lowest = min(r.metrics["loss"].min for r in demo_store.list_runs("churn_prediction"))
        first = demo_store.get_run(table.order[0])
        assert first.metrics["loss"].min == lowest and run is not None
        assert "loss.min" in lines(table)[0]


def group_count_text(table: RunsTable, value: str) -> str:
    """The count cell of the group row whose value is ``value``."""
    row = next(r for r, g in (table.groups.rows.items() if table.groups else []) if g.values == (value,))
    return table.groups.text(table.groups.rows[row], "attributes.status") if table.groups else ""


@pytest.mark.parametrize("size", SIZES)
async def test_groups_are_computed_off_the_ui_thread_and_follow_new_runs(  # type: ignore[no-untyped-def]
    demo_store: tc.Store, wait_until, settle, monkeypatch, size
) -> None:
    threads: list[threading.Thread] = []
    real = run_groups.group_runs

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(run_groups, "group_runs", recording)
    async with grouped(demo_store, size, wait_until, settle) as (pilot, screen, table):
        assert threads and threading.main_thread() not in threads
        assert group_count_text(table, "RandomForest") == "2 runs"
        with demo_store.start_run("churn_prediction", "rf_third") as run:
            run.log_params({"model_type": "RandomForest"})
            run.log_metric("loss", 0.25)
        await pilot.press("r")  # refresh now: the group gains the run
        await wait_until(pilot, lambda: group_count_text(table, "RandomForest") == "3 runs", what="3 forests")
        await settle(pilot)
        assert "RandomForest" in "\n".join(lines(table)) and "grouped by model_type" in status(screen)
        assert threading.main_thread() not in threads


@pytest.mark.parametrize("size", SIZES)
async def test_a_failed_grouping_is_shown_and_leaves_the_runs_ungrouped(  # type: ignore[no-untyped-def]
    demo_store: tc.Store, wait_until, settle, monkeypatch, size
) -> None:
    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise MemoryError("no room for the groups")

    monkeypatch.setattr(run_groups, "group_runs", failing)
    async with make_app(demo_store).run_test(size=size) as pilot:
        screen = await loaded(pilot, wait_until)
        table = screen.table
        await pilot.press("b", "slash", *"model", "enter", "space", "enter")
        await settle(pilot)
        toasts = [str(n.message) for n in pilot.app._notifications]
        assert "grouping the runs failed: MemoryError: no room for the groups" in toasts
        assert table.groups is None and "grouped" not in status(screen)
        assert set(table.order) == {r.id for r in demo_store.list_runs("churn_prediction")}
        assert any("rf_small" in line for line in lines(table))


def details_text(screen: MainScreen) -> str:
    from rich.console import Console

    from tui_track.widgets.details import DetailsPane

    console = Console(width=120, record=True, color_system=None)
    console.print(screen.query_one(DetailsPane).query_one("#details-body").content)
    return console.export_text()


@pytest.mark.parametrize("size", SIZES)
async def test_details_of_a_group_row_summarise_the_group(demo_store: tc.Store, wait_until, settle, size) -> None:  # type: ignore[no-untyped-def]
    async with grouped(demo_store, size, wait_until, settle) as (pilot, screen, table):
        await pilot.press("home", *["j"] * 3)  # the RandomForest group
        await settle(pilot)
        text = details_text(screen)
        forests = [r for r in demo_store.list_runs("churn_prediction") if r.params.get("model_type") == "RandomForest"]
        losses = [r.metrics["loss"].last for r in forests]
        assert "No run highlighted" not in text
        assert "model_type = RandomForest" in text and "2 runs" in text
        assert "params.model_type" in text  # the group key and its value
        loss_line = next(line for line in text.splitlines() if line.split()[:1] == ["loss"])
        assert f"{statistics.mean(losses):.6g}"[:8] in loss_line and f"{statistics.stdev(losses):.4g}"[:5] in loss_line
        assert "±" in loss_line and "2/2" in loss_line
        assert f"{min(losses):.6g}"[:8] in loss_line and f"{max(losses):.6g}"[:8] in loss_line
        assert {"rf_small", "rf_large"} <= set(text.replace(",", " ").split())
        await pilot.press("enter", "j")  # into the group: a run's details
        await settle(pilot)
        assert table.cursor_run_id is not None and "Group keys" not in details_text(screen)
        await pilot.press("k")  # back on the group row
        await settle(pilot)
        assert "model_type = RandomForest" in details_text(screen)
        with demo_store.start_run("churn_prediction", "rf_third") as run:  # the summary follows new runs
            run.log_params({"model_type": "RandomForest"})
            run.log_metric("loss", 0.25)
        await pilot.press("r")
        await wait_until(pilot, lambda: "3 runs" in details_text(screen), what="the group's new count")
