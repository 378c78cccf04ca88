"""Snapshots of the run, compare and registry screens at 80x24 and 120x40.

Everything that varies between machines or runs is pinned (``pinned_store``: ids, host, user,
environment, times shown in UTC), and the registry is written with a stopped clock. Update with
``pytest tests/tui/test_snapshots_screens.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

import tracker_core as tc
from tracker_core import environment
from tui_track.app import TuiTrackApp
from tui_track.screens.compare import CompareScreen
from tui_track.screens.registry import RegistryScreen
from tui_track.screens.run import RunScreen

SIZES = [(80, 24), (120, 40)]
REGISTRY_CLOCK = 1_790_003_600.0  # an hour after the demo runs


def opener(make: Callable[[], Any]) -> Callable[[Any], Any]:
    """A ``run_before`` that pushes a screen over the app and waits until it has loaded."""

    async def run_before(pilot: Any) -> None:
        await pilot.app.push_screen(make())
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_run_screen(snap_compare: Any, pinned_store: tc.Store, run_named: Any, size: tuple[int, int]) -> None:
    rf_large = run_named(pinned_store, "rf_large").id
    app = TuiTrackApp(pinned_store.root)
    assert snap_compare(app, terminal_size=size, run_before=opener(lambda: RunScreen(pinned_store, rf_large)))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_compare_screen(snap_compare: Any, pinned_store: tc.Store, run_named: Any, size: tuple[int, int]) -> None:
    ids = [run_named(pinned_store, n).id for n in ("logreg", "rf_small", "gbm")]
    app = TuiTrackApp(pinned_store.root)
    screen = opener(lambda: CompareScreen(pinned_store, ids))
    assert snap_compare(app, terminal_size=size, run_before=screen, press=["d"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_registry_screen(
    snap_compare: Any,
    pinned_store: tc.Store,
    register_demo_models: Callable[[tc.Store], Any],
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: REGISTRY_CLOCK)
        m.setattr(environment, "username", lambda: "ada")
        m.setattr(environment, "hostname", lambda: "trainbox")
        register_demo_models(pinned_store)
    app = TuiTrackApp(pinned_store.root)
    assert snap_compare(app, terminal_size=size, run_before=opener(lambda: RegistryScreen(pinned_store)), press=["h"])
