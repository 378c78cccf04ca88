"""A quick look at a long history whose index is not built yet: evenly spaced spans of ``metrics.jsonl``.

Building the index of a history of millions of points means parsing every line once (seconds at
10,000,000 points). A view that opens such a run first draws :func:`preview`: every key's points in
:data:`WINDOWS` spans spread evenly over the file, :data:`BUDGET` bytes in all, the first and the last
span included (the run's start and its latest points). It is a sample, not a downsample: a spike
between two spans is not in it, so a view says so and replaces it once the index is built.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from ..storage.append import complete_end
from .index import HistoryIndex
from .parse import parse_bytes
from .series import Series

BACKLOG = 16 << 20
"""Bytes the index must lag behind the JSONL for :func:`preview` to sample (less: the index is built quickly)."""
BUDGET = 4 << 20
"""Bytes a preview reads in all."""
WINDOWS = 128
"""Spans a preview reads (each ``BUDGET // WINDOWS`` bytes)."""


def sample(metrics_path: Path, *, budget: int | None = None, windows: int | None = None) -> dict[str, Series]:
    """Every key's points in ``windows`` (:data:`WINDOWS`) evenly spaced spans of the file, ``budget``
    (:data:`BUDGET`) bytes in all; key order: first seen. ``total`` of each series estimates the key's
    points in the whole file, and ``downsampled`` is set when the spans left some of the file out."""
    budget = BUDGET if budget is None else budget
    windows = WINDOWS if windows is None else windows

    with open(metrics_path, "rb") as fh:
        fd = fh.fileno()
        size = os.fstat(fd).st_size
        if size <= budget or windows < 2:
            spans = [(0, size)]
        else:
            span = budget // windows
            spans = [(round(i * (size - span) / (windows - 1)), span) for i in range(windows)]
        lines = []
        for offset, length in spans:
            data = os.pread(fd, length, offset)
            start = data.find(b"\n") + 1 if offset else 0  # a span starting inside a line skips to the next
            lines.append(data[start : complete_end(data)])
    parsed = parse_bytes(b"".join(lines))  # the spans' complete lines, parsed at once
    partial = len(spans) > 1
    share = size / parsed.consumed if parsed.consumed and partial else 1.0
    out = {}
    for key, records in parsed.columns.items():
        whole = Series.from_records(key, records)
        out[key] = dataclasses.replace(whole, total=round(len(whole) * share), downsampled=partial)
    return out


def preview(metrics_path: Path, *, backlog: int | None = None) -> dict[str, Series] | None:
    """A :func:`sample` of the histories when the index lags more than ``backlog`` (:data:`BACKLOG`) bytes
    behind the JSONL; None when it does not (reading the index, after extending it, is then quick)."""
    if HistoryIndex(metrics_path, write=False).backlog() <= (BACKLOG if backlog is None else backlog):
        return None
    return sample(metrics_path)
