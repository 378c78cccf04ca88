"""Registry speed: register a 10 MB model logged on a run, then promote it to production.

    python bench/bench_registry.py [--size-mb 10] [--repeat 9] [--store DIR]

Each registration copies and hashes the file, fsyncs it and the records, and appends the
history; each promotion archives the previous production version. Prints the median, min
and max of each over ``--repeat`` rounds against the 100 ms budget; exits 1 over budget.
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
from tracker_core.registry import Registry

BUDGET_MS = 100.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--store", type=Path, default=None, help="store directory (default: a new temp dir)")
    args = parser.parse_args()

    scratch = None if args.store else tempfile.mkdtemp(prefix="bench-registry-")
    root = args.store or Path(scratch or ".") / "store"
    store = tc.Store(root)
    with store.start_run("bench", "big-model") as run:
        run.log_metrics({"accuracy": 0.9, "auc_roc": 0.95})
        run.log_params({f"p{i}": i for i in range(20)})
        run.log_model({"weights": os.urandom(int(args.size_mb * 1024 * 1024))}, "model")
    size = (store.artifact_path(run.id, "model") / "model.joblib").stat().st_size

    reg = Registry(store)
    register_ms, promote_ms = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        version = reg.register("big", run.id).version
        t1 = time.perf_counter()
        reg.promote("big", version, "production", reason="bench")
        t2 = time.perf_counter()
        register_ms.append((t1 - t0) * 1000)
        promote_ms.append((t2 - t1) * 1000)

    if scratch:
        shutil.rmtree(scratch)
    print(
        f"store {root if not scratch else '(temporary, removed)'}; model file {size / 1e6:.1f} MB; {args.repeat} rounds"
    )
    over = False
    for label, values in (("register", register_ms), ("promote", promote_ms)):
        median = statistics.median(values)
        over |= median >= BUDGET_MS
        verdict = "ok" if median < BUDGET_MS else "OVER BUDGET"
        print(
            f"{label:9s} median {median:7.1f} ms  min {min(values):7.1f}  max {max(values):7.1f}"
            f"  (budget {BUDGET_MS:.0f} ms: {verdict})"
        )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
