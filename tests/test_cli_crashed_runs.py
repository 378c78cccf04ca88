"""A crashed run's end and duration come from what it wrote (its last point or flush), not from
file times: a copy of the store (``cp -r``, new mtimes) shows the same durations and last activity."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

import tracker_core as tc
from tui_track.cli import main

WRITER = """
import os, sys, time
import tracker_core as tc
run = tc.Store(sys.argv[1], create=True).start_run("train", "killed")
run.log_metric("loss", 1.0, step=0)
time.sleep(1.5)
run.log_metric("loss", 0.5, step=1)   # the last point, 1.5 s in
run.flush()                           # and the last flush (run.json's last_write)
print(run.id, flush=True)
time.sleep(1.0)                       # killed 2.5 s in, before logging anything else
os.kill(os.getpid(), 9)
"""


def _kill_a_run(root: Path) -> str:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    proc = subprocess.run(
        [sys.executable, "-c", WRITER, str(root)], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    return proc.stdout.strip()


def _copy_without_times(src: Path, dst: Path) -> None:
    """``cp -r``: contents copied, every mtime the time of the copy."""
    subprocess.run(["cp", "-r", str(src), str(dst)], check=True)


def test_a_killed_run_ends_at_its_last_point_and_a_copy_agrees(tmp_path: Path) -> None:
    root = tmp_path / "store"
    run_id = _kill_a_run(root)
    run = tc.Store(root).get_run(run_id)
    assert run.status == "crashed"
    assert run.duration is not None and 1.4 <= run.duration <= 2.0, run.duration  # not ~0 s (the heartbeat)
    assert run.end_time is not None and run.end_time >= max(m.timestamp for m in run.metrics.values())
    before = tc.Store(root).list_experiments()[0].last_activity
    assert before is not None and abs(before - run.end_time) < 1e-6

    time.sleep(1.1)  # the copy's file times are at least a second later than anything the run wrote
    copy = tmp_path / "copy"
    _copy_without_times(root, copy)
    assert os.stat(copy / os.path.relpath(tc.Store(root).layout.runs_dir(run.experiment_id), root)).st_mtime > (
        run.end_time + 1
    )
    copied = tc.Store(copy).get_run(run_id)
    assert (copied.status, copied.end_time, copied.duration) == ("crashed", run.end_time, run.duration)
    assert tc.Store(copy).list_runs()[0].duration == run.duration
    assert tc.Store(copy).list_experiments()[0].last_activity == before

    shown = CliRunner().invoke(main, ["--store", str(copy), "runs", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)[0]["duration"] == run.duration
