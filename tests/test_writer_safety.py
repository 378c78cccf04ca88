"""One writer per run, whatever happens: racing resumes, suspended writers, full disks, forks, bad input."""

from __future__ import annotations

import errno
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import tracker_core as tc
import tracker_core.storage.append as append_module
from tracker_core.locking import FileLock
from tracker_core.records import CRASHED, FINISHED, RUNNING

RESUMER = """
import sys, time, tracker_core as tc
store = tc.Store(sys.argv[1])
while time.time() < float(sys.argv[3]):
    pass
try:
    run = store.start_run(run_id=sys.argv[2])
except tc.ConflictError:
    print("refused", flush=True)
else:
    for i in range(500):
        run.log_metric("m", float(i))
    run.end()
    print("resumed", flush=True)
"""


@pytest.fixture
def store(tmp_path: Path) -> tc.Store:
    return tc.Store(tmp_path / "store")


@pytest.mark.slow
def test_two_processes_resuming_one_run_at_once_one_wins(store: tc.Store) -> None:
    with store.start_run("e") as first:
        first.log_metric("m", 0.0)
    start_at = str(time.time() + 1.0)
    args = [sys.executable, "-c", RESUMER, str(store.root), first.id, start_at]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outcomes = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert outcomes.count("resumed") >= 1
    history = store.metric_history(first.id, "m")
    assert [p.step for p in history] == list(range(len(history)))  # no step written twice
    assert len(history) == 1 + 500 * outcomes.count("resumed")
    assert store.get_run(first.id).metrics["m"].count == len(history)


def test_a_run_open_in_this_process_cannot_be_resumed_here(store: tc.Store) -> None:
    run = store.start_run("e")
    with pytest.raises(tc.ConflictError, match="still running"):
        store.start_run(run_id=run.id)
    run.end()
    store.start_run(run_id=run.id).end()


@pytest.mark.slow
def test_a_suspended_writer_is_running_not_crashed(store: tc.Store, monkeypatch: pytest.MonkeyPatch) -> None:
    code = (
        "import sys, time, tracker_core as tc\n"
        "run = tc.Store(sys.argv[1]).start_run('e', 'paused')\n"
        "run.log_metric('m', 1.0); run.flush(); print(run.id, flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(store.root)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    run_id = proc.stdout.readline().strip()
    try:
        proc.send_signal(signal.SIGSTOP)  # a suspended job: no heartbeat any more
        import tracker_core.store as store_module

        monkeypatch.setattr(store_module, "STALE_AFTER", 0.0)  # heartbeat long "stale"
        time.sleep(0.05)
        assert store.get_run(run_id).status == RUNNING  # its lock says it lives
        with pytest.raises(tc.ConflictError, match="still running"):
            store.start_run(run_id=run_id)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert store.get_run(run_id).status == CRASHED  # the kernel released the dead writer's lock


class _DiskFull:
    """An ``os`` stand-in whose first write stores half its bytes, then fails with ENOSPC."""

    def __init__(self) -> None:
        self.failed = False

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)

    def write(self, fd: int, data: bytes) -> int:
        if not self.failed:
            self.failed = True
            os.write(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return os.write(fd, data)


def test_a_full_disk_loses_nothing(store: tc.Store, monkeypatch: pytest.MonkeyPatch) -> None:
    run = store.start_run("e", flush_interval=3600)
    for i in range(1000):
        run.log_metric("loss", float(i))
    fake = _DiskFull()
    monkeypatch.setattr(append_module, "os", fake)
    with pytest.raises(OSError, match="No space left"):
        run.flush()
    monkeypatch.setattr(append_module, "os", os)
    for i in range(1000, 1010):
        run.log_metric("loss", float(i))
    run.end()
    history = store.metric_history(run.id, "loss")
    assert [p.value for p in history] == [float(i) for i in range(1010)]
    assert store.get_run(run.id).metrics["loss"].count == 1010


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX-only")
def test_a_forked_child_cannot_write_its_parents_run(store: tc.Store) -> None:
    read, write = os.pipe()
    with tc.start_run(experiment="e", store=store) as run:
        for i in range(500):
            tc.log_metric("loss", float(i))
        pid = os.fork()
        if pid == 0:  # the child: both calls must refuse, and leave the parent's files alone
            outcome = []
            for call in (lambda: tc.log_metric("loss", -1.0), tc.end_run):
                try:
                    call()
                    outcome.append("wrote")
                except tc.RunStateError as exc:
                    outcome.append("refused" if "belongs to process" in str(exc) else f"other: {exc}")
            os.write(write, ",".join(outcome).encode())
            os._exit(0)
        os.waitpid(pid, 0)
        for i in range(500, 600):
            tc.log_metric("loss", float(i))
    assert os.read(read, 100).decode() == "refused,refused"
    history = store.metric_history(run.id, "loss")
    assert [p.value for p in history] == [float(i) for i in range(600)]
    assert store.get_run(run.id).status == FINISHED


@pytest.mark.parametrize("bad", [math.nan, math.inf, "yesterday", b"1"])
def test_bad_timestamps_are_refused(store: tc.Store, bad: object) -> None:
    with store.start_run("e") as run:
        with pytest.raises(tc.ValidationError, match="timestamp of metric 'm'"):
            run.log_metric("m", 1.0, timestamp=bad)  # type: ignore[arg-type]
        run.log_metric("m", 2.0, timestamp=1_700_000_000)
    assert store.get_run(run.id).status == FINISHED


def test_text_that_is_not_unicode_is_refused_before_it_can_break_a_flush(store: tc.Store) -> None:
    bad = "bad\udc80key"
    with store.start_run("e") as run:
        for log in (lambda: run.log_metric(bad, 1.0), lambda: run.log_param(bad, 1), lambda: run.set_tag("t", bad)):
            with pytest.raises(tc.ValidationError, match="not valid Unicode"):
                log()
        run.log_metric("loss", 0.5)
    assert store.get_run(run.id).metrics["loss"].last == 0.5


def test_renamed_or_deleted_experiments_are_not_logged_into_by_mistake(store: tc.Store) -> None:
    store.start_run("churn").end()  # caches the name
    other = tc.Store(store.root)  # another process renames it
    other.rename_experiment("churn", "churn-old")
    run = store.start_run("churn")
    run.end()
    assert store.get_experiment("churn").id != store.get_experiment("churn-old").id
    assert store.get_run(run.id).experiment_id == store.get_experiment("churn").id
    other.delete_experiment("churn-old")
    with pytest.raises(tc.ConflictError, match="is deleted; restore it"):
        store.start_run("churn-old")


def test_nested_file_locks_on_one_path_keep_the_outer_lock(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    probe = (
        "import sys\nfrom tracker_core.locking import FileLock\n"
        "try:\n    FileLock(sys.argv[1], timeout=0.2).acquire(); print('got it')\n"
        "except Exception:\n    print('blocked')\n"
    )
    with FileLock(path):
        with FileLock(path):
            pass
        out = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "blocked"
    out = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "got it"


def test_dotfiles_are_artifacts_too(store: tc.Store, tmp_path: Path) -> None:
    hydra = tmp_path / ".hydra"
    hydra.mkdir()
    (hydra / "config.yaml").write_text("lr: 0.1\n")
    with store.start_run("e") as run:
        run.log_artifact(hydra)
        run.log_text("{}", ".env.json")
    assert {a.path for a in store.list_artifacts(run.id)} == {".hydra", ".hydra/config.yaml", ".env.json"}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs of our own (tests run as root, as CI does); unmounted afterwards."""
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(
            f"the disk-full test needs to mount a 2 MB tmpfs (run the tests as root, as CI does): "
            f"mount said {done.stderr.strip() or done.returncode}"
        )
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_full_disk_loses_nothing_flushed_and_logging_resumes_after_space_is_freed(small_disk: Path) -> None:
    from tracker_core.errors import StoreError, StoreFullError

    store = tc.Store(small_disk / "store")
    run = store.start_run("full", params={"lr": 0.1}, flush_interval=3600)
    run.log_metric("warmup", 1.0)
    run.flush()
    filler = small_disk / "filler"
    with open(filler, "wb") as fh:  # most of the disk, so a few hundred flushes fill the rest
        fh.write(b"\0" * (1800 * 1024))
    flushed = 0
    logged = 0
    error: StoreError | None = None
    for _batch in range(10_000):
        for _ in range(50):
            run.log_metric("loss", logged * 0.5, step=logged)
            logged += 1
        try:
            run.flush()
        except StoreError as exc:
            error = exc
            break
        flushed = logged
    assert error is not None, "the disk never filled up"
    assert isinstance(error, StoreFullError) and isinstance(error, OSError)
    assert "No space left" in str(error) and "free space" in str(error) and str(run.dir) in str(error)
    # What was flushed before the error is all there, for a fresh reader too.
    history = tc.Store(small_disk / "store").metric_history(run.id, "loss")
    assert [p.step for p in history][:flushed] == list(range(flushed))
    assert all(p.value == p.step * 0.5 for p in history)
    assert tc.Store(small_disk / "store").get_run(run.id).status == "running"
    # Space comes back: the next flush writes what the failed one kept, and logging goes on.
    filler.unlink()
    run.log_metric("loss", logged * 0.5, step=logged)
    logged += 1
    run.end()
    reader = tc.Store(small_disk / "store")
    got = reader.get_run(run.id)
    assert got.status == "finished" and got.params == {"lr": 0.1}
    assert got.metrics["loss"].count == logged and got.metrics["loss"].step == logged - 1
    assert [p.step for p in reader.metric_history(run.id, "loss")] == list(range(logged))
    assert [p.name for p in small_disk.rglob("*") if p.name.endswith(".tmp")] == []
