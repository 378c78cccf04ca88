"""The main screen's view (sort, hidden and added columns, experiment, filter) is remembered per
store in the platform state directory and restored on the next start."""

from __future__ import annotations

import json
import os
from pathlib import Path

import tracker_core as tc
from tui_track.app import TuiTrackApp
from tui_track.view_state import ViewState, load_view_state, save_view_state, state_file


def make_app(store: tc.Store, experiment: str | None = None) -> TuiTrackApp:
    return TuiTrackApp(store.root, refresh_interval=60.0, experiment=experiment)


async def loaded(pilot, wait_until, settle):  # type: ignore[no-untyped-def]
    screen = pilot.app.main_screen
    await wait_until(pilot, lambda: screen.table.runs, what="the runs")
    await settle(pilot)
    return screen


async def test_view_is_restored_on_the_next_start(demo_store: tc.Store, wait_until, settle) -> None:  # type: ignore[no-untyped-def]
    mnist = demo_store.get_experiment("mnist_mlp").id
    async with make_app(demo_store).run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, wait_until, settle)
        screen.select_experiment(mnist)
        await wait_until(pilot, lambda: {r.name for r in screen.table.runs.values()} == {"lr_0", "lr_1", "lr_2"})
        screen.table.sort_by("metrics.train_loss", descending=True)
        screen.table.show_columns(["attributes.status", "attributes.name", "metrics.train_loss", "params.lr"])
        assert screen.apply_filter("params.lr < 0.01")
        await settle(pilot)
        shown = [c.label for c in screen.table.columns]
        order = [screen.table.runs[i].name for i in screen.table.order]
    saved = json.loads(state_file(demo_store.root).read_text())
    assert saved["experiment"] == mnist and saved["filter"] == "params.lr < 0.01"
    assert str(state_file(demo_store.root)).startswith(os.environ["XDG_STATE_HOME"])

    async with make_app(demo_store).run_test(size=(120, 40)) as pilot:
        screen = await loaded(pilot, wait_until, settle)
        assert screen.experiment_id == mnist
        assert (screen.table.sort_column, screen.table.sort_descending) == ("metrics.train_loss", True)
        assert [c.label for c in screen.table.columns] == shown
        assert [screen.table.runs[i].name for i in screen.table.order] == order == ["lr_1", "lr_2"]
        assert screen.filter_bar.active_text == "params.lr < 0.01"
        assert "filter: params.lr < 0.01" in str(screen.query_one("#status-line").content)


async def test_experiment_option_wins_over_the_saved_one(demo_store: tc.Store, wait_until, settle) -> None:  # type: ignore[no-untyped-def]
    save_view_state(demo_store.root, ViewState(experiment=demo_store.get_experiment("mnist_mlp").id))
    async with make_app(demo_store, experiment="churn_prediction").run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, wait_until, settle)
        assert screen.experiment_id == demo_store.get_experiment("churn_prediction").id


async def test_a_corrupt_view_file_is_ignored_with_a_notice(demo_store: tc.Store, wait_until, settle) -> None:  # type: ignore[no-untyped-def]
    path = state_file(demo_store.root)
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "store": ')
    async with make_app(demo_store).run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, wait_until, settle)
        notes = [n.message for n in pilot.app._notifications]
        assert any(m.startswith(f"ignored the saved view {path}: invalid JSON") for m in notes), notes
        assert screen.experiment_id == demo_store.get_experiment("churn_prediction").id  # the defaults
        assert screen.table.sort_column is None
        screen.table.sort_by("attributes.duration")
        await settle(pilot)
    state, notice = load_view_state(demo_store.root)  # rewritten whole on the next change
    assert notice is None and state is not None and state.sort_column == "attributes.duration"


def test_wrong_types_are_refused_and_other_stores_files_not_used(tmp_path: Path) -> None:
    store = tmp_path / "store"
    save_view_state(store, ViewState(filter="x"))
    path = state_file(store)
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "hidden": "status"}))
    assert load_view_state(store) == (None, f"ignored the saved view {path}: hidden must be a list of column keys")
    path.write_text(json.dumps({**record, "store": "/elsewhere"}))
    assert load_view_state(store) == (None, None)
    assert state_file(store) != state_file(tmp_path / "other")
