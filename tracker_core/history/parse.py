"""Parse complete lines of ``metrics.jsonl`` into per-key columns (numpy arrays, no object per point kept).

The line format is :mod:`tracker_core.metrics_log`'s. A last line without its newline is torn (or still
being written) and is left unconsumed; a complete line that does not parse is skipped, exactly as
:func:`tracker_core.metrics_log.parse_lines` does, so both read paths see the same points.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..jsonio import decode_float
from ..storage.append import complete_end, split_lines

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

RECORD_DTYPE_SPEC = [("s", "<i8"), ("v", "<f8"), ("t", "<f8")]
"""One point on disk and in memory: step (int64), value (float64), unix time (float64)."""

CHUNK = 8 << 20
"""Bytes parsed at a time, so memory stays bounded whatever the file size."""

_INT64 = (-(2**63), 2**63 - 1)
_get_k, _get_s, _get_v, _get_t = (operator.itemgetter(f) for f in ("k", "s", "v", "t"))


def record_dtype() -> np.dtype[Any]:
    import numpy as np

    return np.dtype(RECORD_DTYPE_SPEC)


@dataclass
class Parsed:
    """The points of a span of complete lines, grouped by key in first-seen order (logged order within a key)."""

    columns: dict[str, npt.NDArray[Any]]
    consumed: int
    """Bytes of complete lines (including unparseable ones) covered."""
    last_line: bytes
    """The last complete line covered (without its newline), or b"" when none."""


def _records(lines: list[bytes]) -> list[Any]:
    import orjson

    try:  # one call for the whole chunk; a bad line makes it fall back to line by line
        parsed = orjson.loads(b"[" + b",".join(lines) + b"]")
        if len(parsed) == len(lines) and set(map(type, parsed)) <= {dict}:
            return list(parsed)
    except orjson.JSONDecodeError:
        pass
    out: list[Any] = []
    for line in lines:
        try:
            out.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue
    return out


def _point(rec: Any) -> tuple[str, int, float, float] | None:
    """(key, step, value, time) of one parsed line, or None when it is not a valid point."""
    try:
        key = rec["k"]
        step = int(rec["s"])
        value = decode_float(rec["v"])
        ts = float(rec["t"])
    except (ValueError, KeyError, TypeError, OverflowError):
        return None
    if type(key) is not str or not _INT64[0] <= step <= _INT64[1]:
        return None
    return key, step, value, ts


def parse_bytes(data: bytes | memoryview) -> Parsed:
    """Parse the complete lines of ``data`` into per-key record arrays."""
    import numpy as np

    raw = bytes(data)
    end = complete_end(raw)
    lines = split_lines(raw)
    last_line = lines[-1] if lines else b""
    recs = _records(lines)
    codes: dict[str, int] = {}
    try:  # the fast path: every record well formed (checks on whole arrays and on the distinct keys only)
        keys = list(map(_get_k, recs))
        code_list = [codes.setdefault(k, len(codes)) for k in keys]
        if not all(type(k) is str for k in codes):
            raise TypeError
        s_arr = np.array(list(map(_get_s, recs))) if recs else np.empty(0, np.int64)
        if s_arr.dtype != np.int64:  # a float, bool, string or out-of-range step somewhere
            raise TypeError
        v_arr = np.array(list(map(_get_v, recs)), dtype=np.float64)
        t_arr = np.array(list(map(_get_t, recs)), dtype=np.float64)
    except (KeyError, TypeError, ValueError, OverflowError):
        points = [p for p in map(_point, recs) if p is not None]
        keys = [p[0] for p in points]
        s_arr = np.array([p[1] for p in points], dtype=np.int64)
        v_arr = np.array([p[2] for p in points], dtype=np.float64)
        t_arr = np.array([p[3] for p in points], dtype=np.float64)
        codes = {}
        code_list = [codes.setdefault(k, len(codes)) for k in keys]
    dtype = record_dtype()
    columns: dict[str, npt.NDArray[Any]] = {}
    if len(codes) == 1:
        groups: list[Any] = [np.arange(len(keys))]
    else:
        code_arr = np.array(code_list, dtype=np.int64)
        order = np.argsort(code_arr, kind="stable")
        bounds = np.searchsorted(code_arr[order], np.arange(len(codes) + 1))
        groups = [order[bounds[i] : bounds[i + 1]] for i in range(len(codes))]
    for key, idx in zip(codes, groups, strict=False):
        col = np.empty(len(idx), dtype=dtype)
        col["s"] = s_arr[idx]
        col["v"] = v_arr[idx]
        col["t"] = t_arr[idx]
        columns[key] = col
    return Parsed(columns, end, last_line)
