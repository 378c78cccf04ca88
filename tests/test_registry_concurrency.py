"""Many processes changing one model at the same moment: numbers unique, nothing lost, one production."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest

import tracker_core as tc
from tracker_core.model_io import sha256_file
from tracker_core.registry import Registry

pytestmark = pytest.mark.slow

CTX = mp.get_context("fork")  # the children reuse the parent's imports: they start in milliseconds
JOIN_TIMEOUT = 60.0


def _register(root: str, run_id: str, barrier: Barrier, results: Any) -> None:
    reg = Registry(tc.Store(root, create=False))
    barrier.wait(timeout=JOIN_TIMEOUT)
    results.put((run_id, reg.register("churn", run_id, reason=f"from {run_id[:8]}").version))


def _promote(root: str, version: int, barrier: Barrier) -> None:
    reg = Registry(tc.Store(root, create=False))
    barrier.wait(timeout=JOIN_TIMEOUT)
    reg.promote("churn", version, "production", reason=f"worker {version}")


def _run_all(procs: list[Any]) -> None:
    for p in procs:
        p.start()
    for p in procs:
        p.join(JOIN_TIMEOUT)
    assert [p.exitcode for p in procs] == [0] * len(procs)


def test_16_processes_register_at_once(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "store")
    run_ids = []
    for i in range(16):
        with store.start_run("churn", f"worker-{i}") as run:
            run.log_metric("accuracy", i / 100)
            run.log_model({"worker": i, "payload": bytes(range(256)) * (i + 1)}, "model")
        run_ids.append(run.id)

    barrier = CTX.Barrier(16)
    results = CTX.Queue()
    _run_all([CTX.Process(target=_register, args=(str(store.root), r, barrier, results)) for r in run_ids])
    got = dict(results.get(timeout=5) for _ in run_ids)

    reg = Registry(store)
    versions = reg.list_versions("churn")
    assert [v.version for v in versions] == list(range(1, 17))
    assert sorted(got.values()) == list(range(1, 17))  # no number handed out twice
    for v in versions:
        assert got[v.source_run_id or ""] == v.version
        assert sha256_file(v.path) == v.sha256  # every file complete
        worker = run_ids.index(v.source_run_id)
        assert reg.load("churn", version=v.version)["worker"] == worker
        assert v.metrics == {"accuracy": worker / 100}
    assert [(e.action, e.version) for e in reg.history("churn")] == [("register", n) for n in range(1, 17)]
    assert not [p for p in (reg.models_dir / "churn" / "versions").iterdir() if p.name.startswith(".")]


def test_8_processes_promote_to_production_at_once(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "store")
    reg = Registry(store)
    for i in range(8):
        reg.register_object("churn", {"v": i + 1})

    barrier = CTX.Barrier(8)
    _run_all([CTX.Process(target=_promote, args=(str(store.root), n, barrier)) for n in range(1, 9)])

    final = {v.version: v.stage for v in reg.list_versions("churn")}
    assert list(final.values()).count("production") == 1
    assert sorted(final.values()) == ["archived"] * 7 + ["production"]

    # Replaying the history reproduces the final state: every promotion archived the one before it.
    moves = [e for e in reg.history("churn") if e.action == "stage"]
    replay = {n: "development" for n in final}
    promoted: list[int] = []
    for e in moves:
        assert e.version is not None and replay[e.version] == e.from_value
        if e.to_value == "production":
            assert "production" not in replay.values()  # the previous one was archived first
            promoted.append(e.version)
        else:
            assert (e.version, e.from_value, e.to_value) == (promoted[-1], "production", "archived")
        replay[e.version] = e.to_value or ""
    assert replay == final
    assert sorted(promoted) == list(range(1, 9))
    assert [e.time for e in moves] == sorted(e.time for e in moves)
    assert [e.reason for e in moves if e.to_value == "production"] == [f"worker {n}" for n in promoted]


def _register_forever(root: str) -> None:
    reg = Registry(tc.Store(root, create=False))
    i = 0
    while True:
        i += 1
        reg.register_object("churn", {"i": i, "payload": os.urandom(2_000_000)}, metrics={"i": i})
        if i % 2 == 0:
            reg.promote("churn", i, "production")


def test_a_registration_killed_at_any_moment_leaves_a_usable_registry(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "store", create=True)
    reg = Registry(store)
    versions_dir = reg.models_dir / "churn" / "versions"
    for kills, delay in enumerate((0.05, 0.13, 0.21), start=1):
        proc = CTX.Process(target=_register_forever, args=(str(store.root),))
        proc.start()
        before = len(list(versions_dir.glob("[0-9]*"))) if versions_dir.exists() else 0
        deadline = time.monotonic() + JOIN_TIMEOUT
        while time.monotonic() < deadline and len(list(versions_dir.glob("[0-9]*"))) < before + 2:
            time.sleep(0.01)  # polling the files another process writes: no event to wait on
        time.sleep(delay)
        os.kill(proc.pid or 0, signal.SIGKILL)
        proc.join(JOIN_TIMEOUT)
        assert proc.exitcode == -signal.SIGKILL

        versions = reg.list_versions("churn")
        assert [v.version for v in versions] == list(range(1, len(versions) + 1))
        for v in versions:
            assert v.error is None
            assert reg.load("churn", version=v.version)["i"] == v.metrics["i"]
        assert [v.stage for v in versions].count("production") <= 1
        registered = [e.version for e in reg.history("churn") if e.action == "register"]
        assert registered == sorted(set(registered)) and set(registered) <= {v.version for v in versions}
        assert len(registered) >= len(versions) - kills  # a kill may cost at most one history line
    next_version = reg.register_object("churn", {"i": 0}).version
    assert next_version == len(reg.list_versions("churn"))
    # After one more change the history holds every registration and every stage the state shows.
    hist = reg.history("churn")
    assert [e.version for e in hist if e.action == "register"] == list(range(1, next_version + 1))
    replay = {}
    for e in hist:
        replay[e.version] = e.to_value if e.action in ("register", "stage") else replay[e.version]
    assert replay == {v.version: v.stage for v in reg.list_versions("churn")}
