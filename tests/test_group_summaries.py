"""Metric summaries carry a sum and a first value: written by the run writer, read back checked,
older ``run.json`` files without them still readable, and the query keys ``.mean``/``.first``."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest

import tracker_core as tc
from tracker_core.query import value_of
from tracker_core.records import FINISHED, UNREADABLE
from tracker_core.storage.layout import SUMMARY_CACHE_FILE as CACHE_FILE


def _run_file(store: tc.Store, run_id: str) -> Path:
    return store.experiments_dir / store.get_run(run_id).experiment_id / "runs" / run_id / "run.json"


def _log(store: tc.Store, points: list[tuple[float, int]], name: str = "r") -> str:
    with store.start_run("e", name) as run:
        for value, step in points:
            run.log_metric("loss", value, step=step)
    return run.id


def test_writer_records_sum_and_first_and_keys_read_them(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    values = [0.9, 0.5, 0.7, 0.2]
    run_id = _log(store, [(v, i) for i, v in enumerate(values)])
    data = json.loads(_run_file(store, run_id).read_text())["metrics"]["loss"]
    assert data["sum"] == pytest.approx(sum(values)) and data["first"] == 0.9 and data["first_step"] == 0
    (run,) = store.list_runs("e")
    assert value_of(run, "metrics.loss.mean") == pytest.approx(statistics.mean(values))
    assert value_of(run, "metrics.loss.first") == 0.9
    assert value_of(run, "metrics.loss.count") == 4
    assert run.metric("loss", "mean") == pytest.approx(statistics.mean(values))
    assert run.to_dict()["metrics"]["loss"]["first"] == 0.9
    assert [r.id for r in tc.search_runs(store, "e", filter="metrics.loss.mean < 0.6")] == [run_id]
    assert tc.search_runs(store, "e", filter="metrics.loss.first > 0.95") == []


def test_first_is_the_lowest_step_and_nan_makes_the_mean_nan(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    run_id = _log(store, [(5.0, 3), (4.0, 1), (9.0, 1), (1.0, 7)])
    (run,) = store.list_runs("e")
    m = run.metrics["loss"]
    assert (m.first_value, m.first_step, m.last, m.step) == (4.0, 1, 1.0, 7)  # earliest logged of step 1
    nan_id = _log(store, [(1.0, 0), (math.nan, 1), (3.0, 2)], name="n")
    nan_run = store.get_run(nan_id)
    assert math.isnan(nan_run.metric("loss", "mean") or 0.0)
    assert (nan_run.metrics["loss"].min, nan_run.metrics["loss"].max) == (1.0, 3.0)
    # NaN survives the strict-JSON round trip of run.json
    assert json.loads(_run_file(store, nan_id).read_text())["metrics"]["loss"]["sum"] == {"$float": "NaN"}
    assert run_id != nan_id


def _strip_new_fields(path: Path) -> None:
    data = json.loads(path.read_text())
    for m in data["metrics"].values():
        for field in ("sum", "first", "first_step"):
            m.pop(field)
    path.write_text(json.dumps(data))


def test_older_run_files_stay_readable(tmp_path: Path) -> None:
    """Without sum/first: a metric logged once derives them, one logged more often has them missing."""
    store = tc.Store(tmp_path / "s")
    with store.start_run("e", "old") as run:
        run.log_metric("acc", 0.8)
        run.log_metric("loss", 1.0, step=0)
        run.log_metric("loss", 0.5, step=1)
    _strip_new_fields(_run_file(store, run.id))
    (listed,) = store.list_runs("e")
    assert listed.status == FINISHED
    assert listed.metric("acc", "mean") == 0.8 and listed.metric("acc", "first") == 0.8
    assert listed.metric("loss", "mean") is None and listed.metric("loss", "first") is None
    assert listed.metric("loss", "min") == 0.5
    assert value_of(listed, "metrics.loss.mean") is None
    # Resuming keeps them unknown rather than inventing a partial sum; the rewritten file stays valid.
    with store.start_run(run_id=run.id) as resumed:
        resumed.log_metric("loss", 0.25, step=2)
    again = store.get_run(run.id)
    assert again.metric("loss", "mean") is None and again.metric("loss", "count") == 3
    assert again.metric("acc", "mean") == 0.8


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("sum", "12", 'metrics.loss.sum" must be a number'),
        ("first", [1], 'metrics.loss.first" must be a number'),
        ("first_step", 1.5, 'metrics.loss.first_step" must be an integer'),
        ("first_step", None, 'needs both "first" and "first_step"'),
    ],
)
def test_bad_new_fields_make_the_run_unreadable_with_a_reason(
    tmp_path: Path, field: str, value: object, reason: str
) -> None:
    store = tc.Store(tmp_path / "s")
    bad = _log(store, [(1.0, 0), (2.0, 1)], name="bad")
    good = _log(store, [(1.0, 0)], name="good")
    path = _run_file(store, bad)
    data = json.loads(path.read_text())
    data["metrics"]["loss"][field] = value
    if value is None:
        del data["metrics"]["loss"][field]
    path.write_text(json.dumps(data))
    runs = {r.id: r for r in store.list_runs("e")}
    assert runs[bad].status == UNREADABLE and reason in (runs[bad].error or "")
    assert runs[good].status == FINISHED


def test_summary_cache_keeps_the_new_fields(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tracker_core.index as index_mod

    monkeypatch.setattr(index_mod, "CACHE_REWRITE_AFTER", 1)
    store = tc.Store(tmp_path / "s")
    run_id = _log(store, [(3.0, 0), (1.0, 1)])
    store.list_runs("e")  # writes the cache
    cache = store.experiments_dir / store.get_run(run_id).experiment_id / CACHE_FILE
    assert cache.exists()
    parsed: list[object] = []
    real = index_mod.read_run_summary_stamped
    monkeypatch.setattr(index_mod, "read_run_summary_stamped", lambda d, *a, **k: parsed.append(d) or real(d, *a, **k))
    (cached,) = store.list_runs("e")
    assert parsed == []  # from the cache
    assert (cached.metric("loss", "mean"), cached.metric("loss", "first")) == (2.0, 3.0)
