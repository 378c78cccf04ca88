"""Benchmarks of tracker_core against the targets of the store issue; prints medians of several runs.

    python bench/bench_core.py [--repeat 5] [--quick] [--mlflow]

Targets (2 cores): import < 60 ms wall; log_metric <= 5 us/call over 100,000 calls including
flushes; <= 1.5 ms per run (10 params, 5 metrics, 2 tags); listing 10,000 summaries < 0.3 s and
100,000 < 3 s under 500 MB; logging and run creation as fast beside 10,000 existing runs.
With ``--mlflow`` (and mlflow installed) the same loops run on MLflow's SQLite and file stores
and ratios are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import big_store
import peak_memory

import tracker_core as tc


def median_of(repeat: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(repeat))


def _wall(code: str, *, bytecode: bool = True) -> float:
    """Wall time of ``python -c code``; ``bytecode`` lets Python use (and write) .pyc files, as
    an installed package always can (PYTHONDONTWRITEBYTECODE, set on some machines, forbids it)."""
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - t


def import_time() -> float:
    return _wall("import tracker_core")


def python_alone() -> float:
    return _wall("pass")


def log_metric_us(store: tc.Store, n: int = 100_000) -> float:
    with store.start_run("metrics", "loop") as run:
        t = time.perf_counter()
        for i in range(n):
            run.log_metric("loss", 1.0 / (i + 1), step=i)
        run.flush()
        return (time.perf_counter() - t) / n * 1e6


def run_creation_ms(store: tc.Store, experiment: str = "runs", n: int = 200) -> float:
    params = {f"param_{j}": j * 1.5 for j in range(10)}
    t = time.perf_counter()
    for i in range(n):
        with store.start_run(experiment, f"r{i}") as run:
            run.log_params(params)
            run.log_metrics({f"metric_{k}": 0.1 * k + i for k in range(5)})
            run.set_tags({"team": "bench", "i": i})
    return (time.perf_counter() - t) / n * 1e3


def run_creation_without(store: tc.Store, repeat: int, *switches: str) -> float:
    """:func:`run_creation_ms` with the per-run features behind the environment switches ``switches`` off."""
    from unittest import mock

    with mock.patch.dict(os.environ, dict.fromkeys(switches, "0")):  # restored as it was afterwards
        return median_of(repeat, lambda: run_creation_ms(store))


def listing(root: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MB) to list every run of the 'bench' experiment, in a fresh process."""
    code = (
        "import time, tracker_core as tc\n"
        "from peak_memory import peak_mb\n"
        f"s = tc.Store({str(root)!r}, create=False)\n"
        "t = time.perf_counter(); runs = s.list_runs('bench'); dt = time.perf_counter() - t\n"
        "print(dt, peak_mb(), len(runs))\n"
    )
    argv = [sys.executable, "-c", code]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, env=peak_memory.child_env()).stdout.split()
    return float(out[0]), float(out[1])


def first_listing(root: Path) -> tuple[float, float]:
    """Seconds to list every run with no summary cache (a first launch, a copied store), and the
    floor measured right after it: reading and parsing each ``run.json`` once with orjson alone."""
    for cache in root.glob("experiments/*/.summaries*"):
        cache.unlink()
    lib = listing(root)[0]
    code = (
        "import os, time, orjson\n"
        "t = time.perf_counter()\n"
        f"for e in os.scandir({str(root / 'experiments')!r}):\n"
        "    for r in os.scandir(os.path.join(e.path, 'runs')) if e.is_dir() else ():\n"
        "        with open(os.path.join(r.path, 'run.json'), 'rb') as f:\n"
        "            orjson.loads(f.read())\n"
        "print(time.perf_counter() - t)\n"
    )
    floor = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    return lib, floor


def mlflow_figures(tmp: Path, repeat: int) -> dict[str, float]:
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # deprecated store, still measurable
    import mlflow

    figures: dict[str, float] = {}
    for label, uri in (("sqlite", f"sqlite:///{tmp}/mlflow.db"), ("file", f"file://{tmp}/mlruns")):
        mlflow.set_tracking_uri(uri)
        mlflow.set_experiment(f"bench-{label}")

        def metric_loop() -> float:
            with mlflow.start_run():
                t = time.perf_counter()
                for i in range(300):
                    mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
                return (time.perf_counter() - t) / 300 * 1e6

        def run_loop() -> float:
            t = time.perf_counter()
            for i in range(20):
                with mlflow.start_run(run_name=f"r{i}"):
                    mlflow.log_params({f"param_{j}": j * 1.5 for j in range(10)})
                    mlflow.log_metrics({f"metric_{k}": 0.1 * k + i for k in range(5)})
                    mlflow.set_tags({"team": "bench", "i": i})
            return (time.perf_counter() - t) / 20 * 1e3

        figures[f"log_metric_us_{label}"] = median_of(repeat, metric_loop)
        figures[f"run_ms_{label}"] = median_of(repeat, run_loop)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="skip the 100,000-run store")
    parser.add_argument("--mlflow", action="store_true", help="also measure MLflow and print ratios")
    args = parser.parse_args()
    r = args.repeat
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        py = median_of(r, python_alone)
        import_time()  # writes the .pyc files a pip install would have written
        imp = median_of(r, import_time)
        print(f"import tracker_core      {imp * 1e3:7.1f} ms wall (python alone {py * 1e3:.1f} ms)   target < 60 ms")
        store = tc.Store(tmp / "small")
        lm = median_of(r, lambda: log_metric_us(store))
        print(f"log_metric               {lm:7.2f} us/call (100,000 calls, flushes included)   target <= 5 us")
        rc = median_of(r, lambda: run_creation_ms(store))
        bare = run_creation_without(store, r, "TUI_TRACK_REPRODUCE", "TUI_TRACK_SYSTEM_METRICS")
        no_rep = run_creation_without(store, r, "TUI_TRACK_REPRODUCE")
        no_sys = run_creation_without(store, r, "TUI_TRACK_SYSTEM_METRICS")
        print(
            f"run, 10p/5m/2t           {rc:7.2f} ms/run   target <= 1.5 ms; {no_rep:.2f} without the reproduce "
            f"record, {no_sys:.2f} without the system-metrics sampler, {bare:.2f} without both"
        )
        big10 = tmp / "big10k"
        big_store.build(big10, 10_000)
        list(listing(big10))  # first listing builds the summary cache
        l10 = [listing(big10) for _ in range(r)]
        print(f"list 10,000 summaries    {statistics.median(x[0] for x in l10):7.3f} s   target < 0.3 s")
        busy = tc.Store(big10)
        lm_busy = median_of(r, lambda: log_metric_us(busy))
        rc_busy = median_of(r, lambda: run_creation_ms(busy, experiment="bench"))
        print(f"beside 10,000 runs       {lm_busy:7.2f} us/log_metric, {rc_busy:.2f} ms/run   (same targets)")
        first10 = [first_listing(big10) for _ in range(r)]
        print(
            f"first listing, 10,000   {statistics.median(x[0] for x in first10):7.3f} s, no summary cache; floor "
            f"{statistics.median(x[1] for x in first10):.3f} s: x{statistics.median(x[0] / x[1] for x in first10):.2f}"
            "   target < x2"
        )
        if not args.quick:
            big100 = tmp / "big100k"
            big_store.build(big100, 100_000)
            first = [first_listing(big100) for _ in range(r)]
            lib, floor = statistics.median(x[0] for x in first), statistics.median(x[1] for x in first)
            ratio = statistics.median(x[0] / x[1] for x in first)
            print(
                f"first listing, 100,000 {lib:7.3f} s, no summary cache; floor (parse each run.json once) "
                f"{floor:.3f} s: x{ratio:.2f}   target < x2"
            )
            cold = listing(big100)
            l100 = [listing(big100) for _ in range(r)]
            print(
                f"list 100,000 summaries   {statistics.median(x[0] for x in l100):7.3f} s, "
                f"peak {max(x[1] for x in l100):.0f} MB   target < 3 s, < 500 MB "
                f"(first listing, building the cache: {cold[0]:.2f} s, {cold[1]:.0f} MB)"
            )
        if args.mlflow:
            mf = mlflow_figures(tmp, r)
            for label in ("sqlite", "file"):
                print(
                    f"MLflow {label:6s}           {mf[f'log_metric_us_{label}']:7.1f} us/log_metric "
                    f"(x{mf[f'log_metric_us_{label}'] / lm:.0f} ours), {mf[f'run_ms_{label}']:.1f} ms/run "
                    f"(x{mf[f'run_ms_{label}'] / rc:.1f} ours)"
                )


if __name__ == "__main__":
    main()
