"""Marked runs side by side: every section, the differences-only toggle, the best value starred."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.widgets import DataTable, Static

import tracker_core as tc
from tui_track.screens.chart import ChartScreen
from tui_track.screens.compare import BEST_MARK, SECTION_KEY, VALUE_WIDTH, CompareScreen


def table_rows(table: DataTable[Any]) -> dict[str, list[str]]:
    """Row key -> the cells' plain text (one column per run)."""
    out = {}
    for i in range(table.row_count):
        key = str(table.coordinate_to_cell_key((i, 0)).row_key.value)
        out[key] = [c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(i)[1:]]
    return out


async def test_compare_three_runs_with_best_values_and_differences_only(demo_store: tc.Store, open_screen: Any) -> None:
    by_name = {r.name: r for r in demo_store.list_runs("churn_prediction")}
    names = ["logreg", "rf_small", "gbm"]
    async with open_screen(demo_store, lambda: CompareScreen(demo_store, [by_name[n].id for n in names])) as pilot:
        app = pilot.app
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        table = screen.query_one("#compare-table", DataTable)
        assert [str(c.label) for c in table.ordered_columns] == ["", *names]
        rows = table_rows(table)
        # long values end in an ellipsis; the detail line under the cursor has them in full
        full = ["LogisticRegression", "RandomForest", "GradientBoosting"]
        widths = [c.width for c in table.ordered_columns[1:]]
        for shown, value, width in zip(rows["params:model_type"], full, widths, strict=True):
            assert shown == value if len(value) <= width else (shown.endswith("…") and value.startswith(shown[:-1]))
        assert rows["params:model_type"][1] == "RandomForest" and rows["params:model_type"][0].endswith("…")
        table.move_cursor(row=table.get_row_index("params:model_type"))
        await pilot.pause()
        detail = str(screen.query_one("#compare-detail").visual)
        assert "LogisticRegression" in detail and "GradientBoosting" in detail
        assert rows["params:max_depth"] == ["-", "5", "3"]
        assert rows["tags:team"] == ["growth"] * 3
        assert "env:python" in rows
        # higher accuracy is better, lower loss is better: gbm wins both, and only the winner is starred
        assert rows["metrics:accuracy"] == ["0.82", "0.86", "0.9" + BEST_MARK]
        assert [v.endswith(BEST_MARK) for v in rows["metrics:loss"]] == [False, False, True]
        assert rows["attributes:duration"] == ["42.0s", "43.0s", "45.0s"]
        assert "all rows" in screen.query_one("#compare-title").visual.plain

        await pilot.press("d")
        rows = table_rows(table)
        assert "tags:team" not in rows and "env:python" not in rows  # the same everywhere
        assert "params:model_type" in rows and "metrics:accuracy" in rows
        assert all(key.startswith(SECTION_KEY) or screen_row_differs(table, key) for key in rows)
        assert "differences only" in screen.query_one("#compare-title").visual.plain

        await pilot.press("d")
        assert "tags:team" in table_rows(table)


def screen_row_differs(table: DataTable[Any], key: str) -> bool:
    return str(table.get_row(key)[0]).startswith("≠")


async def test_plot_from_compare_charts_the_metric_under_the_cursor(
    demo_store: tc.Store, settle: Any, open_screen: Any
) -> None:
    runs = demo_store.list_runs("mnist_mlp")
    async with open_screen(demo_store, lambda: CompareScreen(demo_store, [r.id for r in runs])) as pilot:
        app = pilot.app
        table = app.screen.query_one("#compare-table", DataTable)
        table.move_cursor(row=table.get_row_index("metrics:train_loss.max"))
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ChartScreen)
        assert app.screen.metric == "train_loss"
        assert len(app.screen.chart.series) == 3


async def test_runs_that_vanished_are_left_out_with_a_message(demo_store: tc.Store, open_screen: Any) -> None:
    gbm = next(r for r in demo_store.list_runs() if r.name == "gbm")
    async with open_screen(demo_store, lambda: CompareScreen(demo_store, ["feedc0de" * 4])) as pilot:
        assert "can be read" in pilot.app.screen.query_one("#compare-title").visual.plain
    async with open_screen(demo_store, lambda: CompareScreen(demo_store, [gbm.id, "feedc0de" * 4])) as pilot:
        table = pilot.app.screen.query_one("#compare-table", DataTable)
        assert [str(c.label) for c in table.ordered_columns] == ["", "gbm"]


async def test_metric_directions_come_from_the_config(
    demo_store: tc.Store, open_screen: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tui-track.toml").write_text('[metrics]\naccuracy = "min"\n')
    monkeypatch.chdir(tmp_path)
    by_name = {r.name: r for r in demo_store.list_runs("churn_prediction")}
    ids = [by_name[n].id for n in ("logreg", "gbm")]
    async with open_screen(demo_store, lambda: CompareScreen(demo_store, ids)) as pilot:
        rows = table_rows(pilot.app.screen.query_one("#compare-table", DataTable))
        assert rows["metrics:accuracy"] == ["0.82" + BEST_MARK, "0.9"]  # lower is better, as configured
        assert rows["metrics:auc_roc"] == ["0.88", "0.95" + BEST_MARK]


async def test_three_runs_fit_side_by_side_at_80x24_with_the_labels_frozen(
    demo_store: tc.Store, open_screen: Any
) -> None:
    runs = demo_store.list_runs("churn_prediction")[:4]
    async with open_screen(demo_store, lambda: CompareScreen(demo_store, [r.id for r in runs]), (80, 24)) as pilot:
        screen = pilot.app.screen
        await pilot.press("d")
        table = screen.query_one("#compare-table", DataTable)
        assert table.fixed_columns == 1
        widths = [c.get_render_width(table) for c in table.ordered_columns]
        assert sum(widths[:4]) <= table.scrollable_content_region.width  # labels and three runs at once
        env_command = table_rows(table).get("env:command")
        if env_command is not None:  # the command line, cut to its column
            assert all(len(v) <= 15 for v in env_command)
        await pilot.press("right", "right", "right")
        assert table.ordered_columns[0].key.value == "key"  # the label column stays on screen


async def test_two_runs_share_the_width_and_a_heading_row_names_its_section(tmp_path: Path, open_screen: Any) -> None:
    store = tc.Store(tmp_path / "store")
    names = ["random_forest_large_v2", "gradient_boosting_tuned"]  # longer than VALUE_WIDTH
    ids = []
    for name in names:
        with store.start_run("e", name) as run:
            run.log_metric("accuracy", 0.9)
        ids.append(run.id)
    async with open_screen(store, lambda: CompareScreen(store, ids), (80, 24)) as pilot:
        screen = pilot.app.screen
        table = screen.query_one("#compare-table", DataTable)
        assert table_rows(table)["attributes:name"] == names  # whole: two runs have room for more than VALUE_WIDTH
        widths = [c.get_render_width(table) for c in table.ordered_columns]
        assert sum(widths) <= table.scrollable_content_region.width  # and still side by side, no scrolling
        table.move_cursor(row=0)  # the "attributes" heading
        await pilot.pause()
        detail = str(screen.query_one("#compare-detail", Static).render())
        assert detail.startswith("attributes: ")
        await pilot.resize_terminal(50, 24)
        await pilot.pause()
        shown = table_rows(table)["attributes:name"]
        assert all(len(v) <= VALUE_WIDTH and v.endswith("…") for v in shown), shown  # narrower: back to the cap
