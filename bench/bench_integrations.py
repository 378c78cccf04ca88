"""Overhead each framework integration adds per logged value, beyond ``Run.log_metric`` itself.

    KERAS_BACKEND=torch python bench/bench_integrations.py [--values 20000] [--repeat 7]

Each round logs ``--values`` values (5 keys a step) into a fresh run of a temporary store, once
plainly through ``run.log_metrics(values, step)`` (the floor) and once through each integration's
own entry point as its framework calls it (``on_log``, ``log_metrics``, ``on_epoch_end``,
``after_iteration``, LightGBM's ``callback(env)``). Prints the medians per value and the overhead
against the floor measured in the same round (target under 10 µs); Optuna's cost is per trial
(a child run is created and ended each trial). Exits 1 when an overhead exceeds the target.

The system-metrics sampler (tracker_core/system_metrics.py): the process's CPU time over
``--system-seconds`` of an idle run sampled every 0.1 s, minus the same for a run without
sampling, gives the CPU cost of one sample; its share of one core at the default 10 s period
(and at 1 s) is printed against the 1% target. Exits 1 when it exceeds it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
# The integrations' overhead is measured without the background recorders; the sampler on its own below.
os.environ.setdefault("TUI_TRACK_SYSTEM_METRICS", "0")
os.environ.setdefault("TUI_TRACK_REPRODUCE", "0")

import tracker_core as tc

TARGET_US = 10.0
SYSTEM_TARGET = 0.01
"""The sampler's share of one core at its default period."""
KEYS = ("loss", "accuracy", "learning_rate", "grad_norm", "epoch")


def steps(n_values: int) -> list[dict[str, float]]:
    return [{k: 0.001 * i + j for j, k in enumerate(KEYS)} for i in range(n_values // len(KEYS))]


def timed(fn: Callable[[], None]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def plain(store: tc.Store, data: list[dict[str, float]]) -> float:
    run = store.start_run("bench", "plain", flush_interval=3600)

    def go() -> None:
        for step, values in enumerate(data):
            run.log_metrics(values, step=step)

    t = timed(go)
    run.end()
    return t


def transformers_cb(store: tc.Store, data: list[dict[str, float]]) -> float:
    from transformers import TrainerControl, TrainerState, TrainingArguments

    from tracker_core.transformers import TrackerCallback

    args = TrainingArguments(output_dir=tempfile.mkdtemp(), report_to=[], use_cpu=True)
    state, control = TrainerState(), TrainerControl()
    cb = TrackerCallback(store=store)
    cb._handle.open()
    run = cb.run
    assert run is not None

    def go() -> None:
        for step, values in enumerate(data):
            state.global_step = step
            cb.on_log(args, state, control, logs=values)

    t = timed(go)
    run.end()
    return t


def lightning_logger(store: tc.Store, data: list[dict[str, float]]) -> float:
    from tracker_core.lightning import TrackerLogger

    logger = TrackerLogger(store=store)
    run = logger.experiment

    def go() -> None:
        for step, values in enumerate(data):
            logger.log_metrics(values, step)

    t = timed(go)
    run.end()
    return t


def keras_cb(store: tc.Store, data: list[dict[str, float]]) -> float:
    from tracker_core.keras import TrackerCallback

    cb = TrackerCallback(store=store)
    run = cb._handle.open()

    def go() -> None:
        for step, values in enumerate(data):
            cb.on_epoch_end(step, values)

    t = timed(go)
    run.end()
    return t


def xgboost_cb(store: tc.Store, data: list[dict[str, float]]) -> float:
    from tracker_core.xgboost import TrackerCallback

    cb = TrackerCallback(store=store)
    run = cb._handle.open()
    log: dict[str, dict[str, list[float]]] = {"train": {k: [] for k in KEYS}}

    def go() -> None:
        for step, values in enumerate(data):
            for k, v in values.items():
                log["train"][k].append(v)
            cb.after_iteration(None, step, log)

    t = timed(go)
    run.end()
    return t


def lightgbm_cb(store: tc.Store, data: list[dict[str, float]]) -> float:
    from lightgbm.callback import CallbackEnv

    from tracker_core.lightgbm import tracker_callback

    class Booster:  # the callback only wraps two of its methods
        def update(self) -> None: ...

        def model_to_string(self) -> str:
            return ""

    cb = tracker_callback(store=store, log_model=False)
    booster = Booster()
    envs = [
        CallbackEnv(booster, {}, step, 0, 10**9, [("train", k, v, False) for k, v in values.items()])
        for step, values in enumerate(data)
    ]

    def go() -> None:
        for env in envs:
            cb(env)

    t = timed(go)
    booster.model_to_string()  # ends the run, as lgb.train does
    return t


def optuna_per_trial(store: tc.Store, trials: int = 50) -> float:
    import optuna

    from tracker_core.optuna import TrackerCallback

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=trials)  # the trials, untracked
    cb = TrackerCallback(store=store)
    frozen = study.get_trials(deepcopy=False)
    return timed(lambda: [cb(study, t) for t in frozen]) / trials


INTEGRATIONS: dict[str, Callable[[tc.Store, list[dict[str, float]]], float]] = {
    "transformers": transformers_cb,
    "lightning": lightning_logger,
    "keras": keras_cb,
    "xgboost": xgboost_cb,
    "lightgbm": lightgbm_cb,
}


def idle_cpu(store: tc.Store, seconds: float, interval: float | None) -> tuple[float, int]:
    """(process CPU seconds, samples taken) over ``seconds`` of an open run; sampling every ``interval`` or off."""
    run = store.start_run(
        "bench", "system", flush_interval=3600, system_metrics=interval is not None, system_metrics_interval=interval
    )
    c0 = time.process_time()
    time.sleep(seconds)
    cpu = time.process_time() - c0
    samples = run._sampler.samples if run._sampler is not None else 0
    run.end()
    return cpu, samples


def system_share(store: tc.Store, seconds: float, repeat: int) -> int:
    """Print the sampler's CPU cost per sample and share of one core; 1 when over target."""
    from tracker_core.system_metrics import DEFAULT_INTERVAL

    per_sample: list[float] = []
    floors: list[float] = []
    for _ in range(repeat):
        floor, _ = idle_cpu(store, seconds, None)
        sampled, samples = idle_cpu(store, seconds, 0.1)
        floors.append(floor / seconds)
        per_sample.append(max(sampled - floor, 0.0) / max(samples, 1))
    cost = statistics.median(per_sample)
    share = cost / DEFAULT_INTERVAL
    print(
        f"system sampler: {cost * 1e3:.3f} ms CPU per sample (min {min(per_sample) * 1e3:.3f}, "
        f"max {max(per_sample) * 1e3:.3f}; idle run without it: {statistics.median(floors) * 100:.3f}% of a core)"
    )
    print(
        f"system sampler share of one core: {share * 100:.4f}% at the default {DEFAULT_INTERVAL:.0f} s period, "
        f"{cost * 100:.3f}% at 1 s; target < {SYSTEM_TARGET * 100:.0f}%: {'ok' if share < SYSTEM_TARGET else 'OVER'}"
    )
    return 0 if share < SYSTEM_TARGET else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--system-seconds", type=float, default=5.0, help="seconds per round of the sampler measure")
    parser.add_argument("--system-only", action="store_true", help="measure only the system sampler")
    args = parser.parse_args()
    if args.system_only:
        with tempfile.TemporaryDirectory(prefix="bench-system-") as tmp:
            return system_share(tc.Store(Path(tmp) / "store"), args.system_seconds, 3)
    data = steps(args.values)
    n = len(data) * len(KEYS)
    per_value: dict[str, list[float]] = {"plain log_metrics": []}
    overhead: dict[str, list[float]] = {name: [] for name in INTEGRATIONS}
    per_value.update({name: [] for name in INTEGRATIONS})
    optuna_ms: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-integrations-") as tmp:
        store = tc.Store(Path(tmp) / "store")
        for fn in INTEGRATIONS.values():  # warm up: imports, first run
            fn(store, data[:50])
        for _ in range(args.repeat):
            floor = plain(store, data) / n * 1e6
            per_value["plain log_metrics"].append(floor)
            for name, fn in INTEGRATIONS.items():
                us = fn(store, data) / n * 1e6
                per_value[name].append(us)
                overhead[name].append(us - floor)
            optuna_ms.append(optuna_per_trial(store, 20) * 1e3)
        system_status = system_share(store, args.system_seconds, 3)
    print(f"{n} values a round ({len(KEYS)} keys a step), {args.repeat} rounds; medians (min-max)")
    print(f"{'':20} {'µs/value':>10} {'overhead µs':>24}")
    worst = 0.0
    for name, values in per_value.items():
        line = f"{name:20} {statistics.median(values):10.2f}"
        if name in overhead:
            o = overhead[name]
            worst = max(worst, statistics.median(o))
            line += f" {statistics.median(o):10.2f} ({min(o):.2f}-{max(o):.2f})"
        print(line)
    print(f"optuna: {statistics.median(optuna_ms):.2f} ms per trial (a child run created, logged and ended)")
    ok = worst < TARGET_US
    print(f"worst overhead {worst:.2f} µs per value; target < {TARGET_US:.0f} µs: {'ok' if ok else 'OVER'}")
    return 0 if ok and system_status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
