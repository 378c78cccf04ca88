"""Build the sample store: the kata's runs and registry steps plus the sweep, with parallel workers.

from sample_runs.build import build
result = build("demo-store", workers=2, seed=42)

Every run is an independent task (seeded from ``seed`` alone), so the metrics do not depend on
the number of workers or their timing, only the timing metrics do (``train_time_sec``, and the
``*_fit_time``/``*_score_time`` of search candidates). Workers are separate processes writing
to the same store at once, as concurrent training jobs would.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import tracker_core as tc
from tracker_core.errors import ConflictError

from . import kata, sweep
from .data import DEFAULT_SEED

SAMPLE_TAG = "sample_runs"
"""Experiment tag marking what a build made (so ``tui-track demo --rebuild`` only replaces sample stores)."""

Task = tuple[str, int]
Progress = Callable[[int, int, str], None]
"""Called as ``progress(done, total, label)`` after each finished task (and once with 0 done)."""


@dataclass
class BuildResult:
    """What a build made: run ids by task, the registered versions and how long it took."""

    root: str
    run_ids: dict[Task, str] = field(default_factory=dict)
    versions: list[int] = field(default_factory=list)
    seconds: float = 0.0


def tasks(quick: bool = False) -> list[Task]:
    """Every run to make, slowest first so that parallel workers finish together."""
    kata_slow, kata_fast = [("kata", 2), ("kata", 3)], [("kata", 0), ("kata", 1)]
    sweep_tasks = [("sweep", i) for i in range(len(sweep.sweep_configs(quick)))]
    return [*kata_slow, ("grid", 0), ("crashed", 0), *sweep_tasks, *kata_fast, ("failed", 0)]


def task_label(task: Task, quick: bool = False) -> str:
    """A short human name for a task (progress displays)."""
    kind, index = task
    if kind == "kata":
        return f"{kata.EXPERIMENT}/{kata.kata_models()[index].name}"
    if kind == "sweep":
        return f"{sweep.EXPERIMENT}/{sweep.sweep_configs(quick)[index].name}"
    return {"grid": "logreg_grid_search", "crashed": "mlp_wide_oom (crashes)", "failed": "gb_raw_features (fails)"}[
        kind
    ]


def run_task(root: str, task: Task, seed: int = DEFAULT_SEED, quick: bool = False) -> tuple[Task, str]:
    """Make one run in the store at ``root``; return the task and the run id."""
    store = tc.Store(root)
    kind, index = task
    if kind == "kata":
        return task, kata.run_kata_model(store, index, seed)
    if kind == "sweep":
        return task, sweep.run_config(store, sweep.sweep_configs(quick)[index], seed)
    if kind == "grid":
        return task, sweep.run_grid_search(store, seed, quick)
    if kind == "failed":
        return task, sweep.run_failed(store, seed)
    if kind == "crashed":
        return task, sweep.run_crashed(store, seed, epochs=2 if quick else 6)
    raise ValueError(f"unknown sample task {task!r}")


def _init_worker() -> None:
    """One BLAS/OpenMP thread per worker: the workers already share the cores."""
    from threadpoolctl import threadpool_limits

    from .data import quiet_warnings

    threadpool_limits(1)
    quiet_warnings()


def build(
    root: str | os.PathLike[str],
    *,
    workers: int = 2,
    seed: int = DEFAULT_SEED,
    quick: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Fill the new (or empty) store at ``root`` with the sample runs, then do the kata's registry steps.

    ``quick`` makes a reduced sweep (tests). Refuses a store that already has runs, since a
    second build would register the kata's models again.
    """
    started = time.perf_counter()
    store = tc.Store(root, create=True)  # a builder writes: it creates the store
    if store.list_runs():
        raise ConflictError(f"{store.root} already holds runs; build the sample store into a new directory")
    root_text = os.fspath(store.root)
    for experiment in (kata.EXPERIMENT, sweep.EXPERIMENT):
        store.get_or_create_experiment(experiment)
        store.set_experiment_tag(experiment, SAMPLE_TAG, {"seed": seed, "quick": quick})
    todo = tasks(quick)
    result = BuildResult(root_text)
    if progress:
        progress(0, len(todo), "starting")
    if workers <= 1:
        _run_here(root_text, todo, seed, quick, result, progress)
    else:
        _run_in_workers(root_text, todo, seed, quick, workers, result, progress)
    result.versions = kata.register_and_promote(store, [result.run_ids[("kata", i)] for i in range(4)])
    result.seconds = time.perf_counter() - started
    return result


def _run_here(
    root: str, todo: list[Task], seed: int, quick: bool, result: BuildResult, progress: Progress | None
) -> None:
    import warnings

    from threadpoolctl import threadpool_limits

    from .data import quiet_warnings

    with threadpool_limits(1), warnings.catch_warnings():
        quiet_warnings()
        for done, task in enumerate(todo, 1):
            result.run_ids[task] = run_task(root, task, seed, quick)[1]
            if progress:
                progress(done, len(todo), task_label(task, quick))


def _run_in_workers(
    root: str,
    todo: list[Task],
    seed: int,
    quick: bool,
    workers: int,
    result: BuildResult,
    progress: Progress | None,
) -> None:
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # no inherited threads or locks from this process
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker) as pool:
        pending: set[Future[tuple[Task, str]]] = {pool.submit(run_task, root, task, seed, quick) for task in todo}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in finished:
                error = future.exception()
                if error is not None:
                    for other in pending:
                        other.cancel()
                    raise error
                task, run_id = future.result()
                result.run_ids[task] = run_id
                if progress:
                    progress(len(result.run_ids), len(todo), task_label(task, quick))


def is_sample_store(root: str | os.PathLike[str]) -> bool:
    """Whether ``root`` is a store made by :func:`build` (every experiment carries the sample tag)."""
    try:
        experiments = tc.Store(root, create=False).list_experiments(include_deleted=True, with_counts=False)
    except tc.StoreError:
        return False
    return bool(experiments) and all(SAMPLE_TAG in e.tags for e in experiments)


def summarize(result: BuildResult) -> dict[str, Any]:
    """Counts for printing: runs per experiment and status, registered versions, seconds."""
    store = tc.Store(result.root, create=False)
    counts: dict[str, dict[str, int]] = {}
    names = {e.id: e.name for e in store.list_experiments()}
    for run in store.list_runs():
        per = counts.setdefault(names.get(run.experiment_id, run.experiment_id), {})
        per[run.status] = per.get(run.status, 0) + 1
    return {"store": result.root, "runs": counts, "versions": result.versions, "seconds": round(result.seconds, 1)}
