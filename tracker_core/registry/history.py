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

from ..errors import CorruptFileError
from ..storage.append import append_bytes, complete_end, repair_torn_tail
from . import codecs
from .codecs import decode_entry, encode_entry
from .records import UNREADABLE, HistoryEntry

FILENAME = "history.jsonl"


def append(path: Path, entries: Sequence[HistoryEntry]) -> None:
    """Append entries durably (fsync). The caller holds the model lock: it is the only writer."""
    if entries:
        repair_torn_tail(path)
        append_bytes(path, "".join(encode_entry(e) for e in entries).encode("utf-8"))


def journal(path: Path, entries: Sequence[HistoryEntry]) -> dict[str, Any]:
    """The journal of a batch about to be appended: where it goes and its exact lines (caller holds the lock)."""
    return {"offset": repair_torn_tail(path), "lines": [encode_entry(e) for e in entries]}


def append_journal(path: Path, record: dict[str, Any]) -> None:
    """Append the lines of a journal made by :func:`journal` just before."""
    append_bytes(path, "".join(record["lines"]).encode("utf-8"))


def _missing(path: Path, record: object) -> tuple[int, bytes] | None:
    """Where the journaled lines that are not in the file go, and those lines; None if none is missing.

    The journal applies only when the history ends, at a line boundary, with a prefix of the
    batch (a killed append: nothing, some lines, a torn piece). Anything else (more or other
    lines after the offset, an offset past the end or inside a line) means the history moved
    on since: the journal is stale and the history wins; nothing is cut or added.
    """
    status, missing = _journal_state(path, record)
    return missing if status == "pending" else None


def _journal_state(path: Path, record: object) -> tuple[str, tuple[int, bytes] | None]:
    if record is None:
        return "none", None
    if codecs.journal_problem(record) is not None:
        return "invalid", None
    assert isinstance(record, dict)
    batch = "".join(record["lines"]).encode("utf-8")
    offset: int = record["offset"]
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if offset:
                if size < offset:
                    return "stale", None
                fh.seek(offset - 1)
                if fh.read(1) != b"\n":
                    return "stale", None
            data = fh.read(len(batch) + 1)
    except FileNotFoundError:
        if offset:
            return "stale", None
        size, data = 0, b""
    if data.startswith(batch):
        return "done", None
    if size > offset + len(batch):
        return "stale", None
    present = data[: complete_end(data)]
    if not batch.startswith(present):
        return "stale", None
    return "pending", (offset + len(present), batch[len(present) :])


def journal_status(path: Path, record: object) -> str:
    """``none``, ``done`` (appended), ``pending`` (a killed writer's lines to append), ``stale`` or ``invalid``."""
    return _journal_state(path, record)[0]


def complete(path: Path, record: object) -> None:
    """Append what the last writer journaled but did not append (caller holds the lock)."""
    missing = _missing(path, record)
    if missing is not None:
        end, data = missing
        if path.exists():
            os.truncate(path, end)  # drops a torn piece of the batch
        append_bytes(path, data)


def pending(path: Path, record: object) -> list[HistoryEntry]:
    """Journaled entries a killed writer did not append (for readers, which never write)."""
    missing = _missing(path, record)
    if missing is None:
        return []
    return [decode_entry(line) for line in missing[1].splitlines() if line.strip()]


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
    entries, damaged = [], []
    for number, line in enumerate(data[: complete_end(data)].splitlines(), start=1):  # a torn last line: ignored
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
