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
from ..validation import STEP_LIMIT

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

RECORD_DTYPE_SPEC = [("s", "<i8"), ("v", "<f8"), ("t", "<f8")]
"""One point on disk and in memory: step (int64), value (float64), unix time (float64)."""

CHUNK = 1 << 20
"""Bytes parsed at a time, so memory stays bounded whatever the file size. 1 MB parses faster than 8 MB
(the arrays of a chunk stay in the CPU's caches) and holds the GIL for a shorter while, so a screen
drawing meanwhile gets its turns."""

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
    if type(key) is not str or not -STEP_LIMIT <= step < STEP_LIMIT:
        return None
    return key, step, value, ts


_CANONICAL_MIN = len(b'{"k":"","v":0,"s":0,"t":0}')
_ODD_SHARE = 8
"""A chunk with more than one line in this many not in the writer's own layout is parsed line by line."""


def _gather_equal(buf: npt.NDArray[Any], at: npt.NDArray[Any], pattern: bytes) -> npt.NDArray[Any]:
    """Whether ``buf[at + i] == pattern[i]`` for every i (``at`` already known to leave room)."""
    ok: npt.NDArray[Any] = buf[at] == pattern[0]
    for i in range(1, len(pattern)):
        ok &= buf[at + i] == pattern[i]
    return ok


def _layout(raw: bytes, end: int) -> tuple[Any, ...] | None:
    """The writer's own lines (``{"k":KEY,"v":V,"s":S,"t":T}``) parsed in one orjson call, or None.

    Every line's separators are found with whole-array operations on the bytes (its last three colons
    are the ``"v"``, ``"s"`` and ``"t"`` ones); the bytes around the four values are blanked and the
    lines joined into one JSON array ``[KEY, V, S, T, KEY, ...]``, so no dict is made per point. Lines
    of another layout (hand-written, NaN's tagged value, blank) are returned apart, to be parsed one
    by one. None when the chunk is not mostly the writer's layout or the array does not parse.
    """
    import numpy as np
    import orjson

    buf = np.frombuffer(raw, np.uint8, count=end)
    ends = np.flatnonzero(buf == 10)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    colons = np.flatnonzero(buf == 58)
    if len(colons) < 3:
        return None
    last = np.searchsorted(colons, ends) - 1
    ok = (ends - starts >= _CANONICAL_MIN) & (last >= 2)
    last = np.where(ok, last, 2)
    tc, sc, vc = colons[last], colons[last - 1], colons[last - 2]
    ok &= vc - 11 >= starts  # room for {"k":"",
    ok &= (sc - 4 > vc + 1) & (tc - 4 > sc + 1) & (ends - 1 > tc + 1)  # a value between each pair
    for at, pattern in ((starts, b'{"k":"'), (vc - 5, b'","v":'), (sc - 4, b',"s":'), (tc - 4, b',"t":')):
        ok &= _gather_equal(buf, np.where(ok, at, 0), pattern)  # a rejected line reads from byte 0
    ok &= buf[np.where(ok, ends - 1, 0)] == 125  # }
    good = np.flatnonzero(ok)
    odd = np.flatnonzero(~ok)
    if not len(good) or len(odd) * _ODD_SHARE > len(ends):
        return None
    out = buf.copy()
    g_start, g_v, g_s, g_t, g_end = starts[good], vc[good], sc[good], tc[good], ends[good]
    for offset in range(5):  # {"k":
        out[g_start + offset] = 32
    for at in (g_v, g_s, g_t):  # "v": "s": "t": (each comma before them stays)
        for offset in range(4):
            out[at - offset] = 32
    out[g_end - 1] = 32  # }
    out[g_end] = 44  # the newline becomes the comma between lines
    out[g_end[-1]] = 32
    odd_lines = []
    for i in odd.tolist():
        a, b = int(starts[i]), int(ends[i])
        odd_lines.append(raw[a:b])
        out[a : b + 1] = 32
    try:
        flat = orjson.loads(b"[" + out.tobytes() + b"]")
    except orjson.JSONDecodeError:
        return None
    if len(flat) != 4 * len(good):
        return None
    return good, odd, odd_lines, flat


def _from_layout(raw: bytes, end: int) -> tuple[list[Any], Any, Any, Any] | None:
    """(keys, steps, values, times) in logged order of a chunk mostly in the writer's layout, or None."""
    import numpy as np
    import orjson

    found = _layout(raw, end)
    if found is None:
        return None
    good, odd, odd_lines, flat = found
    keys = flat[0::4]
    s_arr = np.array(flat[2::4])
    if s_arr.dtype != np.int64:  # a float, bool-only, string or out-of-range step somewhere
        return None
    v_arr, t_arr = _floats(flat[1::4]), _floats(flat[3::4])
    if v_arr is None or t_arr is None:
        return None
    points = []
    lines = []
    for i, line in zip(odd.tolist(), odd_lines, strict=True):
        try:
            point = _point(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue
        if point is not None:
            points.append(point)
            lines.append(i)
    if not points:
        return keys, s_arr, v_arr, t_arr
    order = np.argsort(np.concatenate([good, np.array(lines, dtype=good.dtype)]), kind="stable")
    every = keys + [p[0] for p in points]
    return (
        [every[i] for i in order.tolist()],
        np.concatenate([s_arr, np.array([p[1] for p in points], dtype=np.int64)])[order],
        np.concatenate([v_arr, np.array([p[2] for p in points], dtype=np.float64)])[order],
        np.concatenate([t_arr, np.array([p[3] for p in points], dtype=np.float64)])[order],
    )


def _from_records(raw: bytes) -> tuple[list[Any], Any, Any, Any]:
    """(keys, steps, values, times) of every line, each parsed by orjson (any layout)."""
    import numpy as np

    recs = _records(split_lines(raw))
    try:  # every record well formed (checks on whole arrays and on the distinct keys only)
        keys = list(map(_get_k, recs))
        s_arr = np.array(list(map(_get_s, recs))) if recs else np.empty(0, np.int64)
        if s_arr.dtype != np.int64:  # a float, bool, string or out-of-range step somewhere
            raise TypeError
        v_arr, t_arr = _floats(list(map(_get_v, recs))), _floats(list(map(_get_t, recs)))
        if v_arr is not None and t_arr is not None and _codes(keys) is not None:
            return keys, s_arr, v_arr, t_arr
    except (KeyError, TypeError, ValueError, OverflowError):
        pass
    points = [p for p in map(_point, recs) if p is not None]
    return (
        [p[0] for p in points],
        np.array([p[1] for p in points], dtype=np.int64),
        np.array([p[2] for p in points], dtype=np.float64),
        np.array([p[3] for p in points], dtype=np.float64),
    )


def _floats(values: list[Any]) -> npt.NDArray[Any] | None:
    """``values`` as float64 when every one is a JSON number (None: some null, string, tagged value...)."""
    import numpy as np

    arr = np.array(values)
    if arr.dtype.kind not in "fi" and len(arr):
        return None
    return arr.astype(np.float64)


def _codes(keys: list[Any]) -> dict[str, int] | None:
    """Each distinct key's number in first-seen order, or None when a key is not a string."""
    try:
        distinct = dict.fromkeys(keys)
    except TypeError:  # an unhashable key
        return None
    if not all(type(k) is str for k in distinct):
        return None
    return {k: i for i, k in enumerate(distinct)}


def parse_bytes(data: bytes | memoryview) -> Parsed:
    """Parse the complete lines of ``data`` into per-key record arrays (logged order within a key)."""
    import numpy as np

    raw = bytes(data)
    end = complete_end(raw)
    found = _from_layout(raw, end) if end else None
    codes = _codes(found[0]) if found is not None else None
    if found is None or codes is None:
        found = _from_records(raw)
        codes = _codes(found[0]) or {}
    keys, s_arr, v_arr, t_arr = found
    dtype = record_dtype()
    columns: dict[str, npt.NDArray[Any]] = {}
    if len(codes) == 1:
        groups: list[Any] = [np.arange(len(keys))]
    else:
        code_arr = np.fromiter(map(codes.__getitem__, keys), np.int16 if len(codes) < 2**15 else np.int64, len(keys))
        order = np.argsort(code_arr, kind="stable")  # a radix sort for 16-bit codes
        bounds = np.searchsorted(code_arr[order], np.arange(len(codes) + 1))
        groups = [order[bounds[i] : bounds[i + 1]] for i in range(len(codes))]
    for key, idx in zip(codes, groups, strict=False):
        col = np.empty(len(idx), dtype=dtype)
        col["s"] = s_arr[idx]
        col["v"] = v_arr[idx]
        col["t"] = t_arr[idx]
        columns[key] = col
    return Parsed(columns, end)
