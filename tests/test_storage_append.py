"""The durable-append module: whole lines in, complete lines out, torn tails never consumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker_core.storage import append


def test_append_then_read_from_offsets(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    assert append.read_complete(path) == (b"", 0)
    assert append.append_bytes(path, b'{"a":1}\n') == 8
    with append.Appender(path) as appender:
        assert appender.offset == 8
        assert appender.append(b'{"a":2}\n{"a":3}\n') == 24
    data, offset = append.read_complete(path)
    assert (data, offset) == (b'{"a":1}\n{"a":2}\n{"a":3}\n', 24)
    assert append.read_complete(path, 8) == (b'{"a":2}\n{"a":3}\n', 24)
    assert append.split_lines(data) == [b'{"a":1}', b'{"a":2}', b'{"a":3}']


def test_torn_tail_is_ignored_and_not_consumed_until_complete(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"a":1}\n{"a":')
    assert append.read_complete(path) == (b'{"a":1}\n', 8)
    assert append.read_complete(path, 8) == (b"", 8)
    with open(path, "ab") as fh:
        fh.write(b"2}\n")
    assert append.read_complete(path, 8) == (b'{"a":2}\n', 16)


def test_repair_cuts_only_the_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    assert append.repair_torn_tail(path) == 0
    assert not path.exists()
    path.write_bytes(b"one\ntwo\nthr")
    assert append.repair_torn_tail(path) == 8
    assert path.read_bytes() == b"one\ntwo\n"
    assert append.repair_torn_tail(path) == 8  # a clean file is left alone
    path.write_bytes(b"x" * 10)
    assert append.repair_torn_tail(path) == 0


def test_repair_finds_a_newline_beyond_the_tail_window(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"ok\n" + b"x" * 70000)
    assert append.repair_torn_tail(path) == 3
    assert path.read_bytes() == b"ok\n"


def test_failed_batch_is_cut_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "log.jsonl"
    appender = append.Appender(path)
    appender.append(b"first\n")
    real_write = os.write

    def half_then_fail(fd: int, data: bytes | memoryview) -> int:
        real_write(fd, bytes(data[:3]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_fail)
    with pytest.raises(OSError):
        appender.append(b"second\n")
    monkeypatch.undo()
    assert path.read_bytes() == b"first\n"
    assert appender.append(b"third\n") == 12
    appender.close()
    assert path.read_bytes() == b"first\nthird\n"


def test_sigkilled_writer_leaves_only_whole_lines_or_a_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    code = textwrap.dedent(
        f"""
        import sys
        from tracker_core.storage.append import Appender
        a = Appender({str(path)!r})
        print("ready", flush=True)
        i = 0
        while True:
            a.append(("%d " % i + "x" * 5000 + "\\n").encode(), fsync=False)
            i += 1
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"
    deadline = time.monotonic() + 30
    while not path.exists() or path.stat().st_size < 200_000:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    data, _ = append.read_complete(path)
    lines = append.split_lines(data)
    assert [int(line.split()[0]) for line in lines] == list(range(len(lines)))
    size = append.repair_torn_tail(path)
    assert size == len(data)
    append.append_bytes(path, b"resumed\n")
    assert append.split_lines(append.read_complete(path)[0])[-1] == b"resumed"


@given(
    st.lists(st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"") + b"\n"), max_size=8), st.binary(max_size=10)
)
def test_read_complete_returns_exactly_the_whole_lines(lines: list[bytes], tail: bytes) -> None:
    tail = tail.replace(b"\n", b"")
    data = b"".join(lines) + tail
    assert append.complete_end(data) == len(data) - len(tail)
