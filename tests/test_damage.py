"""Damaged files: the store still opens, the damage is reported with its reason, the rest lists normally."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tracker_core as tc
from tracker_core.records import FINISHED, UNREADABLE


def _run_dir(store: tc.Store, run_id: str) -> Path:
    return store.experiments_dir / store.get_run(run_id).experiment_id / "runs" / run_id


@pytest.fixture
def store_with_runs(tmp_path: Path) -> tuple[tc.Store, list[str]]:
    store = tc.Store(tmp_path / "store")
    ids = []
    for i in range(3):
        with store.start_run("e", f"r{i}") as run:
            run.log_metric("loss", float(i))
        ids.append(run.id)
    return store, ids


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda p: p.write_bytes(p.read_bytes()[:40]), "invalid JSON"),
        (lambda p: p.write_bytes(b""), "file is empty"),
        (lambda p: p.write_text('{"name": "x"}'), "lacks or mangles a field"),
        (lambda p: p.write_text("[1, 2]"), "not a JSON object"),
        (lambda p: p.unlink(), "is missing"),
    ],
    ids=["truncated", "empty", "missing-field", "not-object", "deleted"],
)
def test_damaged_run_file_is_listed_as_unreadable(
    store_with_runs: tuple[tc.Store, list[str]], damage, reason: str
) -> None:  # type: ignore[no-untyped-def]
    store, ids = store_with_runs
    damage(_run_dir(store, ids[1]) / "run.json")
    reopened = tc.Store(store.root, create=False)
    listed = {r.id: r for r in reopened.list_runs("e")}
    assert len(listed) == 3
    assert listed[ids[1]].status == UNREADABLE
    assert listed[ids[1]].error is not None and reason in listed[ids[1]].error
    assert {listed[i].status for i in (ids[0], ids[2])} == {FINISHED}
    assert reopened.get_run(ids[1]).status == UNREADABLE


def test_torn_last_metric_line_is_ignored(store_with_runs: tuple[tc.Store, list[str]]) -> None:
    store, ids = store_with_runs
    path = _run_dir(store, ids[0]) / "metrics.jsonl"
    with open(path, "ab") as fh:
        fh.write(b'{"k":"loss","v":0.12')  # a writer killed mid-line
    assert [p.value for p in store.metric_history(ids[0], "loss")] == [0.0]


def test_garbage_line_in_the_middle_is_skipped(store_with_runs: tuple[tc.Store, list[str]]) -> None:
    store, ids = store_with_runs
    path = _run_dir(store, ids[0]) / "metrics.jsonl"
    with open(path, "ab") as fh:
        fh.write(b"\x00\x00garbage\n")
        fh.write(b'{"k":"loss","v":7.0,"s":9,"t":1.0}\n')
    assert [p.value for p in store.metric_history(ids[0], "loss")] == [0.0, 7.0]


def test_unknown_format_version_is_refused(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    marker = store.root / "tui-track-store.json"
    marker.write_text(json.dumps({"format": "tui-track", "version": 99}))
    with pytest.raises(tc.StoreError, match=r"format version 99; this tui-track reads version 1\. Upgrade"):
        tc.Store(store.root)


def test_foreign_directories_are_not_turned_into_stores(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "train.py").write_text("")
    with pytest.raises(tc.StoreError, match="not empty"):
        tc.Store(tmp_path / "project")
    (tmp_path / "file").write_text("")
    with pytest.raises(tc.StoreError, match="is a file"):
        tc.Store(tmp_path / "file")
    with pytest.raises(tc.StoreError, match="no tui-track store"):
        tc.Store(tmp_path / "missing", create=False)
    assert not (tmp_path / "missing").exists()


def test_corrupt_marker_is_reported(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    (store.root / "tui-track-store.json").write_text("{nope")
    with pytest.raises(tc.StoreError, match="unreadable"):
        tc.Store(store.root)


def test_damaged_experiment_file_hides_only_that_experiment(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    store.start_run("good").end()
    store.start_run("bad").end()
    (store.experiments_dir / store.get_experiment("bad").id / "experiment.json").write_text("{")
    assert [e.name for e in tc.Store(store.root).list_experiments()] == ["good"]
