"""The append-only metric history of a run: one JSON object per line.

Line format: ``{"k": key, "v": value, "s": step, "t": unix_seconds}``; ``v`` is a number or the
tagged non-finite form of :mod:`tracker_core.jsonio`. A writer killed mid-append can leave a
torn last line without its newline: readers stop before it and never count it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from .jsonio import decode_float, float_token
from .records import MetricPoint, MetricSummary
from .storage.append import complete_end, read_complete
from .storage.layout import METRICS_FILE
from .validation import STEP_LIMIT

FILENAME = METRICS_FILE  # the store layout's name for it

_key_cache: dict[str, str] = {}


def format_points(points: Iterable[tuple[str, float, int, float]]) -> bytes:
    """Encode points as JSON Lines; hand-formatted because this runs for every point logged."""
    cache = _key_cache
    out = []
    for key, value, step, ts in points:
        kj = cache.get(key)
        if kj is None:
            import json  # once per key; a training script's import of tracker_core does not pay for it

            kj = cache[key] = json.dumps(key, ensure_ascii=False)
        out.append(f'{{"k":{kj},"v":{float_token(value)},"s":{step},"t":{ts!r}}}\n')
    return "".join(out).encode("utf-8")


def parse_lines(data: bytes) -> tuple[list[MetricPoint], int]:
    """Parse complete lines of ``data``; return the points and the bytes consumed.

    A last line without its newline is torn (or still being written) and left unconsumed.
    A complete line that does not parse is skipped.
    """
    end = complete_end(data)
    points: list[MetricPoint] = []
    import json

    loads = json.loads
    for line in data[:end].splitlines():
        if not line:
            continue
        try:
            rec = loads(line)
            step = int(rec["s"])
            if -STEP_LIMIT <= step < STEP_LIMIT:  # a hand-written step beyond 64 bits is no point (as in the index)
                points.append(MetricPoint(rec["k"], decode_float(rec["v"]), step, float(rec["t"])))
        except (ValueError, KeyError, TypeError):
            continue
    return points, end


def read_points(path: Path, offset: int = 0) -> tuple[list[MetricPoint], int]:
    """Points from byte ``offset`` on, and the offset just past the last complete line."""
    data, new_offset = read_complete(path, offset)
    points, _ = parse_lines(data)
    return points, new_offset


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
