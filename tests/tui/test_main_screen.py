"""The main screen driven from the keyboard: experiments, sorting, filtering, details, marks, help."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import tracker_core as tc
from tui_track.app import TuiTrackApp
from tui_track.screens.help import HelpScreen
from tui_track.screens.main import SPARK_POINTS, MainScreen
from tui_track.widgets.details import DetailsPane, sparkline
from tui_track.widgets.filter_bar import FilterBar
from tui_track.widgets.runs_table import RunsTable

CHURN_BY_START = ["oom_sweep", "broken_features", "gbm", "rf_large", "rf_small", "logreg"]


def make_app(store_path: Path) -> TuiTrackApp:
    return TuiTrackApp(store_path, refresh_interval=60.0)  # live refresh has its own tests


def names(table: RunsTable) -> list[str]:
    return [table.runs[i].name for i in table.order]


def header(table: RunsTable) -> str:
    return table.render_line(0).text


async def loaded(pilot, wait_until) -> MainScreen:  # type: ignore[no-untyped-def]
    screen = pilot.app.main_screen
    await wait_until(pilot, lambda: screen.table.runs, what="the first experiment's runs")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return screen


async def put_cursor_on_column(pilot, table: RunsTable, label: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*["h"] * len(table.columns))
    for _ in range(len(table.columns)):
        if table.cursor_column is not None and table.cursor_column.label == label:
            return
        await pilot.press("l")
    raise AssertionError(f"no column {label!r} in {[c.label for c in table.columns]}")


async def test_opens_on_first_experiment_newest_first(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    async with make_app(demo_store.root).run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, wait_until)
        table = screen.table
        assert names(table) == CHURN_BY_START
        labels = [c.label for c in table.columns]
        assert labels[:4] == ["status", "name", "start", "duration"]
        # metrics, then only the params that vary (model_type differs; all are chosen automatically)
        assert {"accuracy", "auc_roc", "f1", "loss", "model_type", "n_estimators"} <= set(labels)
        assert "status" in header(table) and "accuracy" in header(table)
        assert table.has_focus
        assert "churn_prediction" in str(screen.query_one("#status-line").content)


async def test_crashed_failed_and_finished_are_distinct_without_colour(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    async with make_app(demo_store.root).run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, wait_until)
        table = screen.table
        lines = {table.runs[table.order[row]].name: table.render_line(row + 1).text for row in range(len(table.order))}
        assert "‼ crashed" in lines["oom_sweep"]
        assert "✗ failed" in lines["broken_features"]
        assert "✓ finished" in lines["gbm"]


async def test_select_another_experiment(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    async with make_app(demo_store.root).run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, wait_until)
        await pilot.press("e")  # at 80 columns the pane slides in and takes focus
        assert screen.experiment_list.has_focus and screen.experiment_list.display
        await pilot.press("j")
        await wait_until(pilot, lambda: set(names(screen.table)) == {"lr_0", "lr_1", "lr_2"}, what="mnist runs")
        await pilot.press("enter")
        assert screen.table.has_focus
        assert not screen.query_one("#experiments").display
        assert [c.label for c in screen.table.columns if c.is_metric] == ["train_loss", "val_acc"]
        assert "lr" in [c.label for c in screen.table.columns] and "epochs" not in [
            c.label for c in screen.table.columns
        ]


async def test_sort_by_metric_both_ways_missing_last(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    async with make_app(demo_store.root).run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, wait_until)
        table = screen.table
        await pilot.press("j", "j")  # the cursor rests on gbm while sorting
        await put_cursor_on_column(pilot, table, "accuracy")
        await pilot.press("s")
        assert names(table)[:4] == ["logreg", "rf_small", "rf_large", "gbm"]
        assert set(names(table)[4:]) == {"broken_features", "oom_sweep"}  # no accuracy: last
        assert "accuracy▲" in header(table)
        assert table.cursor_run_id is not None and table.runs[table.cursor_run_id].name == "gbm"
        await pilot.press("s")
        assert names(table)[:4] == ["gbm", "rf_large", "rf_small", "logreg"]
        assert set(names(table)[4:]) == {"broken_features", "oom_sweep"}
        assert "accuracy▼" in header(table)
        assert "sort accuracy▼" in str(screen.query_one("#status-line").content)
        await pilot.press("greater_than_sign")  # next metric, same direction
        assert table.sort_column == "metrics.auc_roc" and table.sort_descending
        assert names(table)[0] == "gbm"
        await pilot.press("less_than_sign", "less_than_sign")
        assert table.sort_column == "metrics.`loss`" or table.sort_column.endswith("loss")
        await pilot.press("S")
        assert table.sort_column is None
        assert names(table) == CHURN_BY_START


async def test_filter_good_then_bad_keeps_text_and_shows_error(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    async with make_app(demo_store.root).run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, wait_until)
        table, bar = screen.table, screen.query_one(FilterBar)
        await pilot.press("slash")
        assert bar.input.has_focus
        await pilot.press(*"metrics.accuracy > 0.85", "enter")
        assert sorted(names(table)) == ["gbm", "rf_large", "rf_small"]
        assert table.has_focus and bar.display  # the active filter stays visible
        assert "filter: metrics.accuracy > 0.85" in str(screen.query_one("#status-line").content)
        await pilot.press("slash", "end", *" and params.", "enter")
        assert bar.input.value == "metrics.accuracy > 0.85 and params."
        assert bar.has_class("-error") and "column" in bar.error_text
        assert sorted(names(table)) == ["gbm", "rf_large", "rf_small"]  # the previous filter still holds
        await pilot.press("escape")
        assert bar.input.value == "metrics.accuracy > 0.85" and not bar.has_class("-error")
        await pilot.press("backslash")
        assert len(table.order) == 6 and not bar.display


async def test_clearing_a_filter_scrolls_to_the_cursor_run(tmp_path: Path, wait_until) -> None:  # type: ignore[no-untyped-def]
    store = tc.Store(tmp_path / "store")
    for i in range(40):
        with store.start_run("sweep", name=f"{'odd' if i in (1, 3, 5) else 'run'}_{i:02d}") as run:
            run.log_metric("loss", 1.0 / (i + 1))
    async with make_app(store.root).run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, wait_until)
        table = screen.table
        await pilot.press("slash", *"name LIKE 'odd%'", "enter")  # 3 runs: they fit, no scrollbar
        await pilot.press("G")
        assert names(table) == ["odd_05", "odd_03", "odd_01"] and table.cursor_run_id is not None
        chosen = table.cursor_run_id
        await pilot.press("backslash")
        await pilot.pause()
        assert table.cursor_run_id == chosen and table.cursor_row == 38  # odd_01, next to last of 40
        body = table.scrollable_content_region.height - 1  # below the header line
        assert 0 <= table.cursor_row - int(table.scroll_y) < body
        row_on_screen = table.cursor_row - int(table.scroll_y) + 1
        assert "odd_01" in table.render_line(row_on_screen).text


async def test_a_column_cut_by_the_sideways_scroll_shows_an_ellipsis_not_a_piece_of_its_value(
    tmp_path: Path, wait_until
) -> None:  # type: ignore[no-untyped-def]
    from tui_track.widgets.runs_table import FIXED_KEYS, MARK_WIDTH, column_text

    store = tc.Store(tmp_path / "store")
    for i in range(3):
        with store.start_run("wide", name=f"run_{i}") as run:
            run.log_metrics({f"{'m' * (3 + k % 5)}_{k}": 0.96 + i / 1000 + k for k in range(12)})
            run.log_param("comment", f"a longish comment number {i}")
    async with make_app(store.root).run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, wait_until)
        table = screen.table
        fixed = MARK_WIDTH + sum(c.width + 1 for c in table.columns if c.key in FIXED_KEYS)
        view = table.scrollable_content_region.width - fixed
        cut_seen = 0
        for _ in range(len(table.columns)):
            await pilot.press("l")
            await pilot.pause()
            scroll = int(table.scroll_x)
            for y in range(len(table.order) + 1):
                line = table.render_line(y).text
                run = table.runs[table.order[y - 1]] if y else None
                x = 0
                for column in (c for c in table.columns if c.key not in FIXED_KEYS):
                    left, right = max(x, scroll), min(x + column.width, scroll + view)
                    if left < right:
                        shown = line[fixed + left - scroll : fixed + right - scroll].strip()
                        whole = (column.label if run is None else column_text(run, column.key)).strip()
                        assert shown in ("", whole) or "…" in shown, (y, column.label, shown, whole)
                        cut_seen += (left, right) != (x, x + column.width) and "…" in shown
                    x += column.width + 1
        assert cut_seen > 0  # the scroll did cut columns on the way


async def test_details_show_params_metrics_sparklines_env_and_artifacts(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    async with make_app(demo_store.root).run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, wait_until)
        await pilot.press("j", "j")
        gbm = screen.table.cursor_run_id
        assert gbm is not None and screen.table.runs[gbm].name == "gbm"
        pane = screen.query_one(DetailsPane)
        await wait_until(pilot, lambda: "report.json" in _text(pane), what="artifacts in the details")
        text = _text(pane)
        for expected in ("GradientBoosting", "n_estimators", "auc_roc", "family", "growth", "confusion.csv", " B"):
            assert expected in text, expected
        history = [p.value for p in demo_store.metric_history(gbm, "loss")]
        assert sparkline(history) in text  # the loss history as a sparkline
        assert demo_store.get_run(gbm).host in text


async def test_details_of_a_long_run_not_indexed_yet_sample_it_and_build_no_index(  # type: ignore[no-untyped-def]
    tmp_path, wait_until, monkeypatch
) -> None:
    from tracker_core.history import sampled
    from tracker_core.history.index import DIRNAME

    store = tc.Store(tmp_path / "store")
    with store.start_run("e", "long") as run:
        for step in range(20_000):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
    path = store._metrics_path(run.id)
    shutil.rmtree(path.parent / DIRNAME, ignore_errors=True)
    monkeypatch.setattr(sampled, "BACKLOG", path.stat().st_size // 2)  # as if it held millions of points
    async with make_app(store.root).run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, wait_until)
        pane = screen.query_one(DetailsPane)
        await wait_until(pilot, lambda: "loss" in _text(pane) and "…" not in _text(pane), what="the sparklines")
        sample = sampled.sample(path)["loss"].downsample(SPARK_POINTS)  # what the details pane drew
        assert sparkline(sample.values.tolist()) in _text(pane)
        await pilot.pause(0.3)
        assert not (path.parent / DIRNAME).exists()  # the main screen read no whole history


def _text(pane: DetailsPane) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, color_system=None)
    console.print(pane.query_one("#details-body").content)
    return console.export_text()


async def test_marks_toggle_with_space(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    async with make_app(demo_store.root).run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, wait_until)
        table = screen.table
        await pilot.press("j", "j", "space", "space")  # marks gbm and rf_large, cursor moves down each time
        assert [table.runs[i].name for i in table.marked_ids()] == ["gbm", "rf_large"]
        assert table.render_line(3).text.startswith("*")
        await pilot.press("k", "space")
        assert [table.runs[i].name for i in table.marked_ids()] == ["gbm"]
        assert "1 marked" in str(screen.query_one("#status-line").content)
        await pilot.press("u")
        assert table.marked_ids() == []


async def test_hide_and_restore_columns(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    async with make_app(demo_store.root).run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, wait_until)
        table = screen.table
        await put_cursor_on_column(pilot, table, "f1")
        await pilot.press("minus")
        assert "f1" not in [c.label for c in table.columns]
        await pilot.press("equals_sign")
        assert "f1" in [c.label for c in table.columns]


async def test_help_lists_the_keys_of_the_screen(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    async with make_app(demo_store.root).run_test(size=(80, 24)) as pilot:
        await loaded(pilot, wait_until)
        await pilot.press("question_mark")
        help_screen = pilot.app.screen
        assert isinstance(help_screen, HelpScreen)
        described = {a.description: a.keys for a in help_screen.actions}
        for description in ("Sort", "Mark", "Filter", "Compare", "Plot", "Artifacts", "Models", "Quit", "Down"):
            assert description in described, description
        assert described["Down"] == "↓ / j"
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, MainScreen)


async def test_footer_at_80_columns_keeps_quit_and_the_rest_is_in_the_help(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    async with make_app(demo_store.root).run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, wait_until)
        footer = screen.query_one(Footer)
        keys = {k.description: k for k in footer.query(FooterKey)}
        assert {"Sort", "Mark", "Filter", "Compare", "Plot", "Help", "Quit"} <= set(keys)
        palette = keys.pop("Commands").region  # docked at the right edge, over whatever runs under it
        assert all(k.region.width > 0 and k.region.right <= palette.x for k in keys.values()), {
            d: k.region for d, k in keys.items()
        }
        await pilot.press("question_mark")
        assert {"Group", "Find"} <= {a.description for a in pilot.app.screen.actions}


@pytest.mark.parametrize("size", [(60, 15), (80, 24)])
async def test_help_footnote_shows_whole(demo_store: tc.Store, wait_until, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    from textual.geometry import Region

    from tui_track.screens.help import FOOTNOTE

    async with make_app(demo_store.root).run_test(size=size) as pilot:
        await loaded(pilot, wait_until)
        await pilot.press("question_mark")
        await pilot.pause()
        box = pilot.app.screen.query_one("#help-box")
        bottom = box.render_lines(Region(0, box.outer_size.height - 1, box.outer_size.width, 1))[0].text
        assert f" {FOOTNOTE} " in bottom and "…" not in bottom, bottom


async def test_command_palette_runs_a_screen_action(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    async with make_app(demo_store.root).run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, wait_until)
        await pilot.press("ctrl+p")
        await pilot.press(*"unmark all")
        await pilot.press("escape")  # nothing run: the palette closes
        assert isinstance(pilot.app.screen, MainScreen)
        await pilot.press("ctrl+p", *"Sort next metric")
        await wait_until(pilot, lambda: _palette_has_hits(pilot.app), what="palette hits")
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.table.sort_column is not None, what="the palette's sort")
        assert screen.table.sort_column == "metrics.loss"  # the first metric: the one every run has


async def test_command_palette_shows_what_actions_do_not_their_internal_names(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    from textual.command import CommandList

    from tui_track.commands_palette import key_actions

    async with make_app(demo_store.root).run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, wait_until)
        actions = [a.action for a in key_actions(screen, screen.table)]
        assert {"cursor_up", "sort_metric(1)"} <= set(actions)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: _palette_has_hits(pilot.app), what="palette entries")
        await pilot.pause()
        entries = pilot.app.screen.query_one(CommandList)
        lines = [entries.render_line(y).text.strip() for y in range(entries.size.height)]
        assert "Up  (↑ / k)" in lines and "Down  (↓ / j)" in lines
        assert not [line for line in lines if line in actions], lines
        await pilot.press(*"next metric")
        await pilot.pause()
        lines = [entries.render_line(y).text.strip() for y in range(entries.size.height)]
        assert "Sort next metric  (>)" in lines and "sort_metric(1)" not in lines, lines


def _palette_has_hits(app: TuiTrackApp) -> bool:
    from textual.command import CommandList

    try:
        return app.screen.query_one(CommandList).option_count > 0
    except Exception:
        return False


async def test_missing_store_shows_how_to_log_a_first_run(empty_store_path: Path, wait_until) -> None:  # type: ignore[no-untyped-def]
    async with make_app(empty_store_path).run_test(size=(80, 24)) as pilot:
        screen = pilot.app.main_screen
        await wait_until(pilot, lambda: screen.has_class("-no-runs"), what="the welcome message")
        text = str(screen.query_one("#welcome").content)
        assert "import tracker_core as tc" in text and str(empty_store_path) in text
        assert not empty_store_path.exists()  # the app never creates a store
        await pilot.press("q")
    assert pilot.app.return_code in (None, 0)


async def test_unreadable_run_is_listed_not_raised(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    run_id = demo_store.list_runs("mnist_mlp")[0].id
    run_dir = demo_store.experiments_dir / demo_store.get_run(run_id).experiment_id / "runs" / run_id
    (run_dir / "run.json").write_text("{ not json")
    async with make_app(demo_store.root).run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, wait_until)
        await pilot.press("e", "j")
        await wait_until(pilot, lambda: run_id in screen.table.runs, what="the mnist runs")
        row = screen.table.order.index(run_id)
        assert "? unreadable" in screen.table.render_line(row + 1).text


@pytest.mark.parametrize(
    ("keys", "module", "screen_class"),
    [
        (("enter",), "tui_track.screens.run", "RunScreen"),
        (("p",), "tui_track.screens.chart", "ChartScreen"),
        (("space", "space", "c"), "tui_track.screens.compare", "CompareScreen"),
        (("a",), "tui_track.screens.artifacts", "ArtifactsScreen"),
        (("m",), "tui_track.screens.registry", "RegistryScreen"),
    ],
)
async def test_keys_open_the_other_screens(demo_store: tc.Store, wait_until, keys, module, screen_class) -> None:  # type: ignore[no-untyped-def]
    import importlib

    expected = getattr(importlib.import_module(module), screen_class)
    async with make_app(demo_store.root).run_test(size=(120, 40)) as pilot:
        await loaded(pilot, wait_until)
        await pilot.press("j", "j", *keys)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, expected), what=screen_class)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), what="back to the main screen")


def test_config_sets_theme_and_refresh_interval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker_core.config import AppSettings, app_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TUI_TRACK_STORE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / "tui-track.toml").write_text('store = "runs"\ntheme = "nord"\nrefresh_interval = 0.5\n')
    settings = app_settings(None)
    assert settings == AppSettings(tmp_path / "runs", 0.5, "nord")
    app = TuiTrackApp(settings)
    assert app.theme == "nord" and app.refresh_interval == 0.5
    (tmp_path / "tui-track.toml").write_text("refresh_interval = 0\n")
    with pytest.raises(tc.TrackerError, match="refresh_interval must be a positive number"):
        app_settings(None)
    with pytest.raises(ValueError, match="unknown theme 'no-such-theme'"):
        TuiTrackApp(tmp_path, theme="no-such-theme")


def test_command_line_takes_the_store_as_argument_or_option(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import tui_track.app_entry
    from tui_track.cli import main

    opened: list[str | None] = []

    def fake_run_app(store: str | None, experiment: str | None = None) -> int:
        opened.append(store)
        return 0

    monkeypatch.setattr(tui_track.app_entry, "run_app", fake_run_app)
    runner = CliRunner()
    assert runner.invoke(main, ["/data/store"]).exit_code == 0
    assert runner.invoke(main, ["--store", "/data/other"]).exit_code == 0
    assert runner.invoke(main, []).exit_code == 0
    assert opened == ["/data/store", "/data/other", None]
    assert runner.invoke(main, ["models", "--help"]).exit_code == 0  # subcommands still win over a path
    assert opened == ["/data/store", "/data/other", None]


async def test_big_experiment_preview_merges_into_the_full_listing(
    demo_store: tc.Store,
    monkeypatch: pytest.MonkeyPatch,
    wait_until,  # type: ignore[no-untyped-def]
) -> None:
    import tui_track.screens.main as main_module

    monkeypatch.setattr(main_module, "PREVIEW_RUNS", 3)  # the 4 runs left count as "big"
    gone = {"gbm", "logreg"}  # deleted: never shown, not even in the preview
    for run in demo_store.list_runs("churn_prediction"):
        if run.name in gone:
            demo_store.delete_run(run.id)
    previews: dict[int, int] = {}  # by message identity: a bubbling message passes the hook twice
    app = make_app(demo_store.root)
    async with app.run_test(size=(80, 24), message_hook=lambda m: _count_preview(m, previews)) as pilot:
        screen = await loaded(pilot, wait_until)
        assert list(previews.values()) == [3]  # a first batch was shown before the whole listing
        assert sorted(names(screen.table)) == sorted(set(CHURN_BY_START) - gone)


def _count_preview(message: object, previews: dict[int, int]) -> None:
    from tui_track.messages import RunsChanged

    if isinstance(message, RunsChanged) and message.first:
        previews[id(message)] = len(message.changed)


async def test_column_picker_shows_tags_and_hides_metrics(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import OptionList

    from tui_track.screens.columns import ColumnPicker

    async with make_app(demo_store.root).run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, wait_until)
        await pilot.press("o")
        picker = pilot.app.screen
        assert isinstance(picker, ColumnPicker)
        choices = picker.query_one("#picker-list", OptionList)
        prompts = [str(choices.get_option_at_index(i).prompt) for i in range(choices.option_count)]
        labels = [p[4:].split("  (")[0] for p in prompts]  # "[x] metrics.f1  (4/6 runs)" -> "metrics.f1"
        assert "tags.team" in labels and "metrics.f1" in labels  # tags are not shown by default: offered here
        for label in ("metrics.f1", "tags.team"):
            await pilot.press("home", *["down"] * labels.index(label), "space")
        await pilot.press("enter")
        assert isinstance(pilot.app.screen, MainScreen)
        shown = [c.label for c in screen.table.columns]
        assert "f1" not in shown and "team" in shown and "accuracy" in shown, shown
        team_column = shown.index("team")
        assert all(
            column_cell == "growth" for column_cell in _column_cells(screen.table, team_column, {"gbm", "logreg"})
        )


def _column_cells(table: RunsTable, index: int, run_names: set[str]) -> list[str]:
    from tui_track.widgets.runs_table import column_text

    key = table.columns[index].key
    return [column_text(table.runs[i], key) for i in table.order if table.runs[i].name in run_names]


async def test_layout_stacks_at_80x24_and_spreads_at_120x40(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    async with make_app(demo_store.root).run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, wait_until)
        table, details = screen.table, screen.query_one(DetailsPane)
        assert not screen.query_one("#experiments").display  # collapsed: `e` brings it in
        assert table.region.width == 80 and table.region.height >= 5
        assert details.region.y > table.region.y and details.region.width == 80  # stacked under the table
        assert table.region.bottom <= details.region.y and details.region.bottom <= 23  # the footer keeps its line
        await pilot.press("d")
        assert not details.display and table.region.height > 15
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        experiments = screen.query_one("#experiments")
        assert experiments.display and experiments.region.x == 0 and table.region.x >= experiments.region.right


async def test_empty_store_says_how_to_log_a_first_run(empty_store_path: Path, wait_until) -> None:  # type: ignore[no-untyped-def]
    tc.Store(empty_store_path, create=True)  # exists, holds nothing yet
    async with make_app(empty_store_path).run_test(size=(80, 24)) as pilot:
        screen = pilot.app.main_screen
        await wait_until(pilot, lambda: screen.has_class("-no-runs"), what="the welcome message")
        text = str(screen.query_one("#welcome").content)
        assert "has no runs yet" in text and "tc.start_run(" in text


async def test_store_of_another_format_version_says_so(tmp_path: Path, wait_until) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "future-store"
    root.mkdir()
    (root / "tui-track-store.json").write_text('{"format": "tui-track", "version": 99}')
    async with make_app(root).run_test(size=(80, 24)) as pilot:
        screen = pilot.app.main_screen
        await wait_until(pilot, lambda: screen.has_class("-no-runs"), what="the error")
        text = str(screen.query_one("#welcome").content)
        assert "Cannot open the store" in text and "version 99" in text and "tc.start_run" not in text


async def test_details_of_a_run_whose_files_vanished_say_so(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    async with make_app(demo_store.root).run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, wait_until)
        await pilot.press("j", "j")
        gbm = screen.table.cursor_run_id
        assert gbm is not None
        shutil.rmtree(demo_store.experiments_dir / demo_store.get_run(gbm).experiment_id / "runs" / gbm)
        await pilot.press("k", "j")  # highlight it again: its files are read anew
        pane = screen.query_one(DetailsPane)
        await wait_until(pilot, lambda: "could not read all of this run" in _text(pane), what="the problem shown")
        assert "gbm" in _text(pane)  # what the table knew is still shown


async def test_names_and_values_show_as_typed_never_as_markup(tmp_path: Path, wait_until) -> None:  # type: ignore[no-untyped-def]
    store = tc.Store(tmp_path / "store")
    with store.start_run("[red]exp", "[bold]run[/]", params={"note": "[/]", "layers": "[64, 64]"}) as run:
        run.set_tag("[i]tag", "[b]v")
        run.log_metric("[loss]", 0.5)
    async with make_app(store.root).run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, wait_until)
        assert "[bold]run[/]" in screen.table.render_line(1).text
        pane = screen.query_one(DetailsPane)
        await wait_until(pilot, lambda: "none" in _text(pane), what="the details")  # no artifacts
        text = _text(pane)
        for typed in ("[bold]run[/]", "[/]", "[64, 64]", "[i]tag", "[b]v", "[loss]"):
            assert typed in text, typed
        await pilot.press("o")
        await pilot.press("escape")
        await pilot.press("question_mark")
        await pilot.press("escape")


async def test_experiment_named_at_start_is_opened(demo_store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    experiments = demo_store.list_experiments()
    wanted = experiments[-1]
    assert wanted.id != experiments[0].id
    app = TuiTrackApp(demo_store.root, refresh_interval=60.0, experiment=wanted.name)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.main_screen.experiment_id == wanted.id, what="the named experiment")
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: app.return_code is not None or not app.is_running, what="ctrl+c to quit")
