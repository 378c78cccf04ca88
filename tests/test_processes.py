"""Many processes at once, kill -9, SIGTERM and interpreter exit: nothing flushed is lost, nothing torn."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tracker_core as tc
from tracker_core.records import CRASHED, FAILED, FINISHED, KILLED

WORKER = str(Path(__file__).with_name("store_worker.py"))


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, WORKER, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _read_jsonl_strict(path: Path) -> list[dict[str, object]]:
    """Every line must be complete strict JSON (no NaN constants)."""
    text = path.read_text()
    assert text.endswith("\n")

    def no_constants(name: str) -> None:
        raise AssertionError(f"bare {name} in {path}")

    return [json.loads(line, parse_constant=no_constants) for line in text.splitlines()]


@pytest.mark.slow
def test_eight_processes_share_one_experiment(tmp_path: Path) -> None:
    store_path, go = tmp_path / "store", tmp_path / "go"
    runs, steps = 50, 200
    procs = [_spawn("many", str(store_path), str(w), str(go), str(runs), str(steps)) for w in range(8)]
    time.sleep(0.5)  # let every interpreter start and wait on the go file
    go.touch()
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    store = tc.Store(store_path, create=False)
    experiments = store.list_experiments()
    assert [e.name for e in experiments] == ["shared"]
    listed = store.list_runs("shared")
    assert len(listed) == 8 * runs
    assert sorted(r.name for r in listed) == sorted(f"w{w}-r{i}" for w in range(8) for i in range(runs))
    for summary in listed:
        assert summary.status == FINISHED
        assert summary.metrics["loss"].count == steps and summary.metrics["acc"].count == steps
        run_dir = store.experiments_dir / summary.experiment_id / "runs" / summary.id
        lines = _read_jsonl_strict(run_dir / "metrics.jsonl")
        assert len(lines) == 2 * steps
        assert sorted(int(str(p["s"])) for p in lines if p["k"] == "loss") == list(range(steps))


@pytest.mark.slow
def test_kill_9_loses_nothing_flushed_and_the_run_reads_crashed(tmp_path: Path) -> None:
    store_path = tmp_path / "store"
    proc = _spawn("crash", str(store_path))
    assert proc.stdout is not None
    flushed, run_id = 0, ""
    while flushed < 1000:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "worker died"
        _, count, run_id = line.split()
        flushed = int(count)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    store = tc.Store(store_path, create=False)
    summary = store.get_run(run_id)
    assert summary.status == CRASHED
    history = store.metric_history(run_id, "loss")
    assert len(history) >= flushed
    assert [p.step for p in history] == list(range(len(history)))  # nothing torn, nothing skipped
    assert summary.metrics["loss"].count == len(history)  # the listing counts the unsummarized tail too
    (listed,) = store.list_runs("crashy")
    assert listed.status == CRASHED
    # The next process keeps logging to the store, and can resume the crashed run.
    with store.start_run("crashy", "after") as after:
        after.log_metric("loss", 0.1)
    with store.start_run(run_id=run_id) as resumed:
        resumed.log_metric("loss", 0.0)
    history = store.metric_history(run_id, "loss")
    assert history[-1].value == 0.0 and history[-1].step == history[-2].step + 1
    assert store.get_run(run_id).status == FINISHED


@pytest.mark.slow
def test_background_flush_bounds_what_a_kill_loses(tmp_path: Path) -> None:
    store_path = tmp_path / "store"
    proc = _spawn("idle", str(store_path), "250")
    assert proc.stdout is not None
    _, n, run_id = proc.stdout.readline().split()
    store = tc.Store(store_path, create=False)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(store.metric_history(run_id, "loss")) < int(n):
        time.sleep(0.05)  # the worker's flush interval is 0.2 s; it never flushes by itself
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert len(store.metric_history(run_id, "loss")) == int(n)
    assert store.get_run(run_id).metrics["loss"].count == int(n)


@pytest.mark.slow
def test_sigterm_ends_the_run_killed_with_buffered_points_flushed(tmp_path: Path) -> None:
    store_path = tmp_path / "store"
    proc = _spawn("sigterm", str(store_path), "300")
    assert proc.stdout is not None
    _, run_id = proc.stdout.readline().split()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGTERM  # the process still dies of the signal
    summary = tc.Store(store_path, create=False).get_run(run_id)
    assert summary.status == KILLED
    assert summary.metrics["loss"].count == 300
    assert summary.error is not None and "SIGTERM" in summary.error


@pytest.mark.parametrize(("fail", "status"), [(False, FINISHED), (True, FAILED)])
def test_interpreter_exit_ends_open_runs(tmp_path: Path, fail: bool, status: str) -> None:
    store_path = tmp_path / "store"
    proc = subprocess.run(
        [sys.executable, WORKER, "noend", str(store_path), *(["fail"] if fail else [])],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == (1 if fail else 0)
    summary = tc.Store(store_path, create=False).get_run(proc.stdout.split()[0])
    assert summary.status == status
    assert summary.metrics["loss"].count == 1
    if fail:
        assert summary.error is not None and "training diverged" in summary.error
        assert "training diverged" in proc.stderr  # the traceback is still printed
