"""The append-only metric history of a run: one JSON object per line.

Line format: ``{"k": key, "v": value, "s": step, "t": unix_seconds}``; ``v`` is a number or the
tagged non-finite form of :mod:`tracker_core.jsonio`. A writer killed mid-append can leave a
torn last line without its newline: readers stop before it and never count it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .jsonio import decode_float, float_token
from .records import MetricPoint, MetricSummary

FILENAME = "metrics.jsonl"

_key_cache: dict[str, str] = {}


def format_points(points: Iterable[tuple[str, float, int, float]]) -> bytes:
    """Encode points as JSON Lines; hand-formatted because this runs for every point logged."""
    cache = _key_cache
    out = []
    for key, value, step, ts in points:
        kj = cache.get(key)
        if kj is None:
            kj = cache[key] = json.dumps(key, ensure_ascii=False)
        out.append(f'{{"k":{kj},"v":{float_token(value)},"s":{step},"t":{ts!r}}}\n')
    return "".join(out).encode("utf-8")


def parse_lines(data: bytes) -> tuple[list[MetricPoint], int]:
    """Parse complete lines of ``data``; return the points and the bytes consumed.

    A last line without its newline is torn (or still being written) and left unconsumed.
    A complete line that does not parse is skipped.
    """
    end = data.rfind(b"\n") + 1
    points: list[MetricPoint] = []
    loads = json.loads
    for line in data[:end].splitlines():
        if not line:
            continue
        try:
            rec = loads(line)
            points.append(MetricPoint(rec["k"], decode_float(rec["v"]), int(rec["s"]), float(rec["t"])))
        except (ValueError, KeyError, TypeError):
            continue
    return points, end


def read_points(path: Path, offset: int = 0) -> tuple[list[MetricPoint], int]:
    """Points from byte ``offset`` on, and the offset just past the last complete line."""
    try:
        with open(path, "rb") as fh:
            if offset:
                fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return [], offset
    points, used = parse_lines(data)
    return points, offset + used


def summarize(points: Iterable[MetricPoint], into: dict[str, MetricSummary] | None = None) -> dict[str, MetricSummary]:
    """Fold points into per-key summaries (updating ``into`` when given)."""
    summaries = {} if into is None else into
    for p in points:
        s = summaries.get(p.key)
        if s is None:
            summaries[p.key] = MetricSummary.first(p.value, p.step, p.timestamp)
        else:
            s.add(p.value, p.step, p.timestamp)
    return summaries


def history(path: Path, key: str | None = None) -> Iterator[MetricPoint]:
    """Every readable point of the file, optionally of one key, in logged order."""
    points, _ = read_points(path)
    return (p for p in points if key is None or p.key == key)


def truncate_torn_tail(path: Path) -> int:
    """Cut a torn last line (left by a killed writer) so appends start on a fresh line.

    Only the run's single writer may call this. Returns the resulting size.
    """
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        return 0
    if size == 0:
        return 0
    with open(path, "rb+") as fh:
        fh.seek(max(0, size - 65536))
        tail = fh.read()
        if tail.endswith(b"\n"):
            return size
        cut = tail.rfind(b"\n")
        new_size = size - len(tail) + cut + 1 if cut >= 0 else (0 if size <= 65536 else size)
        if new_size != size:
            fh.truncate(new_size)
        return new_size
