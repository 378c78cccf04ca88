"""The derived per-run history index: per-key binary columns of (step, value, time) beside ``metrics.jsonl``.

Layout inside the run directory::

    .history/lock              held while a reader validates, extends or rebuilds the index
    .history/index.json        header: how many bytes of metrics.jsonl the columns cover, checks of that
                               prefix, and per key its column file, point count and last record
    .history/<gen>/<n>.bin     key n's points in logged order, 24-byte little-endian records

``metrics.jsonl`` stays the only source of truth. The index is built and extended by readers (never by
the logging path) and is trusted only while it agrees with the JSONL: the covered size must not exceed
the file, hashes of the first and last 4 KiB of the covered prefix must match, and each column must hold
its recorded count ending in its recorded last record. Anything else (a truncated, replaced or copied
file, a torn tail, a killed builder) makes the reader rebuild into a fresh generation directory. New
lines past the covered offset are parsed and appended to the columns; the header, written atomically
after them, is the commit point, so a builder killed at any moment leaves the previous index valid.
A store that cannot be written still reads: the extension is kept in memory. Readers of one index
(threads or processes) take turns: a second reader waits for the first and then finds the index current.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CorruptFileError, LockTimeoutError
from ..jsonio import read_json, write_json_atomic
from ..locking import FileLock
from .parse import CHUNK, Parsed, parse_bytes, record_dtype

if TYPE_CHECKING:
    import numpy.typing as npt

DIRNAME = ".history"
HEADER = "index.json"
LOCK = "lock"
LOCK_WAIT = 120.0
"""Seconds a reader waits for another builder of the same index before reading without writing."""
FORMAT = "tui-track-history-index"
VERSION = 1
PROBE = 4096
RECORD_SIZE = 24
COMMIT_EVERY = 64 << 20
"""JSONL bytes parsed between commits while building, so a long history's build holds bounded memory."""


def _probe_hashes(fh: Any, covered: int) -> tuple[str, str]:
    """Hashes of the first and the last :data:`PROBE` bytes of the file's first ``covered`` bytes."""
    fh.seek(0)
    head = fh.read(min(PROBE, covered))
    fh.seek(max(0, covered - PROBE))
    tail = fh.read(min(PROBE, covered))
    return hashlib.blake2b(head, digest_size=16).hexdigest(), hashlib.blake2b(tail, digest_size=16).hexdigest()


class HistoryIndex:
    """One run's history index, brought up to date with ``metrics.jsonl`` by :meth:`refresh`."""

    def __init__(self, metrics_path: Path, *, write: bool = True) -> None:
        self.metrics_path = metrics_path
        self.dir = metrics_path.parent / DIRNAME
        self.write = write
        self.covered = 0
        self.gen = ""
        self.keys: dict[str, dict[str, Any]] = {}
        """key -> {"file": name, "count": points on disk, "last": hex of the last record}."""
        self.pending: dict[str, list[npt.NDArray[Any]]] = {}
        """Points parsed but not written (read-only store)."""
        self.bytes_parsed = 0
        """JSONL bytes this object parsed (0 when the index on disk was already current)."""
        self.problem: str | None = None
        """Why :meth:`refresh` found the index on disk untrustworthy and rebuilt it (None: it was valid)."""

    # ------------------------------------------------------------------ validation
    def _load_header(self, fh: Any, size: int) -> bool:
        reason = self._header_problem(fh, size)
        self.problem = reason
        return reason is None

    def _header_problem(self, fh: Any, size: int) -> str | None:
        """Why the index on disk cannot be trusted for a JSONL of ``size`` bytes (None: loaded)."""
        try:
            header = read_json(self.dir / HEADER)
        except FileNotFoundError:
            return f"{HEADER} is missing"
        except (OSError, ValueError, CorruptFileError) as exc:
            return f"{HEADER} is unreadable ({exc})"
        try:
            if header.get("format") != FORMAT or header.get("version") != VERSION:
                return f"{HEADER} is not a version {VERSION} history index"
            covered = int(header["covered"])
            gen = str(header["gen"])
            keys = {str(k): dict(v) for k, v in header["keys"]}
            if covered > size:
                return f"covers {covered} bytes but metrics.jsonl has {size}"
            if covered and [header["head"], header["tail"]] != list(_probe_hashes(fh, covered)):
                return "does not match metrics.jsonl (the file was replaced or rewritten)"
            for key, meta in keys.items():
                path = self.dir / gen / str(meta["file"])
                count = int(meta["count"])
                if os.path.getsize(path) < count * RECORD_SIZE:
                    return f"the column of {key!r} is shorter than its {count} points"
                if count:
                    with open(path, "rb") as col:
                        col.seek((count - 1) * RECORD_SIZE)
                        if col.read(RECORD_SIZE).hex() != meta["last"]:
                            return f"the column of {key!r} does not end in its recorded last point"
        except Exception as exc:  # any damage to a derived file just means: rebuild
            return f"{HEADER} is damaged ({type(exc).__name__}: {exc})"
        self.covered, self.gen, self.keys = covered, gen, keys
        return None

    # ------------------------------------------------------------------ building
    def refresh(self) -> HistoryIndex:
        """Validate the index against the JSONL; extend it past the covered offset or rebuild it.

        Builders of one index take turns (the lock file): two at once would each remove the other's
        generation. A reader that finds the index behind takes the lock, checks again (another builder
        may have just done the work) and extends it. One that cannot take the lock (a read-only store,
        or another builder busy for :data:`LOCK_WAIT` seconds) reads into memory and writes nothing.
        """
        try:
            fh = open(self.metrics_path, "rb")  # noqa: SIM115 - closed by the with below
        except FileNotFoundError:
            self.covered, self.keys, self.pending = 0, {}, {}
            return self
        with fh:
            size = os.fstat(fh.fileno()).st_size
            self._validate(fh, size)
            if size <= self.covered:
                return self
            if self.write:
                lock = FileLock(self.dir / LOCK, timeout=LOCK_WAIT)
                try:
                    self.dir.mkdir(exist_ok=True)
                    lock.acquire()
                except (OSError, LockTimeoutError):
                    self.write = False
                else:
                    try:
                        self._validate(fh, size)
                        if size > self.covered:
                            self._extend(fh, self.covered, size)
                    finally:
                        lock.release()
                    return self
            self._extend(fh, self.covered, size)
        return self

    def backlog(self) -> int:
        """Bytes of ``metrics.jsonl`` the index on disk does not cover (all of them when it cannot be trusted).

        Only validates: nothing is parsed, built or written."""
        try:
            fh = open(self.metrics_path, "rb")  # noqa: SIM115 - closed by the with below
        except FileNotFoundError:
            return 0
        with fh:
            size = os.fstat(fh.fileno()).st_size
            self._validate(fh, size)
            return size - self.covered

    def _validate(self, fh: Any, size: int) -> None:
        """Load the header, or start a fresh generation when the index cannot be trusted."""
        if not self._load_header(fh, size):
            self.covered, self.keys, self.pending = 0, {}, {}
            self.gen = os.urandom(6).hex()

    def _extend(self, fh: Any, start: int, size: int) -> None:
        offset = committed = start
        carry = b""
        while offset < size:
            fh.seek(offset)  # a commit reads the file elsewhere (its probe hashes)
            data = carry + fh.read(min(CHUNK, size - offset))
            if len(data) == len(carry):
                break
            offset += len(data) - len(carry)
            parsed = parse_bytes(data)
            carry = data[parsed.consumed :]
            self.bytes_parsed += len(data) - len(carry)
            self._add(parsed)
            if self.covered - committed >= COMMIT_EVERY:
                committed = self._try_commit(fh, committed)
        self._try_commit(fh, committed)

    def _try_commit(self, fh: Any, committed: int) -> int:
        """Write the pending points unless there are none or the store is read-only; returns the covered offset."""
        if self.write and self.covered > committed:
            try:
                self._commit(fh)
            except OSError:
                self.write = False  # a read-only store: what was parsed stays in memory
        return self.covered

    def _add(self, parsed: Parsed) -> None:
        for key, col in parsed.columns.items():
            self.pending.setdefault(key, []).append(col)
            if key not in self.keys:
                self.keys[key] = {"file": f"{len(self.keys)}.bin", "count": 0, "last": ""}
        self.covered += parsed.consumed

    def _commit(self, fh: Any) -> None:
        gen_dir = self.dir / self.gen
        gen_dir.mkdir(parents=True, exist_ok=True)
        keys = {k: dict(v) for k, v in self.keys.items()}
        for key, cols in self.pending.items():
            meta = keys[key]
            data = b"".join(c.tobytes() for c in cols)
            path = gen_dir / meta["file"]
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                os.pwrite(fd, data, meta["count"] * RECORD_SIZE)
            finally:
                os.close(fd)
            meta["count"] += len(data) // RECORD_SIZE
            meta["last"] = data[-RECORD_SIZE:].hex()
        head, tail = _probe_hashes(fh, self.covered)
        header = {
            "format": FORMAT,
            "version": VERSION,
            "covered": self.covered,
            "head": head,
            "tail": tail,
            "gen": self.gen,
            "keys": [[k, v] for k, v in keys.items()],
        }
        write_json_atomic(self.dir / HEADER, header, fsync=False)
        self.keys, self.pending = keys, {}
        for entry in os.scandir(self.dir):  # earlier generations are no longer referenced
            if entry.is_dir() and entry.name != self.gen:
                shutil.rmtree(entry.path, ignore_errors=True)

    # ------------------------------------------------------------------ reading
    def key_names(self) -> list[str]:
        """Keys in first-logged order."""
        return list(self.keys)

    def count(self, key: str) -> int:
        meta = self.keys.get(key)
        if meta is None:
            return 0
        return int(meta["count"]) + sum(len(c) for c in self.pending.get(key, ()))

    def records(self, key: str) -> npt.NDArray[Any]:
        """Every point of ``key`` in logged order, as a record array with fields s, v, t."""
        import numpy as np

        dtype = record_dtype()
        meta = self.keys.get(key)
        if meta is None:
            return np.empty(0, dtype)
        parts = []
        if meta["count"]:
            parts.append(np.fromfile(self.dir / self.gen / meta["file"], dtype=dtype, count=meta["count"]))
        parts.extend(self.pending.get(key, ()))
        if len(parts) == 1:
            return parts[0]
        return np.concatenate(parts) if parts else np.empty(0, dtype)

    def chunks(self, key: str, size: int = 65536) -> Iterator[npt.NDArray[Any]]:
        """``key``'s points in logged order, ``size`` at a time (memory-mapped: never all in memory)."""
        import numpy as np

        meta = self.keys.get(key)
        if meta is None:
            return
        if meta["count"]:
            mapped = np.memmap(
                self.dir / self.gen / meta["file"], dtype=record_dtype(), mode="r", shape=(meta["count"],)
            )
            for i in range(0, len(mapped), size):
                yield np.array(mapped[i : i + size])
        yield from self.pending.get(key, ())


def open_index(metrics_path: Path) -> HistoryIndex:
    """The run's index, validated and brought up to date with its ``metrics.jsonl``."""
    return HistoryIndex(metrics_path).refresh()
