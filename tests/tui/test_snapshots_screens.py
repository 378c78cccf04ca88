"""Snapshots of the run, compare and registry screens at 80x24 and 120x40.

Everything that varies between machines or runs is pinned: run and experiment ids, host, user,
environment, times (the fixture's fixed timestamps, shown in UTC) and the registry's clock.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import tracker_core as tc
from tracker_core import environment
from tracker_core.jsonio import read_json, write_json_atomic
from tracker_core.registry import Registry
from tui_track.app import TuiTrackApp
from tui_track.screens.compare import CompareScreen
from tui_track.screens.registry import RegistryScreen
from tui_track.screens.run import RunScreen

SIZES = [(80, 24), (120, 40)]
REGISTRY_CLOCK = 1_790_003_600.0  # an hour after the demo runs
PINNED_ENV = {
    "python": "3.11.9",
    "implementation": "CPython",
    "platform": "Linux-6.8-x86_64",
    "executable": "/opt/venv/bin/python",
    "command": ["/opt/venv/bin/python", "train.py", "--config", "churn.toml"],
    "cwd": "/home/ada/churn",
    "git": {
        "root": "/home/ada/churn",
        "commit": "3f2a9c1d0b7e4a5f8c6d2e1b0a9f8e7d6c5b4a39",
        "branch": "main",
        "dirty": False,
    },
    "packages": {"numpy": "2.1.0", "scikit-learn": "1.5.2"},
}


def pinned_id(*parts: str) -> str:
    return hashlib.md5("/".join(parts).encode()).hexdigest()


def pin_store(root: Path) -> tc.Store:
    """The demo store at ``root`` with ids, hosts, users and environments that are the same on every machine."""
    experiments = root / "experiments"
    for exp_dir in list(experiments.iterdir()):
        meta = read_json(exp_dir / "experiment.json")
        exp_id = meta["id"] = pinned_id(meta["name"])
        write_json_atomic(exp_dir / "experiment.json", meta)
        for run_dir in list((exp_dir / "runs").iterdir()):
            data = read_json(run_dir / "run.json")
            data["id"] = pinned_id(meta["name"], data["name"])
            data.update(experiment_id=exp_id, host="trainbox", user="ada", env=PINNED_ENV)
            if data["status"] != "running":
                data["pid"] = 4242
            write_json_atomic(run_dir / "run.json", data)
            os.rename(run_dir, run_dir.parent / data["id"])
        os.rename(exp_dir, experiments / exp_id)
    return tc.Store(root)


@pytest.fixture
def pinned(demo_store: tc.Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[tc.Store]:
    """The demo store pinned, with times shown in UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield pin_store(demo_store.root)
    monkeypatch.undo()
    time.tzset()


def register_pinned(store: tc.Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """``churn``: v1 (logreg) production with alias champion, v2 and v3 development; registered at fixed times."""
    run = next(r for r in store.list_runs() if r.name == "logreg")
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: REGISTRY_CLOCK)
        m.setattr(environment, "username", lambda: "ada")
        m.setattr(environment, "hostname", lambda: "trainbox")
        reg = Registry(store)
        for _ in range(3):
            reg.register("churn", run.id)
        reg.promote("churn", 1, "production")
        reg.set_alias("churn", "champion", 1)
        reg.register("fraud", run.id)


def opener(make: Callable[[], Any]) -> Callable[[Any], Any]:
    """A ``run_before`` that pushes a screen over the app and waits until it has loaded."""

    async def run_before(pilot: Any) -> None:
        await pilot.app.push_screen(make())
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_run_screen(snap_compare: Any, pinned: tc.Store, size: tuple[int, int]) -> None:
    run_id = pinned_id("churn_prediction", "rf_large")
    app = TuiTrackApp(pinned.root)
    assert snap_compare(app, terminal_size=size, run_before=opener(lambda: RunScreen(pinned, run_id)))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_compare_screen(snap_compare: Any, pinned: tc.Store, size: tuple[int, int]) -> None:
    ids = [pinned_id("churn_prediction", n) for n in ("logreg", "rf_small", "gbm")]
    app = TuiTrackApp(pinned.root)
    assert snap_compare(app, terminal_size=size, run_before=opener(lambda: CompareScreen(pinned, ids)), press=["d"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_registry_screen(
    snap_compare: Any, pinned: tc.Store, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    register_pinned(pinned, monkeypatch)
    app = TuiTrackApp(pinned.root)
    assert snap_compare(app, terminal_size=size, run_before=opener(lambda: RegistryScreen(pinned)), press=["h"])
