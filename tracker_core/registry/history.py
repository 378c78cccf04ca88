"""A model's audit trail: ``history.jsonl``, one JSON object per change, appended under the model lock.

Entries appended together (a promotion and the archiving it causes) go in one ``write`` call.
A writer killed mid-append leaves a torn last line without its newline: readers ignore it and
the next writer cuts it off before appending.

The state file and the history are two files, so a change is journaled: the new state is
written together with the lines about to be appended and the offset they go to (see
:func:`journal`); then the lines are appended. A writer killed between the two leaves the lines
in the journal: readers add them (:func:`pending`) and the next writer appends them
(:func:`complete`). The history therefore never misses a change the state shows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import metrics_log
from ..errors import CorruptFileError
from .codecs import decode_entry, encode_entry
from .records import UNREADABLE, HistoryEntry

FILENAME = "history.jsonl"


def append(path: Path, entries: Sequence[HistoryEntry]) -> None:
    """Append entries durably (fsync). The caller holds the model lock: it is the only writer."""
    if entries:
        metrics_log.truncate_torn_tail(path)
        _append_bytes(path, "".join(encode_entry(e) for e in entries).encode("utf-8"))


def journal(path: Path, entries: Sequence[HistoryEntry]) -> dict[str, Any]:
    """The journal of a batch about to be appended: where it goes and its exact lines (caller holds the lock)."""
    return {"offset": metrics_log.truncate_torn_tail(path), "lines": [encode_entry(e) for e in entries]}


def append_journal(path: Path, record: dict[str, Any]) -> None:
    """Append the lines of a journal made by :func:`journal` just before."""
    _append_bytes(path, "".join(record["lines"]).encode("utf-8"))


def _missing(path: Path, record: object) -> tuple[int, bytes] | None:
    """Where the journaled lines that are not in the file go, and those lines; None if none is missing.

    Only a prefix of the batch (a killed append) or nothing may follow the offset; anything
    else means the file was rewritten since, and the journal no longer applies.
    """
    if not isinstance(record, dict) or not isinstance(record.get("offset"), int):
        return None
    lines = record.get("lines")
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        return None
    batch = "".join(lines).encode("utf-8")
    offset = record["offset"]
    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size < offset:
                return None
            fh.seek(offset)
            data = fh.read(len(batch) + 1)
    except FileNotFoundError:
        if offset:
            return None
        data = b""
    if data.startswith(batch):
        return None
    present = data[: data.rfind(b"\n") + 1]
    if not batch.startswith(present):
        return None
    return offset + len(present), batch[len(present) :]


def complete(path: Path, record: object) -> None:
    """Append what the last writer journaled but did not append (caller holds the lock)."""
    missing = _missing(path, record)
    if missing is not None:
        end, data = missing
        if path.exists():
            os.truncate(path, end)  # drops a torn piece of the batch
        _append_bytes(path, data)


def pending(path: Path, record: object) -> list[HistoryEntry]:
    """Journaled entries a killed writer did not append (for readers, which never write)."""
    missing = _missing(path, record)
    if missing is None:
        return []
    return [decode_entry(line) for line in missing[1].splitlines() if line.strip()]


def _append_bytes(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def scan(path: Path, *, keep_places: bool = False) -> tuple[list[HistoryEntry], list[tuple[int, str]]]:
    """Every complete entry in order, and the damaged complete lines as (line number, reason).

    With ``keep_places`` a damaged line also stands in the entries as an ``unreadable`` one.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        raise CorruptFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    end = data.rfind(b"\n") + 1  # a last line without its newline is torn: ignored
    entries, damaged = [], []
    for number, line in enumerate(data[:end].splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append(decode_entry(line))
        except ValueError as exc:
            damaged.append((number, str(exc)))
            if keep_places:
                entries.append(unreadable_entry(path, number, str(exc)))
    return entries, damaged


def unreadable_entry(path: Path, number: int, reason: str) -> HistoryEntry:
    error = f"{path}: line {number} is not a history entry ({reason})"
    return HistoryEntry(0.0, "", "", UNREADABLE, None, None, None, error=error)


def read(path: Path) -> list[HistoryEntry]:
    """Every complete entry in order; a damaged complete line raises :class:`CorruptFileError`."""
    entries, damaged = scan(path)
    if damaged:
        number, reason = damaged[0]
        raise CorruptFileError(path, f"line {number} is not a history entry ({reason})")
    return entries


def read_lenient(path: Path) -> list[HistoryEntry]:
    """Every complete entry in order, a damaged line standing as an ``unreadable`` entry in its place."""
    return scan(path, keep_places=True)[0]
