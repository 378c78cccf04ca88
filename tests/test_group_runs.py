"""tracker_core.compare.group_runs against a straightforward reference (statistics.mean/stdev per group),
with NaN, missing values, mixed group values, and generated runs."""

from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracker_core as tc
from tracker_core.compare import COUNT, common_metrics, group_key, group_runs, metric_column, metric_counts
from tracker_core.errors import ValidationError
from tracker_core.records import MetricSummary, RunSummary

NAN = math.nan


def run(i: int, params: dict[str, Any] | None = None, tags: dict[str, Any] | None = None, **metrics: Any) -> RunSummary:
    """A run whose metrics are given by value (one point) or as a MetricSummary."""
    summaries = {k: v if isinstance(v, MetricSummary) else MetricSummary.first(v, 0, 0.0) for k, v in metrics.items()}
    return RunSummary(f"{i:032x}", "e", f"r{i}", "finished", float(i), params=params or {}, tags=tags or {},
                      metrics=summaries)  # fmt: skip


def reference(runs: list[RunSummary], by: list[str], metric: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Per group of equal param values: the run count, and mean/stdev/min/max of the metric's non-NaN values."""
    groups: dict[tuple[Any, ...], list[RunSummary]] = {}
    for r in runs:
        groups.setdefault(tuple(r.params.get(k) for k in by), []).append(r)
    out = {}
    for key, members in groups.items():
        present = [r.metrics[metric].last for r in members if metric in r.metrics]
        values = [v for v in present if not math.isnan(v)]
        out[key] = {
            "count": len(members),
            "n": len(values),
            "missing": len(members) - len(present),
            "nan": len(present) - len(values),
            "mean": statistics.mean(values) if values else None,
            "std": statistics.stdev(values) if len(values) > 1 else None,
            "min": min(values) if values else None,
            "max": max(values) if values else None,
        }
    return out


def close(a: float | None, b: float | None, scale: float) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12 * scale)


def check_against_reference(runs: list[RunSummary], by: list[str], metric: str) -> None:
    grouping = group_runs(runs, by=[f"params.{k}" for k in by], metrics=[metric])
    expected = reference(runs, by, metric)
    assert sorted(g.count for g in grouping.groups) == sorted(e["count"] for e in expected.values())
    assert sum(g.count for g in grouping.groups) == len(runs)
    for group in grouping.groups:
        want = expected[group.values]
        assert {r.id for r in group.runs} == {r.id for r in runs if tuple(r.params.get(k) for k in by) == group.values}
        s = group.stats(metric)
        assert (group.count, s.count, s.missing, s.nan) == (want["count"], want["n"], want["missing"], want["nan"])
        values = [r.metrics[metric].last for r in group.runs if metric in r.metrics]
        scale = max((abs(v) for v in values if v == v), default=1.0)
        for stat in ("mean", "std", "min", "max"):
            assert close(getattr(s, stat), want[stat], scale), (stat, group.values, getattr(s, stat), want[stat])


def test_mean_and_std_per_group_match_statistics() -> None:
    runs = [
        run(i, {"lr": lr, "depth": d}, loss=v)
        for i, (lr, d, v) in enumerate(
            [(0.1, 2, 0.5), (0.1, 2, 0.7), (0.1, 2, 0.9), (0.1, 3, 0.2), (0.01, 2, 0.4), (0.01, 2, 0.6)]
        )
    ]
    check_against_reference(runs, ["lr"], "loss")
    check_against_reference(runs, ["lr", "depth"], "loss")
    grouping = group_runs(runs, by="params.lr", metrics="loss")
    assert [g.values for g in grouping.groups] == [(0.01,), (0.1,)]  # sorted by value
    (low, high) = grouping.groups
    assert low.stats("metrics.loss").mean == pytest.approx(0.5)
    assert high.stats("loss").std == pytest.approx(statistics.stdev([0.5, 0.7, 0.9, 0.2]))
    assert high.value("loss", "max") == 0.9 and high.value("loss", "count") == 4


def test_nan_and_missing_are_left_out_and_counted() -> None:
    runs = [
        run(0, {"lr": 1}, loss=1.0),
        run(1, {"lr": 1}, loss=NAN),
        run(2, {"lr": 1}),  # never logged loss
        run(3, {"lr": 1}, loss=3.0),
        run(4, {"lr": 2}, loss=NAN),
        run(5, {"lr": 3}),
        run(6, {"lr": 4}, loss=5.0),
    ]
    g = {grp.values[0]: grp for grp in group_runs(runs, "lr", "loss").groups}
    s = g[1].stats("loss")
    assert (s.count, s.missing, s.nan, s.mean, s.min, s.max) == (2, 1, 1, 2.0, 1.0, 3.0)
    assert s.std == pytest.approx(statistics.stdev([1.0, 3.0]))
    only_nan = g[2].stats("loss")
    assert (only_nan.count, only_nan.nan, only_nan.mean, only_nan.std, only_nan.min) == (0, 1, None, None, None)
    none = g[3].stats("loss")
    assert (none.count, none.missing, none.mean) == (0, 1, None)
    single = g[4].stats("loss")
    assert (single.mean, single.std, single.min, single.max) == (5.0, None, 5.0, 5.0)  # one run: no spread
    check_against_reference(runs, ["lr"], "loss")


def test_infinities_and_equal_values() -> None:
    runs = [run(0, {"a": 1}, m=math.inf), run(1, {"a": 1}, m=1.0), run(2, {"a": 2}, m=0.1), run(3, {"a": 2}, m=0.1)]
    runs += [run(4, {"a": 3}, m=math.inf), run(5, {"a": 3}, m=-math.inf)]
    runs += [run(6, {"a": 4}, m=1e308), run(7, {"a": 4}, m=-1e308), run(8, {"a": 4}, m=1e308)]
    g = {grp.values[0]: grp.stats("m") for grp in group_runs(runs, "a", "m").groups}
    assert g[1].mean == math.inf and math.isnan(g[1].std or 0.0) and g[1].max == math.inf
    assert (g[2].mean, g[2].std) == (0.1, 0.0)  # exactly: no rounding crumbs from sums
    assert math.isnan(g[3].mean or 0.0) and (g[3].min, g[3].max) == (-math.inf, math.inf)
    assert g[4].mean == pytest.approx(statistics.mean([1e308, -1e308, 1e308]), rel=1e-9)
    assert g[4].std == pytest.approx(statistics.stdev([1e308, -1e308, 1e308]), rel=1e-9)


def test_group_values_compare_like_the_query_language() -> None:
    runs = [
        run(0, {"lr": 1}, m=1.0),
        run(1, {"lr": 1.0}, m=2.0),  # 1 and 1.0: one group
        run(2, {"lr": True}, m=3.0),  # True is not 1
        run(3, {"lr": "1"}, m=4.0),  # nor is the text "1"
        run(4, {"lr": NAN}, m=5.0),
        run(5, {"lr": NAN}, m=6.0),  # NaN params share one group
        run(6, {"lr": [1, {"a": 2}]}, m=7.0),
        run(7, {"lr": [1, {"a": 2}]}, m=8.0),
        run(8, {}, m=9.0),
        run(9, {"lr": None}, m=10.0),  # JSON null groups with missing
    ]
    grouping = group_runs(runs, "lr", "m")
    sizes = {repr(g.values[0]): g.count for g in grouping.groups}
    assert sizes == {"1": 2, "True": 1, "'1'": 1, "nan": 2, "[1, {'a': 2}]": 2, "None": 2}
    last_two = [g.values[0] for g in grouping.groups[-2:]]  # missing and NaN sort last
    assert None in last_two and any(isinstance(v, float) and math.isnan(v) for v in last_two)
    assert [grouping.label(g) for g in grouping.groups if g.count == 2 and g.values[0] == [1, {"a": 2}]] == [
        'lr=[1, {"a": 2}]'
    ]


def test_keys_plain_names_ambiguity_and_errors() -> None:
    runs = [run(0, {"lr": 1, "both": 1}, {"team": "a", "both": "x"}, loss=1.0), run(1, {"lr": 2}, {"team": "b"})]
    assert group_key("lr", runs) == "params.lr"
    assert group_key("team", runs) == "tags.team"
    assert group_key("param.lr", runs) == "params.lr"
    assert group_key("status", runs) == "attributes.status"
    assert group_key("lr", []) == "params.lr"  # nothing to look at: a param
    with pytest.raises(ValidationError, match=r"ambiguous: write one of params\.both, tags\.both"):
        group_key("both", runs)
    with pytest.raises(ValidationError, match=r"no param or tag 'nope'.*params: both, lr; tags: both, team"):
        group_key("nope", runs)
    with pytest.raises(ValidationError, match="metrics are what groups aggregate"):
        group_runs(runs, by="metrics.loss")
    with pytest.raises(ValidationError, match="at least one key"):
        group_runs(runs, by=" , ")
    with pytest.raises(ValidationError, match="not a metric"):
        group_runs(runs, by="lr", metrics="params.lr")
    assert metric_column("loss") == "metrics.loss"
    assert metric_column("loss.min") == "metrics.loss.min"  # the aggregate, or a metric named so
    assert metric_column("metrics.`loss`.mean") == "metrics.`loss`.mean"
    by_status = group_runs(runs, by="status", metrics=None)
    assert [(g.values, g.count) for g in by_status.groups] == [(("finished",), 2)]


def test_aggregate_columns_and_default_metrics() -> None:
    curve = MetricSummary.first(1.0, 0, 0.0)
    for step, value in enumerate([0.5, 0.25], start=1):
        curve.add(value, step, 0.0)
    runs = [run(0, {"a": 1}, loss=curve, acc=0.5), run(1, {"a": 1}, loss=MetricSummary.first(2.0, 0, 0.0))]
    grouping = group_runs(runs, "a", ["loss.min", "loss.mean", "loss.first", "loss.count"])
    (group,) = grouping.groups
    assert group.stats("loss.min").mean == pytest.approx((0.25 + 2.0) / 2)
    assert group.stats("loss.mean").mean == pytest.approx((1.75 / 3 + 2.0) / 2)
    assert group.stats("loss.first").mean == pytest.approx(1.5)
    assert group.stats("loss.count").mean == pytest.approx(2.0)
    assert group_runs(runs, "a").metrics == ["metrics.loss", "metrics.acc"]  # most common first
    assert metric_counts(runs) == {"loss": 2, "acc": 1}
    assert common_metrics({"loss": 9, "acc": 10, "rare": 2, "b": 9}, 10) == ["acc", "b", "loss"]
    assert common_metrics({"x": 1, "y": 1, "z": 2}, 10) == ["z"]  # none reaches half: the most common
    assert common_metrics({}, 0) == []


def test_sorted_by_count_value_and_statistic() -> None:
    runs = [run(i, {"lr": lr}, loss=v) for i, (lr, v) in enumerate([(1, 0.9), (1, 0.8), (1, 0.7), (2, 0.1), (3, NAN)])]
    grouping = group_runs(runs, "lr", "loss")
    assert [g.values[0] for g in grouping.sorted(COUNT, descending=True).groups] == [1, 2, 3]
    assert [g.values[0] for g in grouping.sorted("params.lr", descending=True).groups] == [3, 2, 1]
    assert [g.values[0] for g in grouping.sorted("lr", descending=True).groups] == [3, 2, 1]
    assert [g.values[0] for g in grouping.sorted("loss").groups] == [2, 1, 3]  # NaN-only group last
    assert [g.values[0] for g in grouping.sorted("loss", descending=True).groups] == [1, 2, 3]
    assert grouping.sorted("loss", stat="std").groups[0].values == (1,)
    with pytest.raises(ValidationError, match="cannot sort groups by 'acc'"):
        grouping.sorted("acc")
    with pytest.raises(ValidationError, match="unknown statistic"):
        grouping.sorted("loss", stat="median")  # type: ignore[arg-type]
    record = grouping.to_records()[0]
    assert record["by"] == {"params.lr": 1} and record["count"] == 3 and len(record["run_ids"]) == 3
    assert record["metrics"]["metrics.loss"]["mean"] == pytest.approx(0.8)


def test_from_a_real_store(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    for lr in (0.1, 0.01):
        for seed in range(3):
            with store.start_run("sweep", f"lr{lr}-s{seed}") as r:
                r.log_params({"lr": lr, "seed": seed})
                for step in range(3):
                    r.log_metric("loss", lr * (seed + 1) / (step + 1), step=step)
    runs = store.list_runs("sweep")
    grouping = group_runs(runs, by=["lr"], metrics=["loss", "loss.mean"])
    assert [(g.values, g.count) for g in grouping.groups] == [((0.01,), 3), ((0.1,), 3)]
    check_against_reference(runs, ["lr"], "loss")
    mean_of_means = grouping.groups[1].stats("loss.mean").mean
    assert mean_of_means == pytest.approx(statistics.mean(0.1 * (s + 1) * (1 + 1 / 2 + 1 / 3) / 3 for s in range(3)))


values = st.one_of(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.just(NAN), st.none(), st.integers(-5, 5)
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0.1, 0.01, 1, "a", None]), st.sampled_from([1, 2]), values),
        min_size=0,
        max_size=40,
    )
)
def test_generated_runs_match_the_reference(rows: list[tuple[Any, int, Any]]) -> None:
    runs = []
    for i, (lr, depth, value) in enumerate(rows):
        params = {"depth": depth} if lr is None else {"lr": lr, "depth": depth}
        metrics = {} if value is None else {"loss": float(value)}
        runs.append(run(i, params, **metrics))
    check_against_reference(runs, ["lr"], "loss")
    check_against_reference(runs, ["lr", "depth"], "loss")


def test_a_cache_of_the_same_runs_gives_the_same_groups_and_one_of_other_runs_is_not_used() -> None:
    from tracker_core.compare import RunColumns

    runs = [run(i, {"lr": i % 3, "depth": i % 2}, loss=float(i), acc=i / 10) for i in range(12)]
    cache = RunColumns(runs)
    for by in (["lr"], ["depth"], ["lr", "depth"]):  # re-groupings reuse the columns read the first time
        cached = group_runs(runs, by, ["loss", "acc.max"], cache=cache).to_records()
        assert cached == group_runs(runs, by, ["loss", "acc.max"]).to_records()
    assert set(cache._metrics) == {metric_column("loss"), metric_column("acc.max")}
    others = [run(i, {"lr": 0}, loss=100.0 + i) for i in range(12)]  # as many runs, other objects
    assert not cache.matches(others)
    (group,) = group_runs(others, "lr", "loss", cache=cache).groups
    assert group.stats("loss").min == 100.0
