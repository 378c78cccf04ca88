"""Comparing runs side by side, picking the best run, and which way a metric should go."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import tracker_core as tc
from tracker_core.compare import Comparison, best_run, compare_runs, flatten, metric_direction
from tracker_core.config import Settings, load_settings
from tracker_core.errors import ValidationError
from tracker_core.records import MetricSummary, RunSummary

NO_CONFIG = Settings()


def summary(last: float, low: float, high: float, count: int) -> MetricSummary:
    return MetricSummary(last, low, high, count - 1, count, 0.0)


@pytest.mark.parametrize(
    "key",
    ["loss", "val_loss", "trainLoss", "error_rate", "mse", "val_rmse", "mae", "log_loss", "perplexity", "loss.max"],
)
def test_lower_is_better_for_loss_like_names(key: str) -> None:
    assert metric_direction(key, NO_CONFIG) == "min"


@pytest.mark.parametrize("key", ["accuracy", "auc_roc", "f1", "val_acc", "neg_mean_squared_error", "r2", "mse_gain"])
def test_higher_is_better_otherwise(key: str) -> None:
    expected = "min" if key == "mse_gain" else "max"  # a name with a loss-like word reads as one
    assert metric_direction(key, NO_CONFIG) == expected


def test_config_overrides_direction_by_name_and_pattern(tmp_path: Path) -> None:
    (tmp_path / "tui-track.toml").write_text('[metrics]\nloss = "max"\n"score_*" = "min"\nlatency_ms = "maximize"\n')
    settings = load_settings(tmp_path)
    assert metric_direction("loss", settings) == "max"
    assert metric_direction("loss.min", settings) == "max"  # an aggregate follows its metric
    assert metric_direction("score_time", settings) == "min"
    assert metric_direction("latency_ms", settings) == "max"
    assert metric_direction("val_loss", settings) == "min"  # not overridden: the default rule


def test_bad_direction_in_config_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "tui-track.toml").write_text('[metrics]\nloss = "down"\n')
    with pytest.raises(ValidationError, match=r"tui-track\.toml: \[metrics\] loss = 'down'; use \"min\" or \"max\""):
        metric_direction("loss", load_settings(tmp_path))


def make(name: str, **fields: object) -> RunSummary:
    return RunSummary(id=name * 8, experiment_id="e", name=name, status="finished", start_time=100.0, **fields)  # type: ignore[arg-type]


@pytest.fixture
def pair() -> list[RunSummary]:
    a = make(
        "a",
        params={"lr": 0.1, "depth": 3},
        metrics={"acc": summary(0.8, 0.5, 0.8, 5), "loss": summary(0.3, 0.3, 1.0, 5), "f1": summary(0.7, 0.7, 0.7, 1)},
        tags={"team": "x"},
        env={"python": "3.11", "git": {"commit": "abc", "dirty": False}},
    )
    b = make(
        "b",
        params={"lr": 0.01, "depth": 3},
        metrics={"acc": summary(0.9, 0.6, 0.9, 5), "loss": summary(0.2, 0.1, 0.9, 5), "f1": summary(0.7, 0.7, 0.7, 1)},
        tags={"team": "x", "extra": 1},
        env={"python": "3.11", "git": {"commit": "def", "dirty": False}},
    )
    return [a, b]


def rows(comparison: Comparison, section: str) -> dict[str, tuple[list[object], bool, int | None]]:
    return {r.key: (r.values, r.differs, r.best_index) for r in comparison.section(section)}


def test_compare_side_by_side(pair: list[RunSummary]) -> None:
    comparison = compare_runs(pair, NO_CONFIG)
    assert comparison.headers() == ["a", "b"]
    assert rows(comparison, "params") == {"depth": ([3, 3], False, None), "lr": ([0.1, 0.01], True, None)}
    metrics = rows(comparison, "metrics")
    assert metrics["acc"] == ([0.8, 0.9], True, 1)  # higher is better
    assert metrics["loss"] == ([0.3, 0.2], True, 1)  # lower is better
    assert metrics["loss.min"] == ([0.3, 0.1], True, 1)
    assert metrics["acc.max"] == ([0.8, 0.9], True, 1)
    assert metrics["f1"] == ([0.7, 0.7], False, None)  # a tie has no single best
    assert "f1.min" not in metrics  # logged once in every run: min and max would repeat the value
    assert rows(comparison, "tags") == {"extra": ([None, 1], True, None), "team": (["x", "x"], False, None)}
    assert rows(comparison, "env")["git.commit"] == (["abc", "def"], True, None)
    assert comparison.row("attributes", "name") is not None
    assert [r.section for r in comparison.rows] == sorted(
        (r.section for r in comparison.rows), key=["attributes", "params", "metrics", "tags", "env"].index
    )
    assert comparison.row("metrics", "loss") is not None and comparison.row("metrics", "loss").direction == "min"  # type: ignore[union-attr]


def test_compare_differences_only(pair: list[RunSummary]) -> None:
    comparison = compare_runs(pair, NO_CONFIG, differences_only=True)
    keys = {(r.section, r.key) for r in comparison.rows}
    assert ("params", "lr") in keys and ("env", "git.commit") in keys and ("tags", "extra") in keys
    assert ("params", "depth") not in keys and ("metrics", "f1") not in keys and ("env", "python") not in keys
    assert all(r.differs for r in comparison.rows)


def test_compare_nan_equals_nan_and_is_never_best() -> None:
    runs = [make("a", metrics={"m": summary(math.nan, math.nan, math.nan, 1)}) for _ in range(2)]
    runs.append(make("c", metrics={"m": summary(0.5, 0.5, 0.5, 1)}))
    row = compare_runs(runs[:2], NO_CONFIG).row("metrics", "m")
    assert row is not None and not row.differs
    row = compare_runs(runs, NO_CONFIG).row("metrics", "m")
    assert row is not None and row.best_index is None  # only one real value
    assert compare_runs(runs, NO_CONFIG).headers() == ["a (aaaaaaaa)", "a (aaaaaaaa)", "c"]


def test_compare_needs_runs() -> None:
    with pytest.raises(ValidationError, match="at least one run"):
        compare_runs([], NO_CONFIG)


def test_flatten() -> None:
    assert flatten({"a": {"b": {"c": 1}, "d": []}, "e": {}}) == {"a.b.c": 1, "a.d": [], "e": {}}


@pytest.fixture
def store(tmp_path: Path) -> tc.Store:
    store = tc.Store(tmp_path / "store")
    for name, accs, loss, status in [
        ("low", [0.5, 0.6], 0.9, "finished"),
        ("peak", [0.95, 0.7], 0.4, "finished"),
        ("final", [0.6, 0.8], 0.3, "finished"),
        ("nan", [math.nan], math.nan, "finished"),
        ("failed", [0.99], 0.1, "failed"),
    ]:
        run = store.start_run("sweep", name)
        for step, acc in enumerate(accs):
            run.log_metric("acc", acc, step=step)
        run.log_metric("val_loss", loss)
        run.end(status)
    return store


def test_best_run_honours_direction_aggregate_and_filter(store: tc.Store) -> None:
    assert best_run(store, "sweep", "acc", settings=NO_CONFIG).name == "failed"  # type: ignore[union-attr]
    only_finished = "attributes.status = 'finished'"
    assert best_run(store, "sweep", "acc", settings=NO_CONFIG, filter=only_finished).name == "final"  # type: ignore[union-attr]
    peak = best_run(store, "sweep", "acc", aggregate="max", settings=NO_CONFIG, filter=only_finished)
    assert peak is not None and peak.name == "peak"
    lowest_loss = best_run(store, "sweep", "val_loss", settings=NO_CONFIG, filter=only_finished)
    assert lowest_loss is not None and lowest_loss.name == "final"
    worst = best_run(store, "sweep", "val_loss", settings=NO_CONFIG, direction="max")
    assert worst is not None and worst.name == "low"  # NaN is never best, even when maximizing


def test_best_run_none_when_no_run_has_the_metric(store: tc.Store) -> None:
    assert best_run(store, "sweep", "f1", settings=NO_CONFIG) is None
    assert best_run(store, "sweep", "acc", settings=NO_CONFIG, filter="attributes.name = 'nan'") is None
    with pytest.raises(ValidationError, match="aggregate must be one of last, min, max, mean, first, count"):
        best_run(store, "sweep", "acc", aggregate="median", settings=NO_CONFIG)
