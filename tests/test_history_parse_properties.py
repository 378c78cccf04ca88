"""The history index's chunk parser against the line parser, on generated histories (an attacker's keys and values).

``tracker_core.history.parse.parse_bytes`` takes a fast path for the writer's own line layout; whatever the
keys, values and foreign lines, it must read exactly the points :func:`tracker_core.metrics_log.parse_lines`
reads (the source of truth), key by key in logged order, and consume the same bytes.
"""

from __future__ import annotations

import math
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker_core import metrics_log
from tracker_core.history.parse import parse_bytes


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


def _by_line_parser(data: bytes) -> tuple[dict[str, list[tuple[int, bytes, float]]], int]:
    points, consumed = metrics_log.parse_lines(data)
    out: dict[str, list[tuple[int, bytes, float]]] = {}
    for p in points:
        out.setdefault(p.key, []).append((p.step, _bits(p.value), p.timestamp))
    return out, consumed


def _by_chunk_parser(data: bytes) -> tuple[dict[str, list[tuple[int, bytes, float]]], int]:
    parsed = parse_bytes(data)
    return {
        key: [(int(s), _bits(float(v)), float(t)) for s, v, t in col.tolist()] for key, col in parsed.columns.items()
    }, parsed.consumed


# Keys an attacker would pick against a separator search: quotes, backslashes, the line's own field names.
TRICKY_KEYS = st.sampled_from(
    ['a","v":1,"s":2,"t":3}', "k\\", '\\"', '"', ",", ":", '{"k":"x"}', "é/ü", "a b", "\u2028"]
)
KEYS = st.one_of(TRICKY_KEYS, st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12))
VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 5e-324, 1e308, -1e308]))
STEPS = st.integers(min_value=-(2**63), max_value=2**63 - 1)
TIMES = st.floats(min_value=0, max_value=4e9, allow_nan=False)
POINTS = st.lists(st.tuples(KEYS, VALUES, STEPS, TIMES), max_size=60)
FOREIGN = st.one_of(
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")),
    st.sampled_from(
        [
            b'{"k":"a","v":null,"s":1,"t":1}',
            b'{"k":"a","v":"1","s":1,"t":1}',
            b'{"k": "a", "v": 1, "s": 1, "t": 1}',  # another writer's spacing
            b'{"k":"a","v":1,"s":1.5,"t":1}',
            b'{"k":"a","v":1,"s":99999999999999999999,"t":1}',  # a step beyond 64 bits: no point on either path
            b"[]",
            b"{}",
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(POINTS, st.lists(st.tuples(st.integers(min_value=0, max_value=60), FOREIGN), max_size=6), st.binary(max_size=20))
def test_the_chunk_parser_reads_what_the_line_parser_reads(
    points: list[tuple[str, float, int, float]], foreign: list[tuple[int, bytes]], torn: bytes
) -> None:
    lines = metrics_log.format_points(points).splitlines()
    for at, line in sorted(foreign, reverse=True):
        lines.insert(min(at, len(lines)), line)
    data = b"".join(line + b"\n" for line in lines) + torn.replace(b"\n", b"")
    assert _by_chunk_parser(data) == _by_line_parser(data)


@settings(max_examples=100, deadline=None)
@given(POINTS)
def test_the_writers_own_lines_are_every_point_logged(points: list[tuple[str, float, int, float]]) -> None:
    got, _ = _by_chunk_parser(metrics_log.format_points(points))
    assert sum(map(len, got.values())) == len(points)
    for key, value, step, ts in points:
        assert (step, _bits(value) if not math.isnan(value) else None, ts) in {
            (s, b if not math.isnan(struct.unpack("<d", b)[0]) else None, t) for s, b, t in got[key]
        }
