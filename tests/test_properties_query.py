"""Property-based tests of the filter language and order-by: any text, and any well-formed tree
rendered to text, compiles to a predicate or raises a QueryError, and never another exception."""

from __future__ import annotations

import math
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker_core.errors import TrackerError
from tracker_core.query import QueryError, compile_filter, parse_order_by, sort_runs
from tracker_core.records import MetricSummary, RunSummary

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

VALUES: list[Any] = [100, "100", 2.5, -1, "abc", "ABC", "", True, False, None, float("nan"), 2**100, [1, "a"], {"k": 1}]


def make_runs() -> list[RunSummary]:
    runs = []
    for i, value in enumerate(VALUES):
        metrics = {"m": MetricSummary(float(i), 0.0, float(i), i, i + 1, 0.0)} if i % 3 else {}
        runs.append(
            RunSummary(
                id=f"{i:032x}",
                experiment_id="e",
                name=f"run-{i}",
                status=("finished", "failed", "running", "crashed")[i % 4],
                start_time=1.7e9 + i * 3600,
                end_time=None if i % 5 == 0 else 1.7e9 + i * 3600 + 60,
                params={} if value is None else {"p": value, "q": i},
                tags={"t": str(value)},
                metrics=metrics,
            )
        )
    return runs


RUNS = make_runs()
keys = st.sampled_from(
    [
        "metrics.m",
        "metrics.m.min",
        "metric.m.max",
        "params.p",
        "params.q",
        "tags.t",
        "attributes.status",
        "attributes.start_time",
        "attributes.end_time",
        "attributes.duration",
        "attributes.run_name",
        "params.`odd key`",
        'tags."quoted"',
        "params.missing",
    ]
)
literals = (
    st.integers(min_value=-(10**400), max_value=10**400).map(str)
    | st.floats(allow_nan=False).map(repr)
    | st.sampled_from(["NaN", "inf", "TRUE", "false", "1e400", "-1e999", "0x10"])
    | st.text(max_size=40).map(lambda t: "'" + t.replace("'", "''") + "'")
    | st.sampled_from(
        [
            "'9999-12-31'",
            "'0001-01-01'",
            "'2026-11-01 14:30'",
            "'3d ago'",
            "'1e300d ago'",
            "'today'",
            "'5m'",
            "'finished'",
            "'a{1,99999999999}'",
            "'(('",
            "'%a%a%a%a%a%a%a%a%a%a%b'",
            "'\\%_'",
        ]
    )
)
operators = st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "LIKE", "NOT LIKE", "ILIKE", "RLIKE"])


@st.composite
def conditions(draw: st.DrawFn) -> str:
    key = draw(keys)
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return f"{key} IS {draw(st.sampled_from(['', 'NOT ']))}NULL"
    if kind == 1:
        items = draw(st.lists(literals, min_size=1, max_size=4))
        return f"{key} {draw(st.sampled_from(['IN', 'NOT IN']))} ({', '.join(items)})"
    return f"{key} {draw(operators)} {draw(literals)}"


trees = st.recursive(
    conditions(),
    lambda inner: (
        st.tuples(inner, st.sampled_from(["AND", "OR", "and"]), inner).map(" ".join)
        | inner.map(lambda t: f"({t})")
        | inner.map(lambda t: f"NOT ({t})")
    ),
    max_leaves=6,
)


def check_filter(text: str) -> None:
    try:
        predicate = compile_filter(text)
    except QueryError as exc:
        assert 1 <= exc.column <= len(text) + 1 and f"column {exc.column}" in str(exc)
        return
    matched = [r for r in RUNS if predicate(r)]
    assert all(isinstance(r, RunSummary) for r in matched)


@given(trees)
def test_any_well_formed_filter_compiles_or_is_a_query_error(text: str) -> None:
    check_filter(text)


@given(st.text(alphabet=st.sampled_from(list("metricsparamtg.`'\"()=<>!%_ ANDORNOTLIKEIN,0123456789-e")), max_size=60))
def test_any_filter_text_compiles_or_is_a_query_error(text: str) -> None:
    check_filter(text)


@given(st.text(max_size=60))
def test_arbitrary_unicode_filter_text(text: str) -> None:
    check_filter(text)


order_items = st.tuples(st.sampled_from(["", "-"]), keys, st.sampled_from(["", " ASC", " DESC", " desc"])).map("".join)


@given(st.lists(order_items, min_size=1, max_size=3).map(", ".join) | st.text(max_size=40))
def test_order_by_sorts_deterministically_or_is_a_query_error(text: str) -> None:
    try:
        order = parse_order_by(text)
    except TrackerError:
        return
    first = sort_runs(RUNS, order)
    again = sort_runs(list(reversed(RUNS)), order)
    assert sorted(r.id for r in first) == sorted(r.id for r in RUNS)
    if order:
        key = order[0].key
        from tracker_core.query import getter_for

        get = getter_for(key)
        values = [get(r) for r in first]
        present = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
        assert values[: len(present)] == present  # missing and NaN last
        # Whatever the input order, the present values come out in the same order (ties aside).
        assert [repr(get(r)) for r in again][: len(present)] == [repr(v) for v in present]
