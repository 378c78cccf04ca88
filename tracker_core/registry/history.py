"""A model's audit trail: ``history.jsonl``, one JSON object per change, appended under the model lock.

Entries appended together (a promotion and the archiving it causes) go in one ``write`` call, so
a reader sees them all or none. A writer killed mid-append leaves a torn last line without its
newline: readers ignore it and the next writer cuts it off before appending.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import metrics_log
from ..errors import CorruptFileError
from ..jsonio import dumps, loads
from .records import HistoryEntry

FILENAME = "history.jsonl"


def _to_line(entry: HistoryEntry) -> str:
    record: dict[str, Any] = {
        "time": entry.time,
        "user": entry.user,
        "host": entry.host,
        "action": entry.action,
        "version": entry.version,
        "from": entry.from_value,
        "to": entry.to_value,
    }
    if entry.key is not None:
        record["key"] = entry.key
    if entry.reason is not None:
        record["reason"] = entry.reason
    return dumps(record) + "\n"


def _from_record(record: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        time=float(record["time"]),
        user=str(record["user"]),
        host=str(record["host"]),
        action=str(record["action"]),
        version=None if record.get("version") is None else int(record["version"]),
        from_value=record.get("from"),
        to_value=record.get("to"),
        reason=record.get("reason"),
        key=record.get("key"),
    )


def append(path: Path, entries: Sequence[HistoryEntry]) -> None:
    """Append entries durably (fsync). The caller holds the model lock: it is the only writer."""
    if not entries:
        return
    metrics_log.truncate_torn_tail(path)
    data = "".join(_to_line(e) for e in entries).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def read(path: Path) -> list[HistoryEntry]:
    """Every complete entry in order; a damaged complete line raises :class:`CorruptFileError`."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    end = data.rfind(b"\n") + 1  # a last line without its newline is torn: ignored
    entries = []
    for number, line in enumerate(data[:end].splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append(_from_record(loads(line)))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, AttributeError):
            raise CorruptFileError(path, f"line {number} is not a history entry") from None
    return entries
