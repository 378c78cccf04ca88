"""The run tree (T, z) and the all-experiments view (A, or the list's last entry), from the keyboard."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import tracker_core as tc
from tracker_core.records import RunSummary
from tui_track.app import TuiTrackApp
from tui_track.screens.main import MainScreen
from tui_track.widgets.experiments import ALL_EXPERIMENTS
from tui_track.widgets.run_tree import tree_label, tree_order

SIZES = [(80, 24), (120, 40)]
FIXED_START = 1_790_000_000.0


def set_run_times(store: tc.Store, run_id: str, start: float, end: float) -> None:
    """Fixed times, so the snapshot does not depend on the clock."""
    from tracker_core.jsonio import read_json, write_json_atomic

    run_dir = Path(store.layout.run_dir(store.get_run(run_id).experiment_id, run_id))
    data = read_json(run_dir / "run.json")
    data["start_time"], data["end_time"] = start, end
    write_json_atomic(run_dir / "run.json", data)


def run(run_id: str, parent: str | None = None) -> RunSummary:
    return RunSummary(run_id, "e", run_id, "finished", 0.0, parent_id=parent)


def test_tree_order_puts_children_under_parents() -> None:
    runs = {
        r.id: r for r in [run("p"), run("c1", "p"), run("c2", "p"), run("g", "c1"), run("solo"), run("orphan", "gone")]
    }
    order = ["c2", "solo", "g", "p", "orphan", "c1"]  # a sort the tree keeps among siblings
    layout = tree_order(order, runs, set())
    assert layout.order == ["solo", "p", "c2", "c1", "g", "orphan"]
    assert layout.depth == {"solo": 0, "p": 0, "c2": 1, "c1": 1, "g": 2, "orphan": 0}
    assert layout.children == {"p": 2, "c1": 1}
    folded = tree_order(order, runs, {"p"})
    assert folded.order == ["solo", "p", "orphan"]
    assert tree_order(order, runs, {"c1"}).order == ["solo", "p", "c2", "c1", "orphan"]


def test_tree_order_never_loses_a_run_in_a_parent_cycle() -> None:
    runs = {r.id: r for r in [run("a", "b"), run("b", "a"), run("self", "self")]}
    layout = tree_order(["a", "b", "self"], runs, set())
    assert sorted(layout.order) == ["a", "b", "self"]
    assert sorted(tree_order(["a", "b", "self"], runs, {"a", "b"}).order) in (["a", "self"], ["b", "self"])


def test_tree_label() -> None:
    assert tree_label("grid", 0, 3, False) == "▾ grid (3)"
    assert tree_label("grid", 0, 3, True) == "▸ grid (3)"
    assert tree_label("cand", 1, 0, False) == "└ cand"
    assert tree_label("deep", 2, 0, False) == "  └ deep"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tc.Store]:
    """A grid search (parent + 3 candidates) in ``search`` and one run in ``other``, at fixed times, in UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    s = tc.Store(tmp_path / "store", create=True)
    with s.start_run("search", "grid") as parent:
        parent.log_metric("score", 0.9, timestamp=FIXED_START)
    set_run_times(s, parent.id, FIXED_START, FIXED_START + 10)
    for i in range(3):
        with s.start_run("search", f"cand-{i}", parent_id=parent.id) as child:
            child.log_param("depth", i + 2)
            child.log_metric("score", 0.8 + i / 100, timestamp=FIXED_START)
        set_run_times(s, child.id, FIXED_START + 1 + i, FIXED_START + 3 + i)
    with s.start_run("other", "lonely") as other:
        other.log_metric("score", 0.5, timestamp=FIXED_START)
    set_run_times(s, other.id, FIXED_START + 20, FIXED_START + 21)
    for exp in s.list_experiments():
        os.utime(s.experiments_dir / exp.id / "runs", (FIXED_START + 30, FIXED_START + 30))
    yield s
    monkeypatch.undo()
    time.tzset()


def rows(screen: MainScreen) -> list[str]:
    table = screen.table
    return [table.render_line(y).text for y in range(1, len(table.order) + 1)]


async def ready(pilot, wait_until, count: int) -> MainScreen:  # type: ignore[no-untyped-def]
    screen = pilot.app.main_screen
    await wait_until(pilot, lambda: len(screen.table.runs) == count, what=f"{count} runs")
    await wait_until(pilot, lambda: all(w.is_finished for w in pilot.app.workers), what="the workers")
    await pilot.pause()
    return screen


async def open_search(pilot, wait_until) -> MainScreen:  # type: ignore[no-untyped-def]
    screen = pilot.app.main_screen
    await wait_until(pilot, lambda: screen.experiments, what="the experiments")
    search = next(e.id for e in screen.experiments if e.name == "search")
    screen.select_experiment(search)
    return await ready(pilot, wait_until, 4)


@pytest.mark.parametrize("size", SIZES)
async def test_tree_shows_children_under_their_parent_and_folds(store: tc.Store, wait_until, size) -> None:  # type: ignore[no-untyped-def]
    async with TuiTrackApp(store.root, refresh_interval=60.0).run_test(size=size) as pilot:
        screen = await open_search(pilot, wait_until)
        flat = [screen.table.runs[i].name for i in screen.table.order]
        assert flat == ["cand-2", "cand-1", "cand-0", "grid"]  # newest first, children apart from their parent
        await pilot.press("T")
        names = [screen.table.runs[i].name for i in screen.table.order]
        assert names == ["grid", "cand-2", "cand-1", "cand-0"]
        text = rows(screen)
        assert "▾ grid (3)" in text[0] and "└ cand-2" in text[1]
        assert "tree" in str(screen.query_one("#status-line").content)
        await pilot.press("j", "z")  # on a child: folds its parent, the cursor goes to the parent
        assert [screen.table.runs[i].name for i in screen.table.order] == ["grid"]
        assert "▸ grid (3)" in rows(screen)[0]
        assert screen.table.runs[screen.table.cursor_run_id or ""].name == "grid"
        await pilot.press("z")
        assert len(screen.table.order) == 4
        await pilot.press("s")  # sorting (by status) still keeps children under their parent
        assert screen.table.runs[screen.table.order[0]].name == "grid"
        await pilot.press("T")
        assert "▾" not in "".join(rows(screen))


@pytest.mark.parametrize("size", SIZES)
async def test_all_experiments_in_one_table(store: tc.Store, wait_until, size) -> None:  # type: ignore[no-untyped-def]
    async with TuiTrackApp(store.root, refresh_interval=60.0).run_test(size=size) as pilot:
        screen = pilot.app.main_screen
        await wait_until(pilot, lambda: screen.table.runs, what="the first experiment")
        await pilot.press("A")
        screen = await ready(pilot, wait_until, 5)
        assert screen.experiment_id == ALL_EXPERIMENTS
        labels = [c.label for c in screen.table.columns]
        assert labels[:3] == ["status", "name", "experiment"]
        text = rows(screen)
        assert any("lonely" in line and "other" in line for line in text)
        assert any("cand-0" in line and "search" in line for line in text)
        assert "all experiments" in str(screen.query_one("#status-line").content)
        # filter and sort work across experiments
        assert screen.apply_filter("metrics.score >= 0.81 OR attributes.name = 'lonely'")
        assert sorted(screen.table.runs[i].name for i in screen.table.order) == ["cand-1", "cand-2", "grid", "lonely"]
        screen.table.sort_by("metrics.score", descending=True)
        assert [screen.table.runs[i].name for i in screen.table.order] == ["grid", "cand-2", "cand-1", "lonely"]
        await pilot.press("A")  # back to one experiment
        await wait_until(pilot, lambda: screen.experiment_id != ALL_EXPERIMENTS and len(screen.table.runs) in (1, 4))
        assert "experiment" not in [c.label for c in screen.table.columns]


async def test_all_experiments_from_the_experiment_list(store: tc.Store, wait_until) -> None:  # type: ignore[no-untyped-def]
    async with TuiTrackApp(store.root, refresh_interval=60.0).run_test(size=(120, 40)) as pilot:
        screen = pilot.app.main_screen
        await wait_until(pilot, lambda: screen.table.runs, what="the first experiment")
        await pilot.press("e", "end", "enter")  # the last entry of the list
        screen = await ready(pilot, wait_until, 5)
        assert screen.experiment_id == ALL_EXPERIMENTS


def test_tree_view_snapshot(snap_compare, store: tc.Store) -> None:  # type: ignore[no-untyped-def]
    async def tree(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = pilot.app.main_screen
        deadline = time.monotonic() + 10
        while not screen.experiments and time.monotonic() < deadline:
            await pilot.pause(0.05)
        screen.select_experiment(next(e.id for e in screen.experiments if e.name == "search"))
        while len(screen.table.runs) < 4 and time.monotonic() < deadline:
            await pilot.pause(0.05)
        await pilot.press("d", "T")
        while not all(w.is_finished for w in pilot.app.workers) and time.monotonic() < deadline:
            await pilot.pause(0.05)
        await pilot.pause()

    assert snap_compare(TuiTrackApp(store.root, refresh_interval=3600.0), terminal_size=(80, 24), run_before=tree)


def list_lines(screen: MainScreen) -> list[str]:
    pane = screen.experiment_list
    return [str(pane.get_option_at_index(i).prompt).split("\n")[0] for i in range(pane.option_count)]


@pytest.mark.parametrize("size", SIZES)
async def test_all_experiments_shows_only_the_marked_ones(store: tc.Store, wait_until, settle, size) -> None:  # type: ignore[no-untyped-def]
    async with TuiTrackApp(store.root, refresh_interval=60.0).run_test(size=size) as pilot:
        screen = pilot.app.main_screen
        await wait_until(pilot, lambda: screen.table.runs, what="the first experiment")
        names = [e.name for e in screen.experiments]
        await pilot.press("e", "home", *["j"] * names.index("other"), "space")  # mark "other" in the list
        await settle(pilot)
        other = next(e.id for e in screen.experiments if e.name == "other")
        assert screen.experiment_list.marked == {other}
        assert "* other" in list_lines(screen)  # a mark readable without colour
        assert "Marked experiments" in list_lines(screen)
        await pilot.press("end", "enter")  # the list's last entry: the marked experiments' runs
        screen = await ready(pilot, wait_until, 1)
        assert screen.experiment_id == ALL_EXPERIMENTS
        assert [r.name for r in screen.table.runs.values()] == ["lonely"]
        assert any("lonely" in line and "other" in line for line in rows(screen))
        assert "1 marked experiment" in str(screen.query_one("#status-line").content)
        # mark "search" too: its runs join the view (filter and sort work across them)
        await pilot.press("e", "home", *["j"] * names.index("search"), "space")
        await pilot.press("end", "enter")
        screen = await ready(pilot, wait_until, 5)
        assert "2 marked experiments" in str(screen.query_one("#status-line").content)
        assert screen.apply_filter("metrics.score < 0.85")
        assert sorted(screen.table.runs[i].name for i in screen.table.order) == ["cand-0", "cand-1", "cand-2", "lonely"]
        # unmark both: every experiment again (here, the same five runs) and the title says so
        await pilot.press("e", "home", *["j"] * names.index("search"), "space")
        await pilot.press("home", *["j"] * names.index("other"), "space")
        await pilot.press("end", "enter")
        await settle(pilot)
        assert screen.experiment_list.marked == frozenset() and "* " not in "".join(list_lines(screen))
        assert "all experiments" in str(screen.query_one("#status-line").content)
        await pilot.press("question_mark")  # the help says how
        help_text = " ".join(f"{a.keys} {a.description}" for a in pilot.app.screen.actions)
        assert "A All experiments (or the marked ones)" in help_text
        await pilot.press("escape", "e", "question_mark")  # from the list itself: its own key
        help_text = " ".join(f"{a.keys} {a.description}" for a in pilot.app.screen.actions)
        assert "space Mark experiment (all experiments: only the marked)" in help_text


@pytest.mark.parametrize("size", SIZES)
async def test_an_experiment_opened_by_the_app_is_not_undone_by_an_earlier_highlight(  # type: ignore[no-untyped-def]
    store: tc.Store, wait_until, size
) -> None:
    """The list's cursor resting on one experiment and the app opening another at that moment (Find, -e, the
    all-experiments key): the pending highlight must not switch back to the first a moment later."""
    from tui_track.screens.main import EXPERIMENT_DELAY

    async with TuiTrackApp(store.root, refresh_interval=60.0).run_test(size=size) as pilot:
        screen = pilot.app.main_screen
        await wait_until(pilot, lambda: screen.experiments and screen.table.runs, what="the first experiment")
        first = screen.experiment_id
        target = next(e for e in screen.experiments if e.id != first)
        ids = [screen.experiment_list.get_option_at_index(i).id for i in range(screen.experiment_list.option_count)]
        screen.experiment_list.highlighted = ids.index(ALL_EXPERIMENTS)  # its highlight event is still queued...
        screen.select_experiment(target.id)  # ...when the app opens another experiment
        await pilot.pause(EXPERIMENT_DELAY * 4)
        await wait_until(pilot, lambda: screen.table.runs and all(w.is_finished for w in pilot.app.workers))
        assert screen.experiment_id == target.id
        assert {screen.table.runs[i].experiment_id for i in screen.table.order} == {target.id}
        assert ids[screen.experiment_list.highlighted or 0] == target.id  # the list's cursor follows
