"""Benchmarks of moving runs between stores: MLflow import and store sync. Prints medians.

    python bench/bench_interop.py                  # both, at the sizes of issue 7
    python bench/bench_interop.py --runs 200 --sync-runs 2000 --repeat 3

Import: an MLflow store (SQLite, and the file store) of RUNS runs with 10 params and 5 metrics
of 100 steps each, imported into an empty tui-track store (target: 1,000 runs in under 10 s).
Sync: a store of SYNC_RUNS runs merged into a copy of itself after 100 runs changed (target:
10,000 runs with 100 changed in under 2 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import tracker_core as tc
from tracker_core.store import new_id
from tracker_core.sync import sync


def build_mlflow(uri: str, runs: int, artifact_root: Path) -> None:
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("bench", artifact_location=artifact_root.as_uri())
    t0 = int(time.time() * 1000)
    for i in range(runs):
        run = client.create_run(exp, start_time=t0 + i, run_name=f"run-{i}")
        metrics = [Metric(f"m{k}", 1.0 / (s + 1 + k), t0 + s, s) for k in range(5) for s in range(100)]
        params = [Param(f"p{k}", str(i * k)) for k in range(10)]
        client.log_batch(run.info.run_id, metrics=metrics, params=params)
        client.set_terminated(run.info.run_id, "FINISHED", end_time=t0 + 1000 + i)


def bench_import(runs: int, repeat: int, work: Path) -> None:
    from tracker_core.interop.mlflow_import import import_mlflow

    sources = {
        "sqlite": f"sqlite:///{work / 'mlflow.db'}",
        "file": str(work / "mlruns"),
    }
    for kind, source in sources.items():
        started = time.perf_counter()
        build_mlflow(source if kind == "sqlite" else Path(source).as_uri(), runs, work / f"artifacts-{kind}")
        print(f"built MLflow {kind} store of {runs} runs in {time.perf_counter() - started:.1f} s", flush=True)
        times = []
        for i in range(repeat):
            target = tc.Store(work / f"import-{kind}-{i}")
            started = time.perf_counter()
            report = import_mlflow(target, source)
            times.append(time.perf_counter() - started)
            assert report.imported == runs, report
        again = time.perf_counter()
        import_mlflow(target, source)
        noop = time.perf_counter() - again
        print(
            f"import mlflow ({kind}): {runs} runs x (10 params, 5 metrics x 100 steps): "
            f"median {statistics.median(times):.2f} s of {repeat} ({runs / statistics.median(times):.0f} runs/s); "
            f"re-import (nothing new) {noop:.2f} s",
            flush=True,
        )


def build_store(root: Path, runs: int) -> tc.Store:
    """One real run, copied ``runs`` times under new ids (fast to build, realistic to read)."""
    store = tc.Store(root)
    with store.start_run("bench", "template") as run:
        run.log_params({f"p{k}": k for k in range(10)})
        for step in range(100):
            run.log_metrics({f"m{k}": 1.0 / (step + 1 + k) for k in range(5)}, step=step)
        run.log_text("result\n", "result.txt")
    runs_dir = run.dir.parent
    for _ in range(runs - 1):
        shutil.copytree(run.dir, runs_dir / new_id(), copy_function=shutil.copy2)
    return store


def bench_sync(runs: int, changed: int, repeat: int, work: Path) -> None:
    started = time.perf_counter()
    source = build_store(work / "box", runs)
    print(f"built a store of {runs} runs in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    first = sync(source.root, work / "merged")
    print(f"sync into an empty store: {first.copied} runs in {time.perf_counter() - started:.2f} s", flush=True)
    ids = [r.id for r in source.list_runs()]
    times, noop = [], []
    for i in range(repeat):
        for run_id in ids[i * changed : (i + 1) * changed]:
            run = source.start_run(run_id=run_id)
            run.log_metric("m0", 0.0)
            run.end()
        started = time.perf_counter()
        report = sync(source.root, work / "merged")
        times.append(time.perf_counter() - started)
        assert report.updated == changed, report
        started = time.perf_counter()
        sync(source.root, work / "merged")
        noop.append(time.perf_counter() - started)
    print(
        f"sync {runs} runs, {changed} changed: median {statistics.median(times):.2f} s of {repeat}; "
        f"nothing changed: median {statistics.median(noop):.2f} s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="MLflow runs to import")
    parser.add_argument("--sync-runs", type=int, default=10_000, help="runs in the synced store")
    parser.add_argument("--changed", type=int, default=100, help="runs changed between syncs")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("import", "sync"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-interop-") as tmp:
        work = Path(tmp)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores", flush=True)
        if args.only in (None, "sync"):
            bench_sync(args.sync_runs, args.changed, args.repeat, work)
        if args.only in (None, "import"):
            bench_import(args.runs, args.repeat, work)


if __name__ == "__main__":
    main()
