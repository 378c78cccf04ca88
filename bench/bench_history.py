"""Benchmarks of the history read path against issue 11's targets; medians of several runs, each beside its floor.

    python bench/bench_history.py [--keys 20] [--steps 50000] [--repeat 5] [--store DIR]
    python bench/bench_history.py --steps 500000 --repeat 3      # the 10,000,000-point case

The floor, measured in the same run on the same file: orjson parsing every line of the run's
``metrics.jsonl``. Targets at 1,000,000 points (20 x 50,000): all histories <= 0.5x floor, one key
<= 0.1x floor, a 2,000-bucket downsample < 50 ms, the app's run screen to a drawn chart < 1 s with
peak memory < 250 MB, a live tick with 1,000 new points < 20 ms of worker time. At 10,000,000
points (``--steps 500000``): the run screen < 3 s, < 600 MB. The store is built once with
``log_metric`` and cached (default: under ``/tmp/tui-track-bench-history/KEYSxSTEPS``) for reruns.
A run screen opened before the index exists draws a sample of the file first (``Store.preview_history``)
and the exact chart once the index is built: both times are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import peak_memory

import tracker_core as tc
from tracker_core import metrics_log
from tracker_core.history import LiveHistory
from tracker_core.history.index import DIRNAME


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def median(repeat: int, fn: Callable[[], object]) -> float:
    return statistics.median(timed(fn) for _ in range(repeat))


def build(root: Path, keys: int, steps: int) -> str:
    store = tc.Store(root, create=True)
    for run in store.list_runs():
        if run.name == f"long-{keys}x{steps}":
            return run.id
    names = [f"m{i:02d}" for i in range(keys)]
    with store.start_run("history-bench", f"long-{keys}x{steps}") as run:
        for step in range(steps):
            for i, name in enumerate(names):
                run.log_metric(name, ((step * 7919 + i * 104729) % 1000) / 1000.0 + 1.0 / (step + 1), step=step)
    return run.id


def floor(path: Path) -> None:
    import orjson

    loads = orjson.loads
    with open(path, "rb") as fh:
        for line in fh:
            loads(line)


APP = """
import asyncio, json, sys, time
from peak_memory import peak_mb
from tui_track.app import TuiTrackApp
from tui_track.screens.run import RunScreen
import tracker_core as tc
from tracker_core.metrics_log import format_points

async def main():
    store = tc.Store(sys.argv[1])
    app = TuiTrackApp(store.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        started = time.perf_counter()
        screen = RunScreen(store, sys.argv[2])
        await app.push_screen(screen)
        first = None
        while screen.sampled or not (screen.chart.series and screen.chart.drawn):
            if first is None and screen.chart.series and screen.chart.drawn:  # a sample of a history not indexed yet
                first = screen.chart.drawn_at - started
            if time.perf_counter() - started > 300:
                raise SystemExit("the run screen drew no exact chart within 300 s")
            await asyncio.sleep(0.005)
        await pilot.pause()
        drawn = screen.chart.drawn_at - started  # the frame with the chart is written out as it is drawn
        first = drawn if first is None else first
        peak = peak_mb()
        ui, work, plot = [], [], []
        path = store._metrics_path(sys.argv[2])
        step = screen.live.series("m00").steps[-1] + 1
        for _ in range(int(sys.argv[3])):  # live ticks on a copied store: 1,000 new points, then load()
            with open(path, "ab") as fh:
                fh.write(format_points([(f"m{i % 20:02d}", 0.5, step + i // 20, time.time()) for i in range(1000)]))
            step += 50
            want = screen.counts["m00"] + 50
            cpu = time.thread_time()
            screen.load()
            while screen.counts["m00"] != want or not screen.chart.up_to_date:
                await asyncio.sleep(0.002)
            await pilot.pause()  # the tick's frame drawn (plotext builds it in a worker)
            ui.append(time.thread_time() - cpu)
            work.append(screen.worker_seconds["load"] + screen.worker_seconds.get("chart", 0.0))
            plot.append(screen.chart.build_seconds)
        idle = []
        for _ in range(int(sys.argv[3])):  # live ticks that find no new line
            cpu = time.thread_time()
            screen.load()
            await app.workers.wait_for_complete()
            await pilot.pause()
            idle.append(time.thread_time() - cpu)
        out = {"first": first, "seconds": drawn, "peak_mb": peak, "tick_ui": ui, "tick_worker": work}
        print(json.dumps({**out, "tick_plot": plot, "idle_ui": idle}))

asyncio.run(main())
"""


def app_open(root: Path, run_id: str, ticks: int = 0) -> dict[str, Any]:
    """One app process: the run screen opened (and ``ticks`` live ticks on the store, which grows)."""
    argv = [sys.executable, "-c", APP, str(root), run_id, str(ticks)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, env=peak_memory.child_env())
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def live_tick(path: Path, keys: int, steps: int, repeat: int) -> float:
    """Worker time of one tick: read 1,000 new points from the tail and redraw one key at 2,000 buckets."""
    work = path.parent.parent / f".bench-live-{os.getpid()}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    copy = work / "metrics.jsonl"
    shutil.copyfile(path, copy)
    live = LiveHistory(copy)
    live.view("m00", points=2000)
    times = []
    step = steps
    for _ in range(repeat):
        pts = [(f"m{i % keys:02d}", 0.5, step + i // keys, time.time()) for i in range(1000)]
        step += 1000 // keys
        with open(copy, "ab") as fh:
            fh.write(metrics_log.format_points(pts))
        started = time.perf_counter()
        live.update()
        live.view("m00", points=2000)
        times.append(time.perf_counter() - started)
    shutil.rmtree(work)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=20)
    ap.add_argument("--steps", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--store", type=Path, default=None)
    args = ap.parse_args()
    root = args.store or Path(tempfile.gettempdir()) / "tui-track-bench-history" / f"{args.keys}x{args.steps}"
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    run_id = build(root, args.keys, args.steps)
    store = tc.Store(root)
    path = store._metrics_path(run_id)
    n = args.keys * args.steps
    print(
        f"{n:,} points ({args.keys} x {args.steps:,}); metrics.jsonl {path.stat().st_size / 1e6:.0f} MB;"
        f" store ready in {time.perf_counter() - started:.1f} s; medians of {args.repeat}"
    )

    def cold() -> None:
        shutil.rmtree(path.parent / DIRNAME, ignore_errors=True)
        store.history_index(run_id)

    build_s = median(max(1, args.repeat // 2), cold)
    store.history_index(run_id)
    fl = median(args.repeat, lambda: floor(path))
    rows = [
        ("floor: orjson parsing every line", fl, None, ""),
        ("index build from nothing (first reader)", build_s, None, "(once per run; then extended incrementally)"),
        (
            "all histories as arrays (metric_series_all)",
            median(args.repeat, lambda: store.metric_series_all(run_id)),
            0.5,
            "<= 0.5x floor",
        ),
        (
            "one key (metric_series m00)",
            median(args.repeat, lambda: store.metric_series(run_id, "m00")),
            0.1,
            "<= 0.1x floor",
        ),
        (
            "one key, 2,000-bucket downsample",
            median(args.repeat, lambda: store.metric_series(run_id, "m00", points=2000)),
            None,
            "< 50 ms",
        ),
        (
            "live tick: 1,000 new points, tail read + redraw",
            live_tick(path, args.keys, args.steps, args.repeat * 4),
            None,
            "< 20 ms worker time",
        ),
    ]
    if n <= 1_000_000:  # 10M MetricPoint objects would need gigabytes
        rows[-1:-1] = [
            (
                "one key as MetricPoint list (metric_history)",
                median(args.repeat, lambda: store.metric_history(run_id, "m00")),
                None,
                "(compatibility API)",
            ),
            (
                "all histories as MetricPoint lists (metric_histories)",
                median(max(1, args.repeat // 2), lambda: store.metric_histories(run_id)),
                None,
                "(compatibility API)",
            ),
        ]
    for what, seconds, _ratio_target, target in rows:
        ratio = f"{seconds / fl:5.2f}x floor" if what != rows[0][0] else "          "
        print(f"  {what:<56} {seconds * 1000:9.1f} ms  {ratio}  {target}")
    runs = max(1, args.repeat // 2 + 1)
    opens = [app_open(root, run_id) for _ in range(runs)]
    sec = statistics.median(o["seconds"] for o in opens)
    mb = max(o["peak_mb"] for o in opens)
    target = "< 1 s, < 250 MB" if n <= 1_000_000 else "< 3 s, < 600 MB"
    print(
        f"  {'app: run screen opened to chart drawn (index current)':<56} {sec * 1000:9.1f} ms  "
        f"{sec / fl:5.2f}x floor  {target}; peak {mb:.0f} MB"
    )
    copy = Path(tempfile.mkdtemp(prefix="bench-history-live-"))
    try:  # live ticks grow the store: on a copy (its index current)
        shutil.copytree(root, copy / "store")
        ticks = app_open(copy / "store", run_id, ticks=args.repeat * 4)
    finally:
        shutil.rmtree(copy)
    ui, worker = statistics.median(ticks["tick_ui"]), statistics.median(ticks["tick_worker"])
    plot = statistics.median(ticks["tick_plot"])
    print(
        f"  {'app: live tick, 1,000 new points: UI-thread CPU':<56} {ui * 1000:9.1f} ms  "
        f"(worker: {worker * 1000:.1f} ms reading, {plot * 1000:.1f} ms drawing with plotext)"
    )
    idle = statistics.median(ticks["idle_ui"])
    print(f"  {'app: live tick finding no new line: UI-thread CPU':<56} {idle * 1000:9.1f} ms")
    colds = []
    for _ in range(runs):
        shutil.rmtree(path.parent / DIRNAME, ignore_errors=True)
        colds.append(app_open(root, run_id))
    first = statistics.median(o["first"] for o in colds)
    sec = statistics.median(o["seconds"] for o in colds)
    print(
        f"  {'app: run screen, no index yet: first chart drawn':<56} {first * 1000:9.1f} ms  "
        f"{first / fl:5.2f}x floor  {target}; peak {max(o['peak_mb'] for o in colds):.0f} MB"
    )
    print(
        f"  {'app: run screen, no index yet: exact chart (index built)':<56} {sec * 1000:9.1f} ms  "
        f"{sec / fl:5.2f}x floor"
    )


if __name__ == "__main__":
    main()
