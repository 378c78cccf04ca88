"""Metric histories read at the cost of what is asked, not of the file size.

``metrics.jsonl`` is the source of truth; :mod:`.index` keeps a derived per-run index of per-key binary
columns beside it, built and extended by readers, checked against the JSONL on every open. On top of it:

- :func:`read_series` one key (only that key's column is read), optionally a step range, downsampled;
- :func:`read_all` every key as arrays;
- :class:`HistoryTail` the points appended since a byte offset (live views);
- :class:`LiveHistory` a run's histories kept current from its tail, for a screen that follows it;
- :func:`preview` a quick sample of every key while a long history's index is not built yet;
- :class:`Series` arrays of steps, values and times, with :meth:`Series.downsample` (per-bucket min,
  max and last) and :func:`ema` smoothing.

numpy is imported only inside these functions, never by ``import tracker_core``.
"""

from __future__ import annotations

from pathlib import Path

from .index import HistoryIndex, open_index
from .live import LiveHistory
from .sampled import preview
from .series import Series, ema
from .tail import HistoryTail

__all__ = [
    "HistoryIndex",
    "HistoryTail",
    "LiveHistory",
    "Series",
    "ema",
    "open_index",
    "preview",
    "read_all",
    "read_series",
]


def _shape(series: Series, start: int | None, end: int | None, points: int | None) -> Series:
    if start is not None or end is not None:
        series = series.between(start, end)
    return series.downsample(points) if points else series


def read_series(
    metrics_path: Path, key: str, *, start: int | None = None, end: int | None = None, points: int | None = None
) -> Series:
    """One key's history from the run's index: steps ``start..end`` (inclusive), at most ~3x ``points`` buckets."""
    index = open_index(metrics_path)
    return _shape(Series.from_records(key, index.records(key)), start, end, points)


def read_all(metrics_path: Path, *, points: int | None = None) -> dict[str, Series]:
    """Every key's history as arrays (first-logged key order)."""
    index = open_index(metrics_path)
    return {key: _shape(Series.from_records(key, index.records(key)), None, None, points) for key in index.key_names()}
