"""Incremental listing and its summary cache: fast, and never trusted over the run files."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

import tracker_core as tc
from tracker_core import index as index_mod
from tracker_core.index import RunIndex
from tracker_core.records import FINISHED, RUNNING
from tracker_core.storage.layout import SUMMARY_CACHE_FILE


@pytest.fixture
def store(tmp_path: Path) -> tc.Store:
    return tc.Store(tmp_path / "s")


def _finished_runs(store: tc.Store, n: int, experiment: str = "e") -> list[str]:
    ids = []
    for i in range(n):
        with store.start_run(experiment, f"r{i}") as run:
            run.log_metric("loss", float(i))
        ids.append(run.id)
    return ids


def test_refresh_reports_added_updated_removed(store: tc.Store) -> None:
    (first,) = _finished_runs(store, 1)
    idx = RunIndex(store, store.get_experiment("e").id)
    assert idx.refresh().added == [first]
    assert not idx.refresh()
    live = store.start_run("e", "live", flush_interval=60)
    changes = idx.refresh()
    assert changes.added == [live.id] and idx.runs[live.id].status == RUNNING
    live.log_metric("loss", 3.0)
    live.flush()
    assert live.id in idx.refresh().updated
    assert idx.runs[live.id].metrics["loss"].last == 3.0
    live.end()
    assert live.id in idx.refresh().updated and idx.runs[live.id].status == FINISHED
    store.delete_run(first)
    assert idx.refresh().removed == [first]


def test_only_some_experiments(store: tc.Store) -> None:
    a, b = _finished_runs(store, 2, "a"), _finished_runs(store, 1, "b")
    c = _finished_runs(store, 1, "c")
    ids = {name: store.get_experiment(name).id for name in "abc"}
    idx = RunIndex(store, None, only=frozenset({ids["a"], ids["c"], "no-such-experiment"}))
    assert sorted(idx.refresh().added) == sorted(a + c) and set(idx.runs) == {*a, *c}
    assert set(idx.preview(10)) == {*a, *c}
    assert set(RunIndex(store, None).refresh().added) == {*a, *b, *c}  # without only: every experiment


def test_cache_is_written_and_used(store: tc.Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_mod, "CACHE_REWRITE_AFTER", 5)
    ids = _finished_runs(store, 8)
    exp_dir = store.experiments_dir / store.get_experiment("e").id
    first = store.list_runs("e")
    assert (exp_dir / SUMMARY_CACHE_FILE).is_file()
    parsed: list[str] = []
    real = index_mod.read_run_summary_stamped
    monkeypatch.setattr(index_mod, "read_run_summary_stamped", lambda d, *a, **k: parsed.append(d) or real(d, *a, **k))
    second = store.list_runs("e")
    assert parsed == []  # everything came from the cache
    assert [(r.id, r.metrics["loss"].last, r.status) for r in second] == [
        (r.id, r.metrics["loss"].last, r.status) for r in first
    ]
    assert sorted(r.id for r in second) == sorted(ids)


def test_cache_never_overrides_a_changed_run(store: tc.Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_mod, "CACHE_REWRITE_AFTER", 1)
    (run_id,) = _finished_runs(store, 1)
    store.list_runs("e")  # writes the cache
    with store.start_run(run_id=run_id) as resumed:
        resumed.log_metric("loss", 42.0)
    (listed,) = store.list_runs("e")
    assert listed.metrics["loss"].last == 42.0


def test_damaged_or_copied_cache_is_ignored(store: tc.Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(index_mod, "CACHE_REWRITE_AFTER", 1)
    _finished_runs(store, 3)
    store.list_runs("e")
    cache = store.experiments_dir / store.get_experiment("e").id / SUMMARY_CACHE_FILE
    cache.write_bytes(cache.read_bytes()[:-30])  # torn
    assert len(store.list_runs("e")) == 3
    cache.write_text("garbage")
    assert len(store.list_runs("e")) == 3
    assert len(store.list_runs("e")) == 3  # rebuilt the cache from the run files
    assert cache.read_text().startswith('{"version":1}')
    copy = shutil.copytree(store.root, tmp_path / "copy")  # new inodes: no cache entry matches any more
    parsed: list[str] = []
    real = index_mod.read_run_summary_stamped
    monkeypatch.setattr(index_mod, "read_run_summary_stamped", lambda d, *a, **k: parsed.append(d) or real(d, *a, **k))
    assert sorted(r.name for r in tc.Store(copy).list_runs("e")) == ["r0", "r1", "r2"]
    assert len(parsed) == 3


def test_quick_refresh_rereads_only_open_runs_until_a_sweep(store: tc.Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _finished_runs(store, 30)
    live = store.start_run("e", "live", flush_interval=60)
    exp_dir = store.experiments_dir / store.get_experiment("e").id
    old = time.time() - 10
    os.utime(exp_dir / "runs", (old, old))  # no directory change "just now": quick refreshes trust it
    idx = RunIndex(store, exp_dir.name)
    assert len(idx.refresh().added) == 31
    reads: list[str] = []
    real = index_mod.read_run_summary_stamped
    monkeypatch.setattr(index_mod, "read_run_summary_stamped", lambda d, *a, **k: reads.append(d) or real(d, *a, **k))
    live.log_metric("loss", 1.0)
    live.flush()
    assert idx.refresh().updated == [live.id]
    assert [Path(r).name for r in reads] == [live.id]
    # An ended run rewritten in place (resumed elsewhere) shows at the next sweep.
    with store.start_run(run_id=ids[0]) as resumed:
        resumed.log_metric("loss", 99.0)
    os.utime(exp_dir / "runs", (old, old))
    idx.refresh()
    assert idx.runs[ids[0]].metrics["loss"].last != 99.0
    assert ids[0] in idx.refresh(full=True).updated
    assert idx.runs[ids[0]].metrics["loss"].last == 99.0
    live.end()


def test_a_times_only_index_keeps_times_and_never_writes_stripped_summaries_to_the_cache(
    store: tc.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_mod, "CACHE_REWRITE_AFTER", 1)
    ids = _finished_runs(store, 3)
    exp_id = store.get_experiment("e").id
    slim = RunIndex(store, exp_id, times_only=True)
    assert sorted(slim.refresh().added) == sorted(ids)
    full = RunIndex(store, exp_id)
    full.refresh()
    for run_id in ids:
        kept, whole = slim.runs[run_id], full.runs[run_id]
        assert (kept.status, kept.start_time, kept.end_time, kept.name) == (
            whole.status,
            whole.start_time,
            whole.end_time,
            whole.name,
        )
        assert kept.metrics == {} and whole.metrics["loss"].count == 1
    (late,) = _finished_runs(store, 1)
    assert slim.refresh(full=True).added == [late]  # parsed a run: a full index would rewrite the cache now
    cached = index_mod.load_cache(store.layout.summary_cache(exp_id), exp_id)
    assert set(ids) <= set(cached) and all(cached[i][1].metrics["loss"].count == 1 for i in ids)


def test_listing_experiments_keeps_no_full_summaries(store: tc.Store) -> None:
    _finished_runs(store, 2)
    (exp,) = store.list_experiments()
    assert exp.last_activity == max(r.end_time for r in store.list_runs("e"))
    assert all(r.metrics == {} and r.params == {} for i in store._activity.values() for r in i.runs.values())


def test_last_activity_is_the_latest_end_heartbeat_or_start_of_runs_not_deleted(store: tc.Store) -> None:
    _finished_runs(store, 2)
    exp = store.get_experiment("e")
    runs = {r.id: r for r in store.list_runs("e")}
    assert store.last_activity(exp.id) == max(r.end_time for r in runs.values())
    open_run = store.start_run("e", "open")
    try:
        listed = store.get_run(open_run.id)
        assert listed.end_time is None and listed.last_activity == (listed.heartbeat or listed.start_time)
    finally:
        open_run.end()
    latest = max(runs.values(), key=lambda r: r.end_time or 0.0)
    older = next(r for r in runs.values() if r.id != latest.id)
    ended = store.get_run(open_run.id).end_time
    assert store.last_activity(exp.id) == ended
    assert tc.records.latest_activity([older, latest._replace(deleted=True)]) == older.end_time
    assert tc.records.latest_activity([]) is None


def test_experiments_listed_without_activity_keep_their_counts(store: tc.Store) -> None:
    _finished_runs(store, 3)
    (exp,) = store.list_experiments(with_activity=False)
    assert (exp.run_count, exp.last_activity) == (3, None)
    assert store._activity == {}  # no run was read for it
    assert store.list_experiments()[0].last_activity == store.last_activity(exp.id) is not None


def test_last_activity_of_an_unknown_experiment_names_it(store: tc.Store) -> None:
    _finished_runs(store, 1)
    with pytest.raises(tc.NotFoundError, match="no experiment with id 'nope'"):
        store.last_activity("nope")
    with pytest.raises(tc.NotFoundError, match=re.escape("no experiment with id '../e'")):
        store.last_activity("../e")
