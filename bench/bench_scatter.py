"""A scatter of 100,000 runs drawn in the app, next to the runs table's re-sort measured in the same run.

    python bench/bench_scatter.py [--runs 100000] [--repeat 7]

Target (issue 13): a scatter of all 100,000 runs drawn under 0.5 s. Measured inside a running app
at 120x40 on summaries built in memory (bench_query's mix: NaN and missing values, categorical and
numeric params): ``points`` is the worker's part (both axes over every run), ``draw`` the widget's
(thinning to braille dots and plotext building the picture), ``scatter`` their sum. The peer figure
is the runs table's re-sort of the same runs by a metric (``sort_ids``, what ``s`` costs).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_query import make_runs


async def measure(n: int, repeat: int) -> dict[str, float]:
    from rich.text import Text

    from tui_track.app import TuiTrackApp
    from tui_track.screens.scatter import scatter_data
    from tui_track.widgets.runs_table import sort_ids
    from tui_track.widgets.scatter import ScatterPlot

    runs = make_runs(n)
    figures: dict[str, list[float]] = {"points": [], "draw": [], "scatter": [], "resort": []}
    with tempfile.TemporaryDirectory() as empty:
        app = TuiTrackApp(Path(empty) / "no-store")
        async with app.run_test(size=(120, 40)) as pilot:
            plot = ScatterPlot()
            await app.screen.mount(plot)
            plot.styles.width, plot.styles.height = 120, 38
            await pilot.pause()
            for i in range(repeat):
                x_key = ("params.n_estimators", "params.model", "metrics.loss")[i % 3]
                t0 = time.perf_counter()
                data = scatter_data(runs, x_key, "metrics.accuracy")  # the screen's worker
                t1 = time.perf_counter()
                plot.set_data(data)
                Text.from_ansi(plot.plt.build())
                t2 = time.perf_counter()
                figures["points"].append(t1 - t0)
                figures["draw"].append(t2 - t1)
                figures["scatter"].append(t2 - t0)
                t0 = time.perf_counter()
                sort_ids(runs, ("metrics.accuracy", "metrics.loss")[i % 2], descending=bool(i % 3))
                figures["resort"].append(time.perf_counter() - t0)
            drawn = len(plot.thinned())
    medians = {k: statistics.median(v) for k, v in figures.items()}
    medians["drawn_points"] = drawn
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    m = asyncio.run(measure(args.runs, args.repeat))
    print(f"{args.runs} runs, medians of {args.repeat} (120x40):")
    parts = f"points {m['points'] * 1000:.0f} ms + draw {m['draw'] * 1000:.0f} ms; {int(m['drawn_points'])} dots"
    print(f"  scatter drawn   {m['scatter'] * 1000:7.0f} ms   ({parts})   target < 500 ms")
    print(f"  peer: re-sort   {m['resort'] * 1000:7.0f} ms   (the runs table's sort of the same runs by a metric)")


if __name__ == "__main__":
    main()
