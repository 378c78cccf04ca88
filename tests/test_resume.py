"""Pre-emption and requeue: resume="auto" continues the run with the same key; SIGTERM and SIGUSR1 flush."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tracker_core as tc
from tracker_core import resume
from tracker_core.errors import ConflictError, ValidationError
from tracker_core.records import FINISHED

WORKER = str(Path(__file__).with_name("resume_worker.py"))


def _spawn(store: Path, steps: int, key: str, flush: float = 0.2) -> subprocess.Popen[str]:
    env = {**os.environ, "TUI_TRACK_RUN_KEY": key}
    for name in ("SLURM_JOB_ID", "SLURM_ARRAY_TASK_ID", "TORCHELASTIC_RUN_ID"):
        env.pop(name, None)
    return subprocess.Popen(
        [sys.executable, WORKER, str(store), str(steps), str(flush)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for_steps(proc: subprocess.Popen[str], n: int) -> str:
    """Read the worker's lines until it printed step n-1; return its run id."""
    assert proc.stdout is not None
    run_id = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        assert line, f"worker exited early: {proc.wait()} {proc.stderr.read() if proc.stderr else ''}"
        if line.startswith("run "):
            run_id = line.split()[1]
        if line.strip() == f"step {n - 1}":
            return run_id
    raise AssertionError("worker too slow")


def test_sigterm_then_restart_continues_one_run(tmp_path: Path) -> None:
    store_path = tmp_path / "s"
    first = _spawn(store_path, 0, "job-42")
    run_id = _wait_for_steps(first, 30)
    first.send_signal(signal.SIGTERM)
    _, err = first.communicate(timeout=30)
    assert first.returncode == -signal.SIGTERM, err  # SIGTERM's default exit is kept
    store = tc.Store(store_path)
    interrupted = store.get_run(run_id)
    assert interrupted.status == "killed"
    logged = interrupted.metrics["loss"].count
    assert logged >= 30  # everything logged before the signal was flushed

    second = _spawn(store_path, 20, "job-42")
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert f"run {run_id}" in out
    runs = store.list_runs("train")
    assert [r.id for r in runs] == [run_id]  # one run
    run = store.get_run(run_id)
    assert run.status == FINISHED
    assert run.tags["run_key"] == "job-42"
    steps = [p.step for p in store.metric_history(run_id, "loss")]
    assert steps == list(range(logged + 20))  # continuous: no gap, no repeat
    kinds = [(e["event"], e.get("status"), e.get("after")) for e in run.events]
    assert kinds == [("interrupted", "killed", None), ("resumed", None, "killed")]
    assert run.events[0]["reason"] == "terminated by SIGTERM"
    assert run.events[0]["time"] <= run.events[1]["time"]
    assert run.events[1]["pid"] == second.pid


def test_kill_9_is_recorded_as_a_crash(tmp_path: Path) -> None:
    store_path = tmp_path / "s"
    first = _spawn(store_path, 0, "job-9", flush=0.05)
    run_id = _wait_for_steps(first, 10)
    time.sleep(0.3)
    first.kill()
    first.wait(timeout=30)
    second = _spawn(store_path, 3, "job-9")
    _, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    run = tc.Store(store_path).get_run(run_id)
    assert [e["event"] for e in run.events] == ["interrupted", "resumed"]
    assert run.events[0]["status"] == "crashed"
    steps = [p.step for p in tc.Store(store_path).metric_history(run_id, "loss")]
    assert steps == list(range(len(steps)))


def test_sigusr1_flushes_at_once_and_the_run_goes_on(tmp_path: Path) -> None:
    store_path = tmp_path / "s"
    proc = _spawn(store_path, 0, "job-usr1", flush=3600.0)  # nothing would be flushed for an hour
    try:
        run_id = _wait_for_steps(proc, 20)
        store = tc.Store(store_path)
        assert "loss" not in store.get_run(run_id).metrics
        proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while "loss" not in store.get_run(run_id).metrics and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store.get_run(run_id).metrics["loss"].count >= 20
        assert proc.poll() is None  # the warning signal flushed; it did not end the program
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGTERM


def test_keys_pick_runs(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    with store.start_run("e", resume="auto", run_key="a", params={"lr": 0.1}) as a:
        a.log_metric("loss", 1.0)
    with store.start_run("e", resume="auto", run_key="b") as b:
        pass
    with store.start_run("e", resume="auto", run_key="a", params={"lr": 0.1}) as again:
        again.log_metric("loss", 0.5)
    assert again.id == a.id and b.id != a.id
    assert [p.step for p in store.metric_history(a.id, "loss")] == [0, 1]
    assert [e["event"] for e in store.get_run(a.id).events] == ["resumed"]  # it had finished: no interruption
    with store.start_run("other", resume="auto", run_key="a") as elsewhere:
        assert elsewhere.id != a.id  # a key names a run within its experiment


def test_a_key_whose_run_is_still_open_is_refused(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    with store.start_run("e", resume="auto", run_key="k"), pytest.raises(ConflictError, match="still running"):
        store.start_run("e", resume="auto", run_key="k")


def test_auto_without_a_key_starts_new_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLURM_JOB_ID", "TORCHELASTIC_RUN_ID", resume.ENV_RUN_KEY):
        monkeypatch.delenv(name, raising=False)
    store = tc.Store(tmp_path / "s")
    with store.start_run("e", resume="auto") as one:
        pass
    with store.start_run("e", resume="auto") as two:
        pass
    assert one.id != two.id and "run_key" not in store.get_run(two.id).tags


def test_key_from_the_scheduler() -> None:
    assert resume.run_key_from_env({"SLURM_JOB_ID": "77", "SLURM_ARRAY_TASK_ID": "3"}) == "slurm-77-3"
    assert resume.run_key_from_env({"SLURM_JOB_ID": "77", "TORCHELASTIC_RUN_ID": "x"}) == "slurm-77"
    assert resume.run_key_from_env({"TORCHELASTIC_RUN_ID": "x", "TUI_TRACK_RUN_KEY": "k"}) == "torchelastic-x"
    assert resume.run_key_from_env({"TUI_TRACK_RUN_KEY": "k"}) == "k"
    assert resume.run_key_from_env({}) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"resume": "always"}, "resume must be one of never, auto"),
        ({"run_key": "k"}, 'run_key is used with resume="auto"'),
        ({"resume": "auto", "run_key": " "}, "run_key must be a non-empty string"),
        ({"resume": "auto", "run_id": "abc"}, "either run_id"),
    ],
)
def test_bad_resume_arguments(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    store = tc.Store(tmp_path / "s", create=True)
    with pytest.raises(ValidationError, match=message):
        store.start_run("e", **kwargs)  # type: ignore[arg-type]
    assert store.list_runs() == []


def test_damaged_events_make_the_run_unreadable(tmp_path: Path) -> None:
    from tracker_core.jsonio import read_json, write_json_atomic

    store = tc.Store(tmp_path / "s")
    with store.start_run("e") as run:
        pass
    path = run.dir / "run.json"
    data = read_json(path)
    data["events"] = [{"time": "yesterday", "event": "resumed"}]
    write_json_atomic(path, data)
    listed = store.list_runs()[0]
    assert listed.status == "unreadable" and "events[0].time" in (listed.error or "")
