"""The experiments list shows each experiment's last activity, and the shown runs are read once for it."""

from __future__ import annotations

from pathlib import Path

import tracker_core as tc
from tui_track.app import TuiTrackApp
from tui_track.formatting import short_time
from tui_track.screens.main import MainScreen


def prompts(screen: MainScreen) -> dict[str, str]:
    options = screen.experiment_list
    return {o.id: str(o.prompt) for o in (options.get_option_at_index(i) for i in range(options.option_count)) if o.id}


async def test_each_experiment_shows_its_last_activity_and_the_shown_runs_are_read_once(  # type: ignore[no-untyped-def]
    demo_store: tc.Store, wait_until
) -> None:
    expected = {e.id: e.last_activity for e in demo_store.list_experiments()}
    assert all(t is not None for t in expected.values()) and len(set(expected.values())) == 2
    app = TuiTrackApp(demo_store.root, refresh_interval=3600.0)  # ticks by hand
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await wait_until(pilot, lambda: len(screen.table.runs) == 6, what="the first experiment's runs")
        await wait_until(
            pilot,
            lambda: all(f"· {short_time(expected[i])}" in prompts(screen).get(i, "") for i in expected),
            what="every experiment's last activity",
        )
        shown = screen.experiment_id
        assert shown in expected
        store = screen.store
        assert store is not None
        # the shown experiment's activity came from the runs the table lists, not from a second reading
        assert set(store._activity) == set(expected) - {shown}

        other = next(i for i in expected if i != shown)
        other_name = next(e.name for e in screen.experiments if e.id == other)
        with demo_store.start_run(other_name, "later") as later:
            later.log_metric("loss", 0.1)
        with demo_store.start_run(shown, "latest") as latest:
            latest.log_metric("loss", 0.1)
        ended = {i: demo_store.get_run(r.id).end_time for i, r in ((other, later), (shown, latest))}
        screen.tick()
        await wait_until(
            pilot,
            lambda: all(e.last_activity == ended[e.id] for e in screen.experiment_list.experiments),
            what="both experiments' new last activity",
        )
        assert f"{3 + 1} runs · {short_time(ended[other])}" in prompts(screen)[other]
        assert set(store._activity) == set(expected) - {shown}


async def test_an_experiment_whose_runs_are_all_unreadable_shows_its_count_alone(  # type: ignore[no-untyped-def]
    tmp_path, wait_until
) -> None:
    store = tc.Store(tmp_path / "s")
    with store.start_run("fine", "a") as ok:
        ok.log_metric("loss", 1.0)
    with store.start_run("damaged", "b") as bad:
        bad.log_metric("loss", 1.0)
    Path(store.layout.run_dir(store.get_experiment("damaged").id, bad.id), "run.json").write_text("{not json")
    async with TuiTrackApp(store.root, refresh_interval=3600.0).run_test(size=(120, 40)) as pilot:
        screen = pilot.app.main_screen
        fine = store.get_experiment("fine")
        await wait_until(pilot, lambda: "· " in prompts(screen).get(fine.id, ""), what="the activity of 'fine'")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        damaged = prompts(screen)[store.get_experiment("damaged").id]
        assert damaged.endswith("1 run")  # neither a time nor "no runs yet"
