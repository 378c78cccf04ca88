"""Managing runs from the keyboard: find, delete/restore with the deleted-runs view, rename, tags, note.

Each test presses the keys a user would, at 80x24 and 120x40, and checks both the screen and the store.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tracker_core as tc
from tui_track.app import TuiTrackApp
from tui_track.screens.confirm import ConfirmScreen
from tui_track.screens.find import FindScreen, find_runs
from tui_track.screens.main import MainScreen
from tui_track.screens.manage import TextPrompt, parse_tag_edit

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def store(tmp_path: Path) -> tc.Store:
    s = tc.Store(tmp_path / "store", create=True)
    for i, name in enumerate(("alpha", "beta", "gamma-long-name")):
        with s.start_run("exp", name, tags={"team": "ml"}) as run:
            run.log_param("lr", 0.1 * (i + 1))
            run.log_metric("loss", 1.0 - 0.1 * i)
    return s


def by_name(store: tc.Store, name: str) -> tc.RunSummary:
    return next(r for r in store.list_runs(include_deleted=True) if r.name == name)


async def opened(pilot, wait_until) -> MainScreen:  # type: ignore[no-untyped-def]
    screen = pilot.app.main_screen
    await wait_until(pilot, lambda: len(screen.table.runs) == 3, what="the runs")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return screen


async def find(pilot, wait_until, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("f")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, FindScreen), what="the find dialog")
    await pilot.press(*text, "enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen), what="find to close")


def shown_names(screen: MainScreen) -> list[str]:
    return [screen.table.runs[i].name for i in screen.table.order]


def screen_text(pilot) -> str:  # type: ignore[no-untyped-def]
    """The text of the dialog on top: its messages and its input."""
    from textual.widgets import Input, Static

    screen = pilot.app.screen
    return "\n".join([str(w.content) for w in screen.query(Static)] + [w.value for w in screen.query(Input)])


def test_find_ranks_id_prefix_then_fuzzy_name(store: tc.Store) -> None:
    runs = store.list_runs()
    gamma = by_name(store, "gamma-long-name")
    assert find_runs(runs, gamma.id[:5])[0].id == gamma.id
    assert find_runs(runs, "gln")[0].name == "gamma-long-name"
    assert find_runs(runs, "zzzz") == []
    assert len(find_runs(runs, "")) == 3


def test_tag_edit_syntax() -> None:
    assert parse_tag_edit("a=1; -b ; c = x y") == ({"a": "1", "c": "x y"}, ["b"])
    with pytest.raises(ValueError, match="not key=value"):
        parse_tag_edit("oops")


@pytest.mark.parametrize("size", SIZES)
async def test_find_jumps_to_a_run(store: tc.Store, wait_until, size) -> None:  # type: ignore[no-untyped-def]
    async with TuiTrackApp(store.root, refresh_interval=60.0).run_test(size=size) as pilot:
        screen = await opened(pilot, wait_until)
        await find(pilot, wait_until, "alpa")  # fuzzy: a typo still finds it
        assert screen.table.runs[screen.table.cursor_run_id or ""].name == "alpha"
        beta = by_name(store, "beta")
        await find(pilot, wait_until, beta.id[:6])
        assert screen.table.cursor_run_id == beta.id
        assert screen.table.has_focus
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, FindScreen))
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, MainScreen) and screen.table.cursor_run_id == beta.id


@pytest.mark.parametrize("size", SIZES)
async def test_delete_then_restore_from_the_deleted_view(store: tc.Store, wait_until, settle, size) -> None:  # type: ignore[no-untyped-def]
    async with TuiTrackApp(store.root, refresh_interval=60.0).run_test(size=size) as pilot:
        screen = await opened(pilot, wait_until)
        await find(pilot, wait_until, "beta")
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), what="the confirmation")
        assert "Delete 1 run(s): beta" in screen_text(pilot)
        await pilot.press("n")  # no: nothing changes
        await settle(pilot)
        assert not by_name(store, "beta").deleted
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: "beta" not in shown_names(screen), what="beta to leave the table")
        assert by_name(store, "beta").deleted
        assert sorted(shown_names(screen)) == ["alpha", "gamma-long-name"]
        await pilot.press("X")  # the deleted runs
        await wait_until(pilot, lambda: shown_names(screen) == ["beta"], what="the deleted-runs view")
        assert "deleted runs" in str(screen.query_one("#status-line").content)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        assert "Restore 1 run(s): beta" in screen_text(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: shown_names(screen) == [], what="beta to leave the deleted view")
        assert not by_name(store, "beta").deleted
        await pilot.press("X")
        await wait_until(pilot, lambda: len(shown_names(screen)) == 3, what="all runs back")


@pytest.mark.parametrize("size", SIZES)
async def test_delete_marked_runs(store: tc.Store, wait_until, size) -> None:  # type: ignore[no-untyped-def]
    async with TuiTrackApp(store.root, refresh_interval=60.0).run_test(size=size) as pilot:
        screen = await opened(pilot, wait_until)
        await pilot.press("space", "space", "x")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        assert "Delete 2 run(s)" in screen_text(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: len(screen.table.order) == 1, what="two runs to go")
        assert len(store.list_runs()) == 1


@pytest.mark.parametrize("size", SIZES)
async def test_rename_tag_and_note(store: tc.Store, wait_until, settle, size) -> None:  # type: ignore[no-untyped-def]
    async with TuiTrackApp(store.root, refresh_interval=60.0).run_test(size=size) as pilot:
        screen = await opened(pilot, wait_until)
        await find(pilot, wait_until, "alpha")
        alpha = by_name(store, "alpha").id
        # rename: the prompt starts with the current name
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TextPrompt))
        await pilot.press("end", *"-v2", "enter")  # the name is selected: end keeps it and edits
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        assert "from 'alpha' to 'alpha-v2'" in screen_text(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.table.runs[alpha].name == "alpha-v2", what="the new name in the table")
        assert store.get_run(alpha).name == "alpha-v2"
        # tags: set one, remove another
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TextPrompt))
        assert "team=ml" in screen_text(pilot)
        await pilot.press(*"reviewed=yes; -team", "enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: "reviewed" in screen.table.runs[alpha].tags, what="the tag in the table")
        assert store.get_run(alpha).tags == {"reviewed": "yes"}
        # note: set, then find it with the filter language
        await pilot.press("N")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TextPrompt))
        await pilot.press(*"overfits early", "enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: "note" in screen.table.runs[alpha].tags, what="the note")
        assert store.get_run(alpha).tags["note"] == "overfits early"
        await settle(pilot)
        assert screen.apply_filter("tags.note LIKE '%overfit%'")
        assert shown_names(screen) == ["alpha-v2"]
        # escape on a prompt changes nothing
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TextPrompt))
        await pilot.press("escape")
        await settle(pilot)
        assert store.get_run(alpha).name == "alpha-v2"


async def test_a_running_run_is_refused_with_a_message(store: tc.Store, wait_until, settle) -> None:  # type: ignore[no-untyped-def]
    run = store.start_run("exp", "live-one")  # written by this (the test's) process
    try:
        async with TuiTrackApp(store.root, refresh_interval=60.0).run_test(size=(80, 24)) as pilot:
            screen = pilot.app.main_screen
            await wait_until(pilot, lambda: run.id in screen.table.runs, what="the live run")
            await settle(pilot)
            screen.table.move_to(run.id)
            await pilot.press("R")
            await wait_until(pilot, lambda: isinstance(pilot.app.screen, TextPrompt))
            await pilot.press("x", "enter")
            await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
            await pilot.press("y")
            await wait_until(
                pilot,
                lambda: any("rename run failed" in str(n.message) for n in pilot.app._notifications),
                what="the refusal",
            )
            assert store.get_run(run.id).name == "live-one"
    finally:
        run.end()


def test_keys_are_in_the_help() -> None:
    keys = {b.key: b.description for b in MainScreen.BINDINGS if hasattr(b, "key")}  # type: ignore[union-attr]
    for key in ("f", "x", "X", "R", "t", "N"):
        assert keys.get(key), key
