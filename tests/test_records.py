"""The records the store returns behave as value objects: by-field equality, repr, copies with changes."""

from __future__ import annotations

import copy
import math
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tracker_core as tc
from tracker_core.records import MetricSummary, RunSummary


def _summary(**fields: object) -> RunSummary:
    return RunSummary("a" * 32, "e", "r", "finished", 1.0, **fields)  # type: ignore[arg-type]


def test_left_out_collections_are_new_empty_ones_per_record() -> None:
    first, second = _summary(), _summary()
    first.params["lr"] = 0.1
    first.tags["t"] = 1
    first.metrics["m"] = MetricSummary.first(1.0, 0, 0.0)
    first.env["python"] = "3"
    first.events.append({"time": 1.0, "event": "resumed"})
    assert (second.params, second.tags, second.metrics, second.env, second.events) == ({}, {}, {}, {}, [])


def test_equality_is_by_class_and_every_field() -> None:
    assert _summary(params={"lr": 0.1}) == _summary(params={"lr": 0.1})
    assert _summary(params={"lr": 0.1}) != _summary(params={"lr": 0.2})
    assert _summary(heartbeat=2.0) != _summary()
    assert MetricSummary(1.0, 1.0, 1.0, 0, 1, 0.0) != (1.0, 1.0, 1.0, 0, 1, 0.0, None, None, None)
    nan = math.nan  # the same NaN object compares equal, as in a tuple or a dataclass
    assert MetricSummary(nan, nan, nan, 0, 1, 0.0) == MetricSummary(nan, nan, nan, 0, 1, 0.0)


def test_mutable_records_are_unhashable_and_the_read_only_ones_hash_by_value() -> None:
    with pytest.raises(TypeError):
        hash(_summary())
    with pytest.raises(TypeError):
        hash(MetricSummary.first(1.0, 0, 0.0))
    assert len({tc.MetricPoint("m", 1.0, 0, 0.0), tc.MetricPoint("m", 1.0, 0, 0.0)}) == 1
    assert hash(tc.ArtifactInfo("a.txt", 3)) == hash(tc.ArtifactInfo("a.txt", 3, False))


def test_repr_names_the_class_and_every_field() -> None:
    text = repr(MetricSummary(0.5, 0.1, 0.9, 3, 4, 10.0, 2.0, 0.9, 0))
    assert text == (
        "MetricSummary(last=0.5, min=0.1, max=0.9, step=3, count=4, timestamp=10.0,"
        " sum=2.0, first_value=0.9, first_step=0)"
    )
    shown = repr(_summary())
    assert shown.startswith(f"RunSummary(id='{'a' * 32}', experiment_id='e', name='r', status='finished',")
    assert shown.endswith(", deleted=False, heartbeat=None, events=[])")


def test_replace_copies_with_changes_and_refuses_unknown_fields() -> None:
    original = _summary(params={"lr": 0.1})
    changed = original._replace(status="crashed", end_time=5.0)
    assert (changed.status, changed.end_time, changed.params) == ("crashed", 5.0, {"lr": 0.1})
    assert (original.status, original.end_time) == ("finished", None)
    with pytest.raises(ValueError, match="RunSummary has no field 'colour'"):
        original._replace(colour="red")
    exp = tc.Experiment("e1", "demo", 1.0, {})
    assert exp._replace(run_count=3) == tc.Experiment("e1", "demo", 1.0, {}, run_count=3)


def test_records_pickle_and_copy() -> None:
    summary = _summary(metrics={"loss": MetricSummary(0.5, 0.1, 0.9, 3, 4, 10.0, 2.0, 0.9, 0)}, pid=7)
    assert pickle.loads(pickle.dumps(summary)) == summary
    deep = copy.deepcopy(summary)
    assert deep == summary and deep.metrics["loss"] is not summary.metrics["loss"]
    assert copy.copy(summary).metrics is summary.metrics


names = st.text(max_size=8)
floats = st.floats(allow_nan=False)


@given(last=floats, low=floats, high=floats, step=st.integers(), count=st.integers(min_value=1), when=floats)
def test_metric_summary_replace_of_each_field_changes_only_that_field(
    last: float, low: float, high: float, step: int, count: int, when: float
) -> None:
    summary = MetricSummary(last, low, high, step, count, when)
    for name in MetricSummary._fields:
        changed = summary._replace(**{name: "x"})
        assert getattr(changed, name) == "x"
        others = [other for other in MetricSummary._fields if other != name]
        assert [getattr(changed, other) for other in others] == [getattr(summary, other) for other in others]
    assert summary._replace() == summary and summary._replace() is not summary
