"""How fast the app shows and answers with big experiments, driven headlessly through ``App.run_test``.

    python bench/bench_app.py                 # 10k and 100k runs, 3 launches each, medians printed
    python bench/bench_app.py --runs 10000 --repeat 5

Each launch runs in a fresh interpreter (so memory is the app's alone) and reports:
- ``on screen``: seconds from launch until the table shows runs,
- ``answers``: seconds from launch until a key press (j) has moved the cursor,
- ``all loaded``: seconds until every run is in the table,
- ``re-sort``: median seconds to re-sort the whole table by another metric (and back),
- ``RSS``: peak resident memory (MB) of the process.
Targets (issue 5): 10k on screen and answering < 1 s; 100k < 3 s; re-sort 100k < 150 ms; RSS < 600 MB.
``cold`` launches remove the experiment's summary cache first (first launch after logging);
``warm`` launches reuse it (every later launch).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import peak_memory

BENCH_DIR = Path(__file__).resolve().parent
STORES = Path("/tmp/tui-track-bench")


def store_for(n_runs: int) -> Path:
    """A store with ``n_runs`` runs in one experiment, built once and reused."""
    root = STORES / f"app-{n_runs}"
    if not (root / "tui-track-store.json").exists():
        sys.path.insert(0, str(BENCH_DIR))
        from big_store import build

        t0 = time.perf_counter()
        build(root, n_runs)
        print(f"built {n_runs} runs at {root} in {time.perf_counter() - t0:.0f} s", flush=True)
    return root


def drop_cache(root: Path) -> None:
    for cache in root.glob("experiments/*/.summaries.jsonl"):
        cache.unlink()


async def launch(root: Path, n_runs: int) -> dict[str, float]:
    from textual import events

    from tui_track.app import TuiTrackApp

    started = time.perf_counter()
    app = TuiTrackApp(root, refresh_interval=3600.0)
    figures: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        table = screen.table
        while not table.order:
            await pilot.pause(0.02)
        figures["on_screen"] = time.perf_counter() - started
        before = table.cursor_run_id
        # Not pilot.press: it waits for the whole process to go idle, loading thread included.
        app.post_message(events.Key("j", "j"))
        while table.cursor_run_id == before:
            await pilot.pause(0.02)
        figures["answers"] = time.perf_counter() - started
        while len(table.runs) < n_runs:
            await pilot.pause(0.05)
        figures["all_loaded"] = time.perf_counter() - started
        metrics = [c.key for c in table.columns if c.is_metric]
        sorts = []
        for i in range(6):
            t0 = time.perf_counter()
            table.sort_by(metrics[i % 2], descending=bool(i % 3))
            sorts.append(time.perf_counter() - t0)
        figures["resort"] = statistics.median(sorts)
        await pilot.press("q")
    figures["rss_mb"] = peak_memory.peak_mb()
    return figures


def one(root: Path, n_runs: int, cold: bool) -> dict[str, float]:
    """One launch in a fresh interpreter."""
    args = [sys.executable, __file__, "--child", str(root), str(n_runs)] + (["--cold"] if cold else [])
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, action="append", help="experiment sizes (default 10000 and 100000)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        root, n = Path(args.child[0]), int(args.child[1])
        if args.cold:
            drop_cache(root)
        print(json.dumps(asyncio.run(launch(root, n))))
        return
    print(f"{'runs':>7} {'cache':>5} {'on screen':>10} {'answers':>8} {'all loaded':>10} {'re-sort':>9} {'RSS':>8}")
    for n_runs in args.runs or [10_000, 100_000]:
        root = store_for(n_runs)
        one(root, n_runs, cold=False)  # writes the cache, warms the page cache
        for cold in (True, False):
            results = [one(root, n_runs, cold) for _ in range(args.repeat)]

            def med(key: str, results: list[dict[str, float]] = results) -> float:
                return statistics.median(r[key] for r in results)

            print(
                f"{n_runs:>7} {'cold' if cold else 'warm':>5} {med('on_screen'):>9.2f}s {med('answers'):>7.2f}s "
                f"{med('all_loaded'):>9.2f}s {med('resort') * 1000:>7.0f}ms {med('rss_mb'):>6.0f}MB",
                flush=True,
            )
        one(root, n_runs, cold=False)  # leave the cache in place for the next user


if __name__ == "__main__":
    main()
