"""Analysis speed over run summaries built in memory (no disk): grouping, re-grouping and sorting groups.

    python bench/bench_analysis.py [--runs 100000] [--repeat 7]

Targets (issue 13), at 100,000 runs: grouping by one param with five metric columns under 0.5 s;
re-grouping (another param, reusing the :class:`RunColumns` of the first grouping as the app does) and
sorting the groups under 150 ms. Each figure is the median of
``--repeat`` runs, printed next to today's re-sort of the runs table (``sort_runs`` by one metric,
what the table does on each sort key) measured in the same process, so a noisy machine shows in both.
"""

from __future__ import annotations

import argparse
import random

from bench_query import median_seconds  # the same timing as the query benchmark

from tracker_core.compare import COUNT, RunColumns, group_runs
from tracker_core.query import OrderKey, sort_runs
from tracker_core.records import FINISHED, MetricSummary, RunSummary

METRICS = ["loss", "accuracy", "f1", "auc", "val_loss"]


def make_runs(n: int, seed: int = 13) -> list[RunSummary]:
    """``n`` runs of a sweep: lr (6 values), depth (8), seeds; five metrics, some missing or NaN."""
    rng = random.Random(seed)
    lrs = [0.3, 0.1, 0.03, 0.01, 0.003, 0.001]
    runs = []
    for i in range(n):
        metrics = {}
        for j, name in enumerate(METRICS):
            if (i + j) % 17 == 0:
                continue  # a run that never logged this metric
            value = rng.random() if (i + j) % 101 else float("nan")
            summary = MetricSummary.first(value, 0, 0.0)
            summary.add(value / 2, 1, 0.0)
            metrics[name] = summary
        runs.append(
            RunSummary(
                id=f"{i:032x}",
                experiment_id="bench",
                name=f"run-{i}",
                status=FINISHED,
                start_time=1_780_000_000.0 + i,
                end_time=1_780_000_030.0 + i,
                params={"lr": lrs[i % 6], "depth": rng.randrange(2, 10), "seed": i},
                metrics=metrics,
            )
        )
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    runs = make_runs(args.runs)
    columns = [f"metrics.{m}" for m in METRICS]
    group_runs(runs[:100], by=["params.lr"], metrics=columns)  # imports (numpy) outside the timings

    resort = median_seconds(lambda: sort_runs(runs, [OrderKey("metrics.loss", True)]), args.repeat)
    print(f"{args.runs:,} runs, median of {args.repeat}")
    print(f"  floor: re-sort of the runs table (sort_runs by one metric)   {resort * 1000:8.1f} ms")

    def show(label: str, seconds: float, target_ms: float) -> None:
        verdict = "ok" if seconds * 1000 < target_ms else "OVER"
        ratio = seconds / resort if resort else float("inf")
        print(f"  {label:<58} {seconds * 1000:8.1f} ms  ({ratio:4.2f}x re-sort; target <{target_ms:.0f} ms: {verdict})")

    grouping = group_runs(runs, by=["params.lr"], metrics=columns)
    show(
        "group by params.lr, five metric columns",
        median_seconds(lambda: group_runs(runs, "params.lr", columns), args.repeat),
        500,
    )
    # The app keeps what it read of each run between groupings of the same runs (GroupView.columns).
    cache = RunColumns(runs)
    group_runs(runs, "params.lr", columns, cache=cache)
    show(
        "re-group by params.depth (same runs and columns)",
        median_seconds(lambda: group_runs(runs, "params.depth", columns, cache=cache), args.repeat),
        150,
    )
    show(
        "re-group by params.lr, params.depth",
        median_seconds(lambda: group_runs(runs, ["params.lr", "params.depth"], columns, cache=cache), args.repeat),
        150,
    )
    two = group_runs(runs, ["params.lr", "params.depth"], columns)
    show(
        f"sort {len(two.groups)} groups by a metric's mean, DESC",
        median_seconds(lambda: two.sorted("metrics.loss", True), args.repeat),
        150,
    )
    show(
        f"sort {len(grouping.groups)} groups by run count",
        median_seconds(lambda: grouping.sorted(COUNT, True), args.repeat),
        150,
    )
    print("  (worst case, not a target: a group per run)")
    seconds = median_seconds(lambda: group_runs(runs, "params.seed", columns), 3)
    print(f"  {'group by params.seed (100% distinct)':<58} {seconds * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
