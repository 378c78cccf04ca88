"""``tui-track history RUN KEY``: one metric's history streamed to stdout, whole, every Nth point or downsampled.

Points come from the run's history index (built or brought up to date from ``metrics.jsonl`` first),
a chunk at a time, so a history of millions of points never sits in memory as Python objects. Whole
and ``--every`` output keep the logged order; ``--points N`` gives per-bucket min/max/last in step order.
Formats: tab-separated text (default), ``--csv``, ``--json`` (one JSON array, written as it goes;
non-finite values in their tagged strict-JSON form).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

import click

from tracker_core.errors import NotFoundError
from tracker_core.jsonio import float_token

from . import open_store

if TYPE_CHECKING:
    import numpy.typing as npt

    from tracker_core import Store
    from tracker_core.history import HistoryIndex


def _chunks(
    store: Store, index: HistoryIndex, run_id: str, key: str, every: int | None, points: int | None
) -> Iterator[npt.NDArray[Any]]:
    if points is not None:
        import numpy as np

        s = store.metric_series(run_id, key, points=points)
        rec = np.empty(len(s), dtype=[("s", "<i8"), ("v", "<f8"), ("t", "<f8")])
        rec["s"], rec["v"], rec["t"] = s.steps, s.values, s.times
        yield rec
        return
    seen = 0
    for chunk in index.chunks(key):
        if every is not None:
            first = (-seen) % every
            seen += len(chunk)
            chunk = chunk[first::every]
        yield chunk


def _write(out: IO[str], chunks: Iterator[npt.NDArray[Any]], fmt: str) -> None:
    if fmt == "json":
        sep = "\n"
        out.write("[")
        for chunk in chunks:
            for s, v, t in chunk.tolist():
                out.write(f'{sep}{{"step":{s},"value":{float_token(v)},"time":{t!r}}}')
                sep = ",\n"
        out.write("\n]\n")
        return
    delim = "," if fmt == "csv" else "\t"
    out.write(delim.join(("step", "value", "time")) + "\n")
    for chunk in chunks:
        out.write("".join(f"{s}{delim}{v!r}{delim}{t!r}\n" for s, v, t in chunk.tolist()))


def register(group: click.Group) -> None:
    @group.command("history")
    @click.argument("run_id", metavar="RUN")
    @click.argument("key")
    @click.option("--every", type=click.IntRange(min=1), metavar="N", help="Every Nth point (logged order).")
    @click.option(
        "--points", type=click.IntRange(min=1), metavar="N", help="Downsample to N step buckets (min, max, last)."
    )
    @click.option("--json", "fmt", flag_value="json", help="One JSON array of {step, value, time}.")
    @click.option("--csv", "fmt", flag_value="csv", help="CSV with a header row.")
    @click.pass_context
    def history(ctx: click.Context, run_id: str, key: str, every: int | None, points: int | None, fmt: str) -> None:
        """Print one metric's history of RUN (id or unique prefix), streamed."""
        if every is not None and points is not None:
            raise click.UsageError("give --every or --points, not both")
        store = open_store(ctx)
        full_id = store.resolve_run_id(run_id)
        index = store.history_index(full_id)
        if key not in index.keys:
            known = ", ".join(index.key_names()[:20]) or "none"
            raise NotFoundError(f"run {full_id[:8]} has no metric {key!r} (its metrics: {known})")
        _write(sys.stdout, _chunks(store, index, full_id, key, every, points), fmt or "text")
