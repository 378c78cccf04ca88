"""A separate process that writes to a store, driven by the multi-process and crash tests.

python store_worker.py many STORE WORKER_ID GO_FILE RUNS STEPS
python store_worker.py crash STORE          (logs forever, reporting what it flushed)
python store_worker.py idle STORE N         (logs N points then blocks without flushing itself)
python store_worker.py sigterm STORE N      (logs N points in a with-block, then waits for SIGTERM)
python store_worker.py noend STORE [fail]   (fluent run never ended; optionally an uncaught error)
"""

from __future__ import annotations

import os
import sys
import time

import tracker_core as tc


def many(store_path: str, worker: int, go_file: str, runs: int, steps: int) -> None:
    while not os.path.exists(go_file):  # start together, to race on creating the experiment
        time.sleep(0.001)
    store = tc.Store(store_path)
    for i in range(runs):
        with store.start_run("shared", f"w{worker}-r{i}") as run:
            run.log_params({"worker": worker, "index": i})
            for step in range(steps):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
                run.log_metric("acc", step / steps, step=step)


def crash(store_path: str) -> None:
    run = tc.Store(store_path).start_run("crashy", "doomed", flush_interval=60)
    step = 0
    while True:
        run.log_metric("loss", 1.0 / (step + 1), step=step)
        step += 1
        if step % 100 == 0:
            run.flush()
            print(f"flushed {step} {run.id}", flush=True)


def idle(store_path: str, n: int) -> None:
    run = tc.Store(store_path).start_run("idle", "sleeper", flush_interval=0.2)
    for step in range(n):
        run.log_metric("loss", float(step), step=step)
    print(f"logged {n} {run.id}", flush=True)
    time.sleep(3600)


def sigterm(store_path: str, n: int) -> None:
    with tc.Store(store_path).start_run("batch", "slurm-job", flush_interval=60) as run:
        for step in range(n):
            run.log_metric("loss", float(step), step=step)
        print(f"ready {run.id}", flush=True)
        time.sleep(3600)


def noend(store_path: str, fail: bool) -> None:
    run = tc.start_run(experiment="scripts", name="forgot-to-end", store=store_path, flush_interval=60)
    tc.log_metric("loss", 0.5)
    print(run.id, flush=True)
    if fail:
        raise RuntimeError("training diverged")


if __name__ == "__main__":
    mode, store_arg, *rest = sys.argv[1:]
    if mode == "many":
        many(store_arg, int(rest[0]), rest[1], int(rest[2]), int(rest[3]))
    elif mode == "crash":
        crash(store_arg)
    elif mode == "idle":
        idle(store_arg, int(rest[0]))
    elif mode == "sigterm":
        sigterm(store_arg, int(rest[0]))
    elif mode == "noend":
        noend(store_arg, bool(rest and rest[0] == "fail"))
    else:
        raise SystemExit(f"unknown mode {mode}")
