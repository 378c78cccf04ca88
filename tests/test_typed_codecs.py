"""The typed fast path of listings decodes exactly what the checked codecs decode, and only that.

``codecs.decode_run_bytes`` (listings) and ``codecs.decode_cache_line`` first try the msgspec
schemas of ``storage.typed``; whatever those refuse goes to the checked decoders. Over generated
documents (valid, odd and damaged) both routes must agree: the same summary, or the same refusal.
"""

from __future__ import annotations

import json
import math

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import tracker_core as tc
from tracker_core.errors import CorruptFileError
from tracker_core.jsonio import dumps_bytes, dumps_tagged_bytes, loads, parse_bytes
from tracker_core.storage import codecs

RUN_ID = "0123456789abcdef0123456789abcdef"
EXP_ID = "e" * 32

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2**63, 2**64, 10**15, 10**308, 10**309, -(10**309)]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1e15, 1e-300, 1e308, 5.5]),
    st.text(max_size=8),
    st.sampled_from([{"$float": "NaN"}, {"$float": "Infinity"}, {"$float": "bogus"}, [], {}]),
)
NUMBERS = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(2**70), 2**70), SCALARS)


@st.composite
def metric(draw: st.DrawFn) -> object:
    if draw(st.integers(0, 9)) == 0:
        return draw(SCALARS)
    fields = {
        "last": draw(NUMBERS),
        "min": draw(NUMBERS),
        "max": draw(NUMBERS),
        "step": draw(st.one_of(st.integers(-5, 2**65), SCALARS)),
        "count": draw(st.one_of(st.integers(-1, 50), SCALARS)),
        "t": draw(NUMBERS),
        "sum": draw(NUMBERS),
        "first": draw(NUMBERS),
        "first_step": draw(st.one_of(st.integers(0, 50), SCALARS)),
    }
    dropped = draw(st.sets(st.sampled_from(sorted(fields)), max_size=3))
    doc = {k: v for k, v in fields.items() if k not in dropped}
    if draw(st.booleans()):
        doc["extra"] = draw(SCALARS)
    return doc


def plain_metric(i: int) -> dict[str, object]:
    return {
        "last": 0.5,
        "min": 0.1,
        "max": 0.9,
        "step": i,
        "count": i + 1,
        "t": 1.7e9,
        "sum": 3.0,
        "first": 0.9,
        "first_step": 0,
    }


@st.composite
def run_doc(draw: st.DrawFn) -> object:
    if draw(st.integers(0, 30)) == 0:
        return draw(st.one_of(SCALARS, st.lists(SCALARS, max_size=3)))
    doc: dict[str, object] = {
        "id": RUN_ID,
        "status": draw(st.one_of(st.sampled_from(["running", "finished", "failed", "killed", "crashed", ""]), SCALARS)),
        "name": draw(st.one_of(st.text(max_size=5), SCALARS)),
        "start_time": draw(st.one_of(st.floats(0, 2e15), SCALARS)),
        "end_time": draw(st.one_of(st.floats(0, 2e15), SCALARS)),
        "parent_id": draw(st.one_of(st.none(), SCALARS)),
        "user": draw(st.one_of(st.text(max_size=4), SCALARS)),
        "host": draw(st.one_of(st.text(max_size=4), SCALARS)),
        "pid": draw(st.one_of(st.integers(-2, 2**66), SCALARS)),
        "params": draw(st.one_of(st.dictionaries(st.text(max_size=4), SCALARS, max_size=4), SCALARS)),
        "tags": draw(st.one_of(st.dictionaries(st.text(max_size=4), SCALARS, max_size=4), SCALARS)),
        "metrics": draw(
            st.one_of(
                st.dictionaries(
                    st.text(max_size=4), st.one_of(metric(), st.integers(0, 9).map(plain_metric)), max_size=4
                ),
                SCALARS,
            )
        ),
        "metrics_offset": draw(st.one_of(st.integers(-2, 2**66), SCALARS)),
        "env": draw(st.one_of(st.dictionaries(st.text(max_size=4), SCALARS, max_size=3), SCALARS)),
        "error": draw(st.one_of(st.none(), st.text(max_size=5), SCALARS)),
    }
    if draw(st.booleans()):
        doc["events"] = draw(
            st.one_of(
                st.lists(st.fixed_dictionaries({"time": st.floats(0, 1e10), "event": st.text(max_size=5)}), max_size=2),
                SCALARS,
            )
        )
    dropped = draw(st.sets(st.sampled_from(sorted(doc)), max_size=3))
    return {k: v for k, v in doc.items() if k not in dropped}


def encoded(doc: object, style: int) -> bytes:
    if style == 0:
        return dumps_bytes(doc)
    return json.dumps(doc, indent=2 if style == 1 else None, separators=None if style else (",", ":")).encode()


def checked_run(raw: bytes) -> object:
    """What the checked route alone makes of ``raw``: a summary's repr, or the refusal's reason."""
    try:
        return repr(codecs.decode_run(parse_bytes(raw, "run.json", raw=True), RUN_ID, EXP_ID, False, with_env=False))
    except CorruptFileError as exc:
        return exc.reason


def listed_run(raw: bytes) -> object:
    try:
        return repr(codecs.decode_run_bytes(raw, RUN_ID, EXP_ID, False, with_env=False))
    except CorruptFileError as exc:
        return exc.reason


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(run_doc(), st.integers(0, 2))
@example({"status": "finished", "start_time": 10**308, "metrics": {"m": plain_metric(1) | {"last": 10**308}}}, 0)
@example({"status": "finished", "metrics": {"m": plain_metric(1) | {"min": 2**1023 + 1}}}, 0)
@example({"status": "finished", "name": "", "pid": 2**70, "params": {"big": 2**80, "nan": {"$float": "NaN"}}}, 0)
@example({"status": "finished", "env": [1], "metrics": {}}, 0)
@example({"status": "finished", "env": None, "params": None}, 0)
def test_listing_decodes_a_run_file_exactly_as_the_checked_codec(doc: object, style: int) -> None:
    raw = encoded(doc, style)
    assert listed_run(raw) == checked_run(raw)


@pytest.mark.parametrize(
    "raw",
    [b"", b"   ", b"{", b"[1, 2", b'{"status": "finished"', b'{"status": NaN}', b"\xff\xfe", b'{"a": "\\ud800"}'],
)
def test_damaged_bytes_get_the_checked_codecs_reason(raw: bytes) -> None:
    assert listed_run(raw) == checked_run(raw)
    assert isinstance(listed_run(raw), str)


def test_the_shape_every_writer_produces_never_reaches_the_checked_route(tmp_path, monkeypatch) -> None:
    store = tc.Store(tmp_path / "s")
    with store.start_run("e", "r", params={"lr": 0.1, "big": 2**70}, tags={"t": "x"}) as run:
        for i in range(3):
            run.log_metric("loss", 1.0 / (i + 1), step=i)
    monkeypatch.setattr(
        codecs, "decode_run", lambda *a, **k: pytest.fail("the typed schema refused a writer's run.json")
    )
    monkeypatch.setattr(
        codecs, "decode_cache_entry", lambda *a, **k: pytest.fail("the typed schema refused a cache line")
    )
    (listed,) = store.list_runs("e")
    assert listed.params == {"lr": 0.1, "big": 2**70} and type(listed.params["big"]) is int
    assert listed.metrics["loss"].count == 3 and listed.metrics["loss"].first_value == 1.0
    summary = listed
    line = dumps_tagged_bytes(codecs.encode_cache_entry(summary.id, summary, (1, 2, 3)))
    decoded = codecs.decode_cache_line(line, summary.experiment_id)
    assert decoded is not None and decoded[1] == (1, 2, 3) and repr(decoded[2]) == repr(summary)


# ------------------------------------------------------------------ summary-cache lines
@st.composite
def cache_line(draw: st.DrawFn) -> bytes:
    metrics = draw(
        st.dictionaries(
            st.text(max_size=3),
            st.one_of(
                st.lists(st.one_of(NUMBERS, st.none()), min_size=8, max_size=10),
                st.tuples(NUMBERS, NUMBERS, NUMBERS, st.integers(-1, 9), st.integers(-1, 9), NUMBERS)
                .flatmap(
                    lambda t: st.tuples(
                        st.just(list(t)),
                        st.one_of(st.none(), NUMBERS),
                        st.one_of(st.none(), NUMBERS),
                        st.one_of(st.none(), st.integers(0, 9)),
                    )
                )
                .map(lambda t: [*t[0], t[1], t[2], t[3]]),
                SCALARS,
            ),
            max_size=3,
        )
    )
    entry = [
        draw(st.one_of(st.just(RUN_ID), SCALARS)),
        draw(st.one_of(st.integers(-1, 2**65), SCALARS)),
        draw(st.integers(0, 99)),
        draw(st.integers(0, 10**19)),
        draw(st.one_of(st.text(max_size=4), SCALARS)),
        draw(st.one_of(st.sampled_from(["finished", "failed", "killed", "running"]), SCALARS)),
        draw(st.one_of(st.floats(0, 2e15), SCALARS)),
        draw(st.one_of(st.floats(0, 2e15), SCALARS)),
        draw(st.one_of(st.none(), SCALARS)),
        draw(st.one_of(st.none(), SCALARS)),
        draw(st.one_of(st.none(), SCALARS)),
        draw(st.one_of(st.none(), st.integers(-1, 2**65), SCALARS)),
        draw(st.one_of(st.dictionaries(st.text(max_size=3), SCALARS, max_size=3), SCALARS)),
        draw(st.one_of(st.dictionaries(st.text(max_size=3), SCALARS, max_size=3), SCALARS)),
        metrics,
        draw(st.one_of(st.none(), st.text(max_size=3), SCALARS)),
    ]
    cut = draw(st.sampled_from([None, None, None, 15, 17]))
    if cut == 17:
        entry.append(0)
    elif cut is not None:
        entry = entry[:cut]
    return json.dumps(entry).encode() + b"\n"


def checked_line(line: bytes) -> object:
    try:
        entry = codecs.decode_cache_entry(loads(line, raw=True), EXP_ID)
    except ValueError:
        return None
    return None if entry is None else repr(entry)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cache_line())
@example(b'["",1,2,3,"n","finished",1.0,2.0,null,null,null,null,{},{},{},null]\n')
@example(b'["r",-1,2,3,"n","finished",1.0,2.0,null,null,null,null,{},{},{},null]\n')
@example(b'["r",1,2,3,"n","finished",1e15,2.0,null,null,null,null,{},{},{},null]\n')
@example(b'["r",1,2,3,"n","finished",1.0,2.0,null,null,null,null,{},{},{"m":[1,2,3,4,5,6,null,"x",null]},null]\n')
@example(b'["r",1,2,3,"n","finished",1.0,2.0,null,null,null,null,{},{},{"m":[1,2,3,4,5,6,null,null,7]},null]\n')
@example(
    b'["r",1,2,3,"n","finished",1.0,2.0,null,null,null,null,{},{},{"m":[{"$float":"NaN"},2,3,4,5,6,7,8,9]},null]\n'
)
def test_a_cache_line_decodes_exactly_as_the_checked_codec(line: bytes) -> None:
    got = codecs.decode_cache_line(line, EXP_ID)
    assert (None if got is None else repr(got)) == checked_line(line)


def test_a_non_finite_summary_round_trips_through_the_cache_line() -> None:
    summary = tc.RunSummary(
        id=RUN_ID,
        experiment_id=EXP_ID,
        name="n",
        status="finished",
        start_time=1.0,
        metrics={"loss": tc.MetricSummary(math.nan, -math.inf, math.inf, 3, 4, 2.0, math.nan, 1.0, 0)},
    )
    line = dumps_tagged_bytes(codecs.encode_cache_entry(RUN_ID, summary, (1, 2, 3)))
    got = codecs.decode_cache_line(line, EXP_ID)
    assert got is not None and repr(got[2]) == repr(summary)
    assert orjson.loads(line)[14]["loss"][0] == {"$float": "NaN"}
