"""Filter and sort speed over run summaries built in memory (no disk): medians of several runs.

    python bench/bench_query.py [--runs 100000] [--repeat 7] [--cli-store PATH [--experiment NAME]]

Targets (issue 4): filter plus sort over 100,000 summaries in under 0.5 s; with ``--cli-store`` (e.g. a
10,000-run store from ``python bench/big_store.py /tmp/q10k 10000``) the wall time of the whole
``tui-track runs EXP --sort metrics.m0 --limit 20`` command, first (cold cache) and then warm: under 1 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tracker_core.query import compile_filter, parse_order_by, search_runs, sort_runs
from tracker_core.records import FINISHED, STATUSES, MetricSummary, RunSummary

FILTERS = {
    "metric threshold": "metrics.accuracy > 0.9",
    "mixed AND/OR": "metrics.accuracy > 0.8 AND (params.model = 'rf' OR params.n_estimators >= 150)",
    "LIKE + status": "params.model LIKE 'g%' AND attributes.status = 'finished'",
    "IN + aggregate": "params.model IN ('rf', 'svm') AND metrics.loss.min < 0.2",
    "time + NOT": "attributes.start_time > '2026-07-01' AND NOT tags.team = 'growth'",
}
SORTS = {
    "one metric DESC": "metrics.accuracy DESC",
    "param then metric": "params.max_depth, metrics.loss.min",
}


def make_runs(n: int, seed: int = 7) -> list[RunSummary]:
    """``n`` varied summaries: some metrics missing or NaN, mixed params."""
    rng = random.Random(seed)
    models = ["rf", "gbm", "svm", "logreg", "mlp"]
    runs = []
    for i in range(n):
        acc = rng.random()
        metrics = {"loss": MetricSummary(rng.random(), rng.random() / 2, 1.0, 99, 100, 0.0)}
        if i % 10:
            metrics["accuracy"] = MetricSummary(acc if i % 97 else float("nan"), acc, acc, 0, 1, 0.0)
        params: dict[str, object] = {"model": models[i % 5], "n_estimators": rng.randrange(10, 300)}
        if i % 3:
            params["max_depth"] = rng.randrange(2, 20)
        runs.append(
            RunSummary(
                id=f"{i:032x}",
                experiment_id="bench",
                name=f"run-{i}",
                status=FINISHED if i % 7 else STATUSES[i % len(STATUSES)],
                start_time=1_780_000_000.0 + i * 60,
                end_time=1_780_000_000.0 + i * 60 + 30,
                params=params,
                tags={"team": "growth" if i % 2 else "core"},
                metrics=metrics,
            )
        )
    return runs


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_cli(store: str, experiment: str, repeat: int) -> None:
    """Wall time of the whole command in a fresh interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("tui-track")  # the console script beside this interpreter
    command = [str(script), "--store", store, "runs", experiment]
    command += ["--sort", "metrics.m0 DESC", "--limit", "20", "--plain"]

    def once() -> float:
        t0 = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0

    first = once()
    warm = statistics.median(once() for _ in range(repeat))
    print(f"  tui-track runs {experiment} --sort metrics.m0 --limit 20: first {first:.2f} s, warm median {warm:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--cli-store", help="also time the tui-track runs command on this store")
    parser.add_argument("--experiment", default="bench", help="experiment of --cli-store (default: bench)")
    args = parser.parse_args()
    if args.cli_store:
        bench_cli(args.cli_store, args.experiment, args.repeat)
    runs = make_runs(args.runs)
    print(f"{args.runs} summaries in memory, median of {args.repeat} runs")
    for label, text in FILTERS.items():
        pred = compile_filter(text)
        matched = sum(1 for r in runs if pred(r))
        t = median_seconds(lambda p=pred: [r for r in runs if p(r)], args.repeat)
        print(f"  filter {label:<20} {t * 1000:7.1f} ms  ({matched} match)  {text}")
    for label, text in SORTS.items():
        keys = parse_order_by(text)
        t = median_seconds(lambda k=keys: sort_runs(runs, k), args.repeat)
        print(f"  sort   {label:<20} {t * 1000:7.1f} ms  {text}")
    f, o = FILTERS["mixed AND/OR"], SORTS["one metric DESC"]
    t = median_seconds(lambda: search_runs(None, filter=f, order_by=o, limit=20, runs=runs), args.repeat)
    print(f"  search_runs filter+sort+limit 20: {t * 1000:7.1f} ms (target < 500 ms)")
    broad, two = "metrics.loss.min < 0.45 OR params.model != 'rf'", SORTS["param then metric"]
    t = median_seconds(lambda: search_runs(None, filter=broad, order_by=two, runs=runs), args.repeat)
    print(f"  search_runs broad filter (most runs) + 2-key sort, no limit: {t * 1000:7.1f} ms (target < 500 ms)")
    t = median_seconds(lambda: compile_filter(f), args.repeat * 10)
    print(f"  compile one filter: {t * 1e6:.0f} us")


if __name__ == "__main__":
    main()
