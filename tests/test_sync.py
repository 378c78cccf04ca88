"""Merging stores: runs, experiments, deletions, live runs, killed syncs, registries, concurrent writers, rsync."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import tracker_core as tc
from tracker_core.registry import Registry
from tracker_core.sync import sync

REPO = Path(__file__).resolve().parents[1]


def snapshot(store: tc.Store) -> dict[str, object]:
    """Everything a person can see of a store's runs: summaries, histories and artifact bytes."""
    out: dict[str, object] = {}
    for run in store.list_runs(include_deleted=True):
        record = run.to_dict()
        record["experiment"] = store.get_experiment(run.experiment_id).name
        del record["experiment_id"]
        record["history"] = store.metric_histories(run.id)
        record["artifacts"] = {
            a.path: store.artifact_path(run.id, a.path).read_bytes()
            for a in store.list_artifacts(run.id)
            if not a.is_dir
        }
        out[run.id] = record
    return out


def test_sync_copies_everything_and_second_sync_copies_nothing(demo_store: tc.Store, tmp_path: Path):
    dest = tmp_path / "merged"
    report = sync(demo_store.root, dest)
    total = len(demo_store.list_runs(include_deleted=True))
    assert report.copied == total and report.experiments_created == 2

    merged = tc.Store(dest)
    assert snapshot(merged) == snapshot(demo_store)
    assert [e.name for e in merged.list_experiments()] == ["churn_prediction", "mnist_mlp"]
    logreg = next(r for r in merged.list_runs() if r.name == "logreg")
    assert merged.model_info(logreg.id)["class"].endswith("LogisticRegression")

    again = sync(demo_store.root, dest)
    assert (again.copied, again.updated, again.unchanged) == (0, 0, total)


def test_same_experiment_created_on_two_boxes_becomes_one(tmp_path: Path):
    box_a, box_b, dest = tc.Store(tmp_path / "a"), tc.Store(tmp_path / "b"), tmp_path / "merged"
    with box_a.start_run("churn", "from-a") as run_a:
        run_a.log_metric("loss", 0.5)
    with box_b.start_run("churn", "from-b") as run_b:
        run_b.log_metric("loss", 0.4)
    assert box_a.get_experiment("churn").id != box_b.get_experiment("churn").id

    sync(box_a.root, dest)
    second = sync(box_b.root, dest)
    merged = tc.Store(dest)

    assert [e.name for e in merged.list_experiments()] == ["churn"]
    assert sorted(r.name for r in merged.list_runs("churn")) == ["from-a", "from-b"]
    resumed = merged.start_run(run_id=run_b.id)  # the copied run.json names the experiment it landed in
    assert resumed.experiment_id == merged.get_experiment("churn").id
    resumed.end()
    assert second.copied == 1
    assert sync(box_b.root, tmp_path / "other").copied == 1
    assert sync(box_a.root, dest).unchanged == 1


def test_run_still_being_written_is_taken_again(tmp_path: Path):
    source, dest = tc.Store(tmp_path / "box"), tmp_path / "merged"
    run = source.start_run("live", "training", flush_interval=60)
    run.log_metric("loss", 1.0, step=0)
    run.flush()
    assert sync(source.root, dest).copied == 1
    assert tc.Store(dest).get_run(run.id).metrics["loss"].count == 1

    run.log_metric("loss", 0.5, step=1)
    run.log_text("halfway\n", "notes.txt")
    run.flush()
    assert sync(source.root, dest).updated == 1
    run.end()
    assert sync(source.root, dest).updated == 1

    copy = tc.Store(dest).get_run(run.id)
    assert copy.status == "finished" and copy.metrics["loss"].count == 2 and copy.metrics["loss"].last == 0.5
    assert tc.Store(dest).artifact_path(run.id, "notes.txt").read_text() == "halfway\n"
    assert sync(source.root, dest).unchanged == 1


def test_deletions_are_carried_over(demo_store: tc.Store, tmp_path: Path):
    dest = tmp_path / "merged"
    sync(demo_store.root, dest)
    victim = demo_store.list_runs()[0]
    demo_store.delete_run(victim.id)
    report = sync(demo_store.root, dest)
    assert report.deletions == 1
    assert victim.id not in {r.id for r in tc.Store(dest).list_runs()}


KILLABLE_SYNC = """
import sys, time
import tracker_core.sync as s
original = s._copy_file
def slow(a, b):
    time.sleep(0.02)
    original(a, b)
s._copy_file = slow
s.sync(sys.argv[1], sys.argv[2])
"""


def test_killed_sync_leaves_destination_valid_and_next_sync_completes(tmp_path: Path):
    source, dest = tc.Store(tmp_path / "box"), tmp_path / "merged"
    for i in range(40):
        with source.start_run("sweep", f"r{i}") as run:
            run.log_params({"i": i})
            run.log_metric("loss", 1.0 / (i + 1))
            run.log_text("x" * 1000, "out/a.txt")
            run.log_text("y" * 1000, "out/b.txt")
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE_SYNC, str(source.root), str(dest)], cwd=REPO)
    deadline = time.monotonic() + 60
    runs_dir = None
    while time.monotonic() < deadline:
        exp_dirs = list((dest / "experiments").glob("*/runs")) if dest.exists() else []
        runs_dir = exp_dirs[0] if exp_dirs else None
        if runs_dir and len([p for p in runs_dir.iterdir() if not p.name.startswith(".")]) >= 5:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert runs_dir is not None
    in_place = [p for p in runs_dir.iterdir() if not p.name.startswith(".")]
    assert 5 <= len(in_place) < 40, "the sync should have been killed midway"

    partial = tc.Store(dest)
    listed = partial.list_runs()
    assert len(listed) == len(in_place) and all(r.status == "finished" for r in listed)
    for r in listed:
        assert len(partial.list_artifacts(r.id)) == 3

    report = sync(source.root, dest)
    assert report.copied == 40 - len(in_place)
    assert snapshot(tc.Store(dest)) == snapshot(source)


def test_registries_merge_with_unique_versions_and_history(tmp_path: Path):
    box_a, box_b, dest = tc.Store(tmp_path / "a"), tc.Store(tmp_path / "b"), tmp_path / "merged"
    reg_a, reg_b = Registry(box_a), Registry(box_b)
    reg_a.register_object("churn", {"model": "a1"})
    reg_a.register_object("churn", {"model": "a2"})
    reg_a.promote("churn", 2, "production")
    reg_a.set_alias("churn", "champion", 2)
    time.sleep(0.01)  # b's promotion is the later one
    reg_b.register_object("churn", {"model": "b1"}, stage="production")
    reg_b.register_object("fraud", {"model": "f1"})

    sync(box_a.root, dest)
    report = sync(box_b.root, dest)
    merged = Registry(tc.Store(dest))

    assert report.versions_added == 2 and report.models_created == 1
    versions = {v.version: v for v in merged.list_versions("churn")}
    assert sorted(versions) == [1, 2, 3]
    assert [merged.load(f"models:/churn/{n}")["model"] for n in (1, 2, 3)] == ["a1", "a2", "b1"]
    assert versions[3].stage == "production" and versions[2].stage == "archived"
    assert merged.get_model("churn").aliases == {"champion": 2}
    actions = [(e.action, e.version) for e in merged.history("churn")]
    assert actions.count(("register", 3)) == 1 and ("stage", 2) in actions
    assert [v.version for v in merged.list_versions("fraud")] == [1]

    assert sync(box_b.root, dest).versions_added == 0
    back = sync(dest, box_a.root)
    assert (back.versions_added, back.models_created) == (2, 1)  # churn v3 and fraud v1
    assert [merged.load(f"models:/churn/{v.version}")["model"] for v in Registry(box_a).list_versions("churn")] == [
        "a1",
        "a2",
        "b1",
    ]


WRITER = """
import sys, time
import tracker_core as tc
store = tc.Store(sys.argv[1])
for i in range(int(sys.argv[2])):
    with store.start_run("shared", f"{sys.argv[3]}-{i}", flush_interval=0.05) as run:
        run.log_params({"box": sys.argv[3], "i": i})
        for step in range(20):
            run.log_metric("loss", 1.0 / (step + 1 + i), step=step)
            time.sleep(0.005)
"""


@pytest.mark.slow
def test_two_stores_written_concurrently_merge_repeatedly(tmp_path: Path):
    dest = tmp_path / "merged"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / box), "12", box], cwd=REPO) for box in ("a", "b")
    ]
    rounds = 0
    while any(w.poll() is None for w in writers) or rounds < 2:
        for box in ("a", "b"):
            if (tmp_path / box / "tui-track-store.json").exists():
                sync(tmp_path / box, dest)
                merged = tc.Store(dest)
                assert all(r.status != "unreadable" for r in merged.list_runs())
        rounds += 1
    assert all(w.wait() == 0 for w in writers)
    assert rounds >= 3
    for box in ("a", "b"):
        sync(tmp_path / box, dest)
    merged = snapshot(tc.Store(dest))
    expected = {**snapshot(tc.Store(tmp_path / "a")), **snapshot(tc.Store(tmp_path / "b"))}
    assert len(merged) == 24
    assert merged == expected


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An SSH stand-in that runs the remote command here, so rsync's real protocol is exercised."""
    script = tmp_path / "fake-ssh"
    script.write_text('#!/bin/sh\nshift\nexec sh -c "$*"\n')
    script.chmod(0o755)
    monkeypatch.setenv("TUI_TRACK_RSH", str(script))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


@pytest.mark.usefixtures("fake_ssh")
def test_sync_over_ssh_with_rsync_both_ways(demo_store: tc.Store, tmp_path: Path):
    if not any((Path(p) / "rsync").exists() for p in os.environ["PATH"].split(os.pathsep)):
        pytest.fail("rsync is needed for remote sync tests: apt-get install rsync")
    pulled = tmp_path / "pulled"
    report = sync(f"somehost:{demo_store.root}", pulled)
    assert report.copied == len(demo_store.list_runs(include_deleted=True))
    assert snapshot(tc.Store(pulled)) == snapshot(demo_store)

    pushed = tmp_path / "pushed"
    report = sync(demo_store.root, f"somehost:{pushed}")
    assert report.remote_output is not None and "runs copied" in report.remote_output
    assert snapshot(tc.Store(pushed)) == snapshot(demo_store)


def test_command_line_sync(demo_store: tc.Store, tmp_path: Path):
    from tui_track.cli import main

    result = CliRunner().invoke(main, ["sync", str(demo_store.root), str(tmp_path / "merged")])
    assert result.exit_code == 0, result.output
    assert str(len(demo_store.list_runs(include_deleted=True))) in result.output.split()
    bad = CliRunner().invoke(main, ["sync", str(tmp_path / "missing"), str(tmp_path / "merged")])
    assert bad.exit_code == 1 and "no tui-track store" in bad.output


def test_a_box_with_a_slow_clock_does_not_undo_a_later_promotion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Box A promotes v1; box B, whose clock runs an hour behind, then promotes v2. Every store that
    syncs afterwards (the shared one, a fresh one, A again) holds v2 in production: B saw A's change
    before making its own, so the order of changes is known without trusting either clock."""
    a, shared, b = (tc.Store(tmp_path / n, create=True) for n in ("a", "shared", "b"))
    for n in (1, 2):
        (tmp_path / f"m{n}.bin").write_bytes(f"weights {n}".encode())
        Registry(a).register_file("churn", tmp_path / f"m{n}.bin")
    Registry(a).promote("churn", 1, "production")
    sync(a.root, shared.root)
    sync(shared.root, b.root)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 3600)  # box B's clock
    Registry(b).promote("churn", 2, "production")
    sync(b.root, shared.root)
    monkeypatch.undo()
    fresh = tc.Store(tmp_path / "fresh", create=True)
    sync(shared.root, fresh.root)
    sync(shared.root, a.root)
    for store in (shared, fresh, a, b):
        stages = {v.version: v.stage for v in Registry(store).list_versions("churn")}
        assert stages == {1: "archived", 2: "production"}, store.root.name
    history = [(e.version, e.to_value) for e in Registry(shared).history("churn") if e.action == "stage"]
    assert (1, "production") in history and (2, "production") in history and (1, "archived") in history
