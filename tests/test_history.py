"""The history index and read path: equal to metrics.jsonl after damage of every kind; cost follows what is asked."""

from __future__ import annotations

import math
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tracker_core as tc
from tracker_core import metrics_log
from tracker_core.history import HistoryIndex, HistoryTail, LiveHistory, Series, ema, read_all, read_series
from tracker_core.history import sampled as preview_mod
from tracker_core.history.index import DIRNAME, HEADER
from tracker_core.storage.append import repair_torn_tail

SPECIAL = [math.nan, math.inf, -math.inf, -0.0, 0.0, 1e308, -1e-308, 5e-324]


def bits(value: float) -> bytes:
    return struct.pack("<d", value)


def expected(path: Path) -> dict[str, list[tuple[int, bytes, float]]]:
    """The JSONL read by the original line parser: the source of truth."""
    points, _ = metrics_log.read_points(path)
    out: dict[str, list[tuple[int, bytes, float]]] = {}
    for p in points:
        out.setdefault(p.key, []).append((p.step, bits(p.value), p.timestamp))
    return out


def indexed(path: Path) -> dict[str, list[tuple[int, bytes, float]]]:
    index = HistoryIndex(path).refresh()
    return {key: [(s, bits(v), t) for s, v, t in index.records(key).tolist()] for key in index.key_names()}


def assert_index_matches(path: Path) -> None:
    want = expected(path)
    assert indexed(path) == want
    assert indexed(path) == want  # again, now from the index on disk
    for key, pts in want.items():  # the sorted view holds the same points
        s = read_series(path, key)
        order = sorted(range(len(pts)), key=lambda i: pts[i][0])
        assert s.steps.tolist() == [pts[i][0] for i in order]
        assert [bits(v) for v in s.values.tolist()] == [pts[i][1] for i in order]


def append(path: Path, points: list[tuple[str, float, int, float]]) -> None:
    with open(path, "ab") as fh:
        fh.write(metrics_log.format_points(points))


@pytest.fixture
def jsonl(tmp_path: Path) -> Path:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    return run_dir / "metrics.jsonl"


def test_store_api_reads_the_index_and_keeps_the_list_api(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    with store.start_run("e") as run:
        for i in range(300):
            run.log_metric("loss", 1.0 / (i + 1), step=i)
            if i % 3 == 0:
                run.log_metric("acc", SPECIAL[i % len(SPECIAL)], step=300 - i)
    hist = store.metric_history(run.id, "loss")
    assert [p.step for p in hist] == list(range(300)) and hist[0] == tc.MetricPoint("loss", 1.0, 0, hist[0].timestamp)
    acc = store.metric_histories(run.id)["acc"]
    assert [p.step for p in acc] == [300 - i for i in range(0, 300, 3)]  # logged order, not step order
    series = store.metric_series(run.id, "acc")
    assert isinstance(series, Series) and series.steps.tolist() == sorted(p.step for p in acc)
    assert store.metric_series(run.id, "loss", start=10, end=19).steps.tolist() == list(range(10, 20))
    small = store.metric_series(run.id, "loss", points=10)
    assert small.downsampled and small.total == 300 and len(small) <= 30
    assert store.metric_series(run.id, "never").total == 0
    assert set(store.metric_series_all(run.id)) == {"loss", "acc"}
    run_dir = store.experiments_dir / run.experiment_id / "runs" / run.id
    assert (run_dir / DIRNAME / HEADER).is_file()
    assert store.metric_history(run.id, "loss") == hist


def test_numpy_stays_out_of_import_tracker_core() -> None:
    code = "import sys, tracker_core, tracker_core.store, tracker_core.history; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_torn_tail_is_never_indexed_and_is_picked_up_once_complete(jsonl: Path) -> None:
    append(jsonl, [("a", 1.0, 0, 10.0), ("b", math.nan, 0, 10.0)])
    with open(jsonl, "ab") as fh:
        fh.write(b'{"k":"a","v":2.5,"s":1,"t":1')
    assert_index_matches(jsonl)
    assert HistoryIndex(jsonl).refresh().count("a") == 1
    with open(jsonl, "ab") as fh:
        fh.write(b'1.0}\n{"k":"a","v":3')
    assert_index_matches(jsonl)
    assert HistoryIndex(jsonl).refresh().count("a") == 2


def test_a_replaced_or_shortened_jsonl_rebuilds_the_index(jsonl: Path) -> None:
    append(jsonl, [("a", float(i), i, 1.0) for i in range(100)])
    assert_index_matches(jsonl)
    data = jsonl.read_bytes()
    jsonl.write_bytes(data.replace(b'"v":5.0', b'"v":7.0'))  # same size, other content near the head
    assert_index_matches(jsonl)
    jsonl.write_bytes(data[: len(data) // 2 + 3])  # cut mid-line
    assert_index_matches(jsonl)
    jsonl.write_bytes(b"")
    assert indexed(jsonl) == {}


def test_damaged_index_files_are_rebuilt(jsonl: Path) -> None:
    append(jsonl, [("a", float(i), i, 1.0) for i in range(50)] + [("b", -1.0, 0, 2.0)])
    index = HistoryIndex(jsonl).refresh()
    gen_dir = jsonl.parent / DIRNAME / index.gen
    for damage in ("garbage-header", "short-column", "zeroed-column", "no-columns"):
        if damage == "garbage-header":
            (jsonl.parent / DIRNAME / HEADER).write_bytes(b"{not json")
        elif damage == "short-column":
            with open(gen_dir / "0.bin", "r+b") as fh:
                fh.truncate(24 * 10)
        elif damage == "zeroed-column":
            size = os.path.getsize(gen_dir / "0.bin")
            (gen_dir / "0.bin").write_bytes(b"\0" * size)
        else:
            shutil.rmtree(jsonl.parent / DIRNAME / HistoryIndex(jsonl).refresh().gen)
        assert_index_matches(jsonl)
        gen_dir = jsonl.parent / DIRNAME / HistoryIndex(jsonl).refresh().gen


def test_an_index_that_cannot_be_written_still_reads(jsonl: Path) -> None:
    append(jsonl, [("a", float(i), i, 1.0) for i in range(20)])
    (jsonl.parent / DIRNAME).write_bytes(b"")  # a file where the directory would go: every write fails
    assert_index_matches(jsonl)
    append(jsonl, [("a", -1.0, 99, 1.0)])
    assert_index_matches(jsonl)
    assert (jsonl.parent / DIRNAME).read_bytes() == b""
    ro = HistoryIndex(jsonl, write=False).refresh()
    assert ro.count("a") == 21 and ro.bytes_parsed == os.path.getsize(jsonl)


def test_copied_store_and_resumed_run_stay_exact(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "a")
    with store.start_run("e") as run:
        for i in range(200):
            run.log_metric("m", float(i), step=i)
    store.metric_series(run.id, "m")  # index built
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    copy = tc.Store(tmp_path / "b")
    with store.start_run("e", run_id=run.id) as again:  # resume the original, then the copy differently
        again.log_metric("m", -1.0, step=5)
    with copy.start_run("e", run_id=run.id) as other:
        other.log_metric("m", math.inf, step=500)
        other.log_metric("n", 1.0, step=0)
    for s in (store, copy):
        path = s._metrics_path(run.id)
        assert_index_matches(path)
    assert store.metric_series(run.id, "m").values.tolist().count(-1.0) == 1
    assert copy.metric_series(run.id, "m").values[-1] == math.inf


WRITER = """
import sys, time, math, tracker_core as tc
store = tc.Store(sys.argv[1])
kw = {"run_id": sys.argv[2]} if len(sys.argv) > 2 else {}
run = store.start_run("e", flush_interval=0.02, **kw)
print(run.id, flush=True)
i = 0
while True:
    run.log_metric("loss", math.nan if i % 97 == 0 else 1.0 / (i + 1), step=i % 50 if i % 11 == 0 else i)
    run.log_metric("acc", i * 0.001, step=i)
    i += 1
    if i % 200 == 0:
        time.sleep(0.001)
"""


@pytest.mark.slow
def test_index_exact_after_random_kills_of_writer_and_readers(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    root = str(tmp_path / "s")
    run_id = None
    for _ in range(4):
        argv = [sys.executable, "-c", WRITER, root] + ([run_id] if run_id else [])
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        run_id = proc.stdout.readline().strip()
        store = tc.Store(root)
        path = store._metrics_path(run_id)
        deadline = time.monotonic() + float(rng.uniform(0.3, 0.8))
        while time.monotonic() < deadline:  # readers index while the writer appends
            HistoryIndex(path).refresh()
        reader = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; from tracker_core.history import HistoryIndex;"
                "\nwhile True: HistoryIndex(Path(sys.argv[1])).refresh()",
                str(path),
            ]
        )
        time.sleep(float(rng.uniform(0.05, 0.3)))
        reader.send_signal(signal.SIGKILL)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reader.wait()
        assert_index_matches(path)
    assert sum(len(v) for v in expected(path).values()) > 100


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(
            st.tuples(
                st.just("points"),
                st.lists(
                    st.tuples(
                        st.sampled_from(["a", "b", "ü k", 'q"x']),
                        st.one_of(st.floats(allow_nan=True), st.sampled_from(SPECIAL)),
                        st.integers(-(2**40), 2**40),
                        st.floats(0, 2e9),
                    ),
                    max_size=30,
                ),
            ),
            st.tuples(st.just("torn"), st.binary(min_size=1, max_size=40).filter(lambda b: b"\n" not in b)),
            st.tuples(st.just("newline"), st.just(b"\n")),
            st.tuples(st.just("cut"), st.integers(0, 200)),
            st.tuples(st.just("read"), st.none()),
        ),
        max_size=12,
    )
)
def test_index_equals_jsonl_after_any_sequence_of_writes_damage_and_reads(tmp_path: Path, ops: list[Any]) -> None:
    run_dir = tmp_path / os.urandom(4).hex()
    run_dir.mkdir()
    path = run_dir / "metrics.jsonl"
    path.touch()
    for op, arg in ops:
        if op == "points":
            repair_torn_tail(path)  # what a resuming writer does
            append(path, arg)
        elif op in ("torn", "newline"):
            with open(path, "ab") as fh:
                fh.write(arg)
        elif op == "cut":
            with open(path, "r+b") as fh:
                fh.truncate(max(0, os.path.getsize(path) - arg))
        else:
            assert indexed(path) == expected(path)
    assert_index_matches(path)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-1000, 10**6), st.floats(allow_nan=True)), min_size=1, max_size=400),
    st.integers(1, 50),
)
def test_downsampling_keeps_every_buckets_min_max_and_last(points: list[tuple[int, float]], buckets: int) -> None:
    rec = np.array([(s, v, 0.0) for s, v in points], dtype=[("s", "<i8"), ("v", "<f8"), ("t", "<f8")])
    full = Series.from_records("k", rec)
    small = full.downsample(buckets)
    assert small.total == len(points)
    if len(points) <= buckets:
        assert small is full
        return
    assert len(small) <= 3 * buckets and np.all(np.diff(small.steps) >= 0)
    lo, hi = int(full.steps[0]), int(full.steps[-1])
    width = (hi - lo + 1) / buckets
    kept = set(zip(small.steps.tolist(), [bits(v) for v in small.values.tolist()], strict=True))
    for b in range(buckets):
        a, z = lo + math.ceil(b * width), lo + math.ceil((b + 1) * width)
        inside = [(s, v) for s, v in zip(full.steps.tolist(), full.values.tolist(), strict=True) if a <= s < z]
        if not inside:
            continue
        finite = [v for _, v in inside if v == v]
        if finite:
            for target in (min(finite), max(finite)):
                assert any(s_ in range(a, z) and v_ == bits(target) for s_, v_ in kept) or any(
                    a <= s_ < z and struct.unpack("<d", v_)[0] == target for s_, v_ in kept
                )
        assert (inside[-1][0], bits(inside[-1][1])) in kept  # the bucket's last point


def test_tail_reads_only_what_was_appended(jsonl: Path) -> None:
    append(jsonl, [("a", float(i), i, 1.0) for i in range(1000)])
    size = os.path.getsize(jsonl)
    tail = HistoryTail(jsonl, size)
    assert tail.read() == {} and tail.bytes_read == 0
    append(jsonl, [("a", 1.5, 1000, 2.0), ("b", -2.0, 3, 2.0)])
    with open(jsonl, "ab") as fh:
        fh.write(b'{"k":"a","v":9')
    grown = os.path.getsize(jsonl)
    new = tail.read()
    assert {k: v.values.tolist() for k, v in new.items()} == {"a": [1.5], "b": [-2.0]}
    assert tail.bytes_read == grown - size  # the new bytes, not the file
    torn_at = tail.offset
    assert grown - torn_at == len(b'{"k":"a","v":9')  # the torn line is not consumed
    with open(jsonl, "ab") as fh:
        fh.write(b'.0,"s":1001,"t":3.0}\n')
    assert tail.read()["a"].steps.tolist() == [1001]
    assert tail.bytes_read == (grown - size) + (os.path.getsize(jsonl) - torn_at)
    assert tail.offset == os.path.getsize(jsonl)


def test_live_history_follows_from_the_index_then_the_tail(jsonl: Path) -> None:
    append(jsonl, [("a", float(i), i, 1.0) for i in range(5000)])
    live = LiveHistory(jsonl)
    assert live.series("a").total == 5000 and live.tail.bytes_read == 0
    before = os.path.getsize(jsonl)
    append(jsonl, [("a", -1.0, 5000 + i, 2.0) for i in range(1000)] + [("new", 1.0, 0, 2.0)])
    assert live.update() == {"a", "new"}
    assert live.tail.bytes_read == os.path.getsize(jsonl) - before
    assert live.series("a").total == 6000 and live.keys == ["a", "new"]
    view = live.view("a", points=100, start=4900)
    assert view.steps[0] == 4900 and view.steps[-1] == 5999 and view.values.min() == -1.0
    jsonl.write_bytes(b"")  # replaced: start over
    append(jsonl, [("z", 1.0, 0, 1.0)])
    live.update()
    assert live.keys == ["z"]


def test_ema_is_tensorboards_debiased_average() -> None:
    values = [1.0, math.nan, 3.0, 2.0, math.inf]
    out = ema(values, 0.6)
    last, n, want = 0.0, 0, []
    for v in values:
        if not math.isfinite(v):
            want.append(v)
            continue
        last = last * 0.6 + 0.4 * v
        n += 1
        want.append(last / (1 - 0.6**n))
    assert [bits(v) for v in out.tolist()] == [bits(v) for v in want]
    assert ema([4.0, 5.0], 0.0).tolist() == [4.0, 5.0]
    with pytest.raises(ValueError):
        ema([1.0], 1.0)


def test_read_all_matches_histories(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    with store.start_run("e") as run:
        run.log_metrics({f"m{i}": float(i) for i in range(5)}, step=0)
    path = store._metrics_path(run.id)
    assert {k: v.values.tolist() for k, v in read_all(path).items()} == {f"m{i}": [float(i)] for i in range(5)}


def test_a_build_that_commits_many_times_indexes_every_line(jsonl: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker_core.history import index as history_index

    monkeypatch.setattr(history_index, "CHUNK", 4096)  # a commit every two chunks, as every 64 MB of a long history
    monkeypatch.setattr(history_index, "COMMIT_EVERY", 8192)
    append(jsonl, [(f"m{i % 3}", float(i), i, 1.0 + i) for i in range(3000)])
    built = HistoryIndex(jsonl).refresh()
    assert built.covered == built.bytes_parsed == os.path.getsize(jsonl)
    assert sum(built.count(k) for k in built.key_names()) == 3000
    assert_index_matches(jsonl)


def test_readers_building_one_index_at_once_build_it_once_and_exactly(
    jsonl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from tracker_core.history import index as history_index

    monkeypatch.setattr(history_index, "CHUNK", 4096)  # many chunks and commits: the builders interleave
    monkeypatch.setattr(history_index, "COMMIT_EVERY", 8192)
    append(jsonl, [(f"m{i % 3}", float(i), i, 1.0 + i) for i in range(3000)])
    built: list[HistoryIndex] = []
    threads = [threading.Thread(target=lambda: built.append(HistoryIndex(jsonl).refresh())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(i.bytes_parsed for i in built) == [0, 0, 0, os.path.getsize(jsonl)]  # one parsed, three reused
    assert_index_matches(jsonl)


ODD_LINES = [  # parsed one by one beside the writer's lines
    b'{"k": "a", "v": 1.5, "s": 3, "t": 2.0}',  # another writer's spacing
    b"",
    b"   ",
    b'{"k":"a","v":{"$float":"NaN"},"s":4,"t":2.5}',
    b'{"k":"a\\"q","v":2,"s":8,"t":5}',  # an escaped quote in the key
    b'{"k":"a:b","v":3,"s":9,"t":5.5}\r',
    b'{"k":"a","v":3,"s":11,"t":6',  # broken
    b"[1,2,3]",
]
ODD_VALUES = [  # in the writer's layout but not its values: the chunk is parsed line by line (each tried alone)
    b'{"k":"a","x":1,"v":2,"s":5,"t":3}',  # an extra field
    b'{"k":"a","v":"1.25","s":6,"t":3.5}',  # a value as a string
    b'{"k":"a","v":null,"s":7,"t":4}',  # not a point
    b'{"k":"a","v":1,"s":1.5,"t":4.5}',  # a float step
]


@pytest.mark.parametrize("odd", [ODD_LINES, *([line] for line in ODD_VALUES), ODD_LINES + ODD_VALUES])
def test_the_writers_lines_and_any_other_lines_parse_as_the_line_parser_reads_them(
    jsonl: Path, odd: list[bytes]
) -> None:
    from tracker_core.history.parse import parse_bytes

    writer = metrics_log.format_points([(f"m{i % 4}", i / 7, i, 1e9 + i) for i in range(400)]).splitlines()
    for spread in (1, 40):  # the odd lines together, and each alone among many of the writer's
        lines = []
        for i, line in enumerate(writer):
            lines.append(line)
            if i % spread == 0 and i // spread < len(odd):
                lines.append(odd[i // spread])
        data = b"\n".join(lines) + b"\n"
        jsonl.write_bytes(data)
        shutil.rmtree(jsonl.parent / DIRNAME, ignore_errors=True)
        assert_index_matches(jsonl)
        parsed = parse_bytes(data + b'{"k":"m0","v":1')
        assert parsed.consumed == len(data)
        assert list(parsed.columns) == list(expected(jsonl))  # first-logged key order


def test_a_preview_samples_spans_from_the_start_to_the_latest_point(jsonl: Path) -> None:
    points = [(f"k{i % 3}", float(i) if i % 997 else math.nan, i // 3, 1e9 + i) for i in range(60_000)]
    append(jsonl, points)
    with open(jsonl, "ab") as fh:
        fh.write(b"not json\n" + b'{"k":"k0","v":1,"s":0,"t":0}'[:-5])  # a bad line and a torn tail
    truth = expected(jsonl)
    budget = jsonl.stat().st_size // 10
    sampled = preview_mod.sample(jsonl, budget=budget, windows=16)
    assert list(sampled) == ["k0", "k1", "k2"]
    for key, series in sampled.items():
        real = set(truth[key])
        got = list(zip(series.steps.tolist(), map(bits, series.values.tolist()), series.times.tolist(), strict=True))
        assert set(got) <= real  # only points of the file, nothing invented
        assert len(got) < len(real) / 5 and series.downsampled
        assert series.steps[0] == 0 and series.steps[-1] == 19_999  # the run's start and its latest point
        assert abs(series.total - len(real)) < 0.1 * len(real)  # the estimated length
        assert series.steps.tolist() == sorted(series.steps.tolist())
    whole = preview_mod.sample(jsonl, budget=2 * jsonl.stat().st_size)  # the budget covers the file: everything, exact
    assert {k: len(s) for k, s in whole.items()} == {k: len(v) for k, v in truth.items()}
    assert not any(s.downsampled for s in whole.values())


def test_a_preview_is_offered_only_while_the_index_lags_far_behind(jsonl: Path) -> None:
    assert preview_mod.preview(jsonl, backlog=0) is None  # no history at all
    append(jsonl, [("loss", 0.5, i, 1e9) for i in range(2_000)])
    size = jsonl.stat().st_size
    assert HistoryIndex(jsonl).backlog() == size
    assert preview_mod.preview(jsonl, backlog=size) is None  # lagging, but not by more than allowed
    assert set(preview_mod.preview(jsonl, backlog=size // 2) or {}) == {"loss"}
    HistoryIndex(jsonl).refresh()
    assert HistoryIndex(jsonl).backlog() == 0
    assert preview_mod.preview(jsonl, backlog=0) is None  # the index is current
    append(jsonl, [("loss", 0.5, 2_000 + i, 1e9) for i in range(1_000)])
    assert HistoryIndex(jsonl).backlog() == jsonl.stat().st_size - size
    (jsonl.parent / DIRNAME / HEADER).write_text("{}")  # a damaged index covers nothing
    assert HistoryIndex(jsonl).backlog() == jsonl.stat().st_size
