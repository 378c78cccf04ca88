"""Fixtures for the app's Pilot and snapshot tests."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from textual.screen import Screen


async def _wait_until(pilot: Any, condition: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    """Poll ``condition`` between pauses of the app until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        await pilot.pause(0.05)


@pytest.fixture
def wait_until() -> Callable[..., Awaitable[None]]:
    """``await wait_until(pilot, lambda: ..., timeout=10, what="...")``: poll the app with a timeout."""
    return _wait_until


async def _settle(pilot: Any) -> None:
    """Let posted messages run, wait for every worker, then let their messages run too.

    A dialog chain's worker waits on the user (the test's next key), so it is not waited for.
    """
    from tui_track.workers import DIALOG_GROUP

    await pilot.pause()
    await _wait_until(
        pilot,
        lambda: all(w.is_finished for w in pilot.app.workers if w.group != DIALOG_GROUP),
        what="the workers to finish",
    )
    await pilot.pause()


@pytest.fixture
def settle() -> Callable[[Any], Awaitable[None]]:
    """``await settle(pilot)``: the app is idle (workers done, their messages handled)."""
    return _settle


@asynccontextmanager
async def _open_screen(store: Any, make_screen: Callable[[], Screen[None]], size: tuple[int, int] = (80, 24)) -> Any:
    """Run the real app on ``store``, push ``make_screen()`` over its main screen and wait until it has loaded."""
    from tui_track.app import TuiTrackApp

    app = TuiTrackApp(store.root)
    async with app.run_test(size=size) as pilot:
        await app.push_screen(make_screen())
        await _settle(pilot)
        yield pilot


@pytest.fixture
def open_screen() -> Callable[..., Any]:
    """``async with open_screen(store, lambda: SomeScreen(...), size) as pilot``: the app with that screen on top."""
    return _open_screen


def _run_named(store: Any, name: str) -> Any:
    return next(r for r in store.list_runs() if r.name == name)


@pytest.fixture
def run_named() -> Callable[[Any, str], Any]:
    """``run_named(store, "rf_large")``: the run summary of that name."""
    return _run_named


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
    """A run or experiment id derived from names, the same on every machine."""
    return hashlib.md5("/".join(parts).encode()).hexdigest()


@pytest.fixture
def pinned_store(demo_store: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The demo store with ids from :func:`pinned_id` (experiment name, run name), host ``trainbox``,
    user ``ada``, pid 4242 and :data:`PINNED_ENV`; local time is UTC while it is in use."""
    from tracker_core import Store
    from tracker_core.jsonio import read_json, write_json_atomic

    experiments = demo_store.experiments_dir
    for exp_dir in list(experiments.iterdir()):
        meta = read_json(exp_dir / "experiment.json")
        exp_id = meta["id"] = pinned_id(meta["name"])
        write_json_atomic(exp_dir / "experiment.json", meta)
        for run_dir in list((exp_dir / "runs").iterdir()):
            data = read_json(run_dir / "run.json")
            data["id"] = pinned_id(meta["name"], data["name"])
            data.update(experiment_id=exp_id, host="trainbox", user="ada", env=PINNED_ENV)
            if data["status"] != "running":  # the crashed run keeps its dead pid
                data["pid"] = 4242
            write_json_atomic(run_dir / "run.json", data)
            os.rename(run_dir, run_dir.parent / data["id"])
        os.rename(exp_dir, experiments / exp_id)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield Store(demo_store.root, create=False)
    monkeypatch.undo()
    time.tzset()


def _register_demo_models(store: Any) -> Any:
    """``churn``: three versions of logreg's model, v1 in production with alias ``champion``; ``fraud``: one."""
    from tracker_core.registry import Registry

    run = next(r for r in store.list_runs() if r.name == "logreg")
    registry = Registry(store)
    for _ in range(3):
        registry.register("churn", run.id)
    registry.promote("churn", 1, "production")
    registry.set_alias("churn", "champion", 1)
    registry.register("fraud", run.id)
    return registry


@pytest.fixture
def register_demo_models() -> Callable[[Any], Any]:
    """``register_demo_models(store) -> Registry`` (see :func:`_register_demo_models`)."""
    return _register_demo_models


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests in a fresh event loop (no async plugin needed)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{n: pyfuncitem.funcargs[n] for n in names}))
    return True
