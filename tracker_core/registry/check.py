"""Checking the registry's files through their codecs, and repairing what is derived.

``check(store)`` reports every unreadable or inconsistent item; ``check(store, repair=True)``
also repairs what can be rebuilt without touching a source of truth: a killed writer's journal
is finished (its renames and history lines), a stale or invalid journal is dropped (the
history wins), versions renamed into place but never recorded are recorded, a torn last
history line is cut, and copies left by killed registrations and merges are removed.
Damaged ``model.json``, ``version.json`` or complete history lines are reported, never rewritten.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CorruptFileError, TrackerError, ValidationError
from . import codecs
from . import history as history_log

if TYPE_CHECKING:
    from ..store import Store


@dataclass(frozen=True, slots=True)
class Problem:
    """One unreadable or inconsistent item of the registry."""

    path: Path
    reason: str
    repairable: bool = False
    repaired: bool = False


def check(store: Store, repair: bool = False) -> list[Problem]:
    """Every problem of ``store``'s registry (repaired where it can be, with ``repair``)."""
    from .core import _INCOMING, ABANDONED_AFTER, MERGE_INCOMING, RENAMES, STATE_FILE, VERSION_FILE, Registry

    reg = Registry(store)
    problems: list[Problem] = []
    try:
        names = sorted(e.name for e in os.scandir(reg.models_dir) if e.is_dir() and not e.name.startswith("."))
    except FileNotFoundError:
        return problems
    except OSError as exc:
        return [Problem(reg.models_dir, f"cannot be read ({exc.strerror or exc})")]
    for name in names:
        model_dir = reg.models_dir / name
        try:
            reg._model_dir(name)
        except ValidationError as exc:
            problems.append(Problem(model_dir, str(exc)))
            continue
        found: list[Problem] = []  # problems a forced change repairs
        history_path = model_dir / history_log.FILENAME
        try:
            state = codecs.read_state(model_dir / STATE_FILE)
        except FileNotFoundError:
            if os.path.lexists(history_path):
                problems.append(Problem(model_dir / STATE_FILE, "missing although the model has history"))
            continue
        except CorruptFileError as exc:
            problems.append(Problem(model_dir / STATE_FILE, exc.reason))
            continue
        raw_journal = _raw_journal(model_dir / STATE_FILE)
        status = history_log.journal_status(history_path, raw_journal)
        if status in ("stale", "invalid"):
            why = "does not match history.jsonl" if status == "stale" else "is not a valid journal"
            found.append(Problem(model_dir / STATE_FILE, f"the journal {why}: dropped, the history is kept", True))
        elif status == "pending":
            found.append(Problem(history_path, "lines journaled by a killed change are missing: appended", True))
        if state.get(RENAMES):
            pending = [n for inc, n in _pairs(state[RENAMES]) if (model_dir / "versions" / inc).is_dir()]
            if pending:
                found.append(Problem(model_dir / "versions", f"versions {pending} copied but not renamed", True))
        numbers = reg._version_numbers(name)
        for n in numbers:
            if str(n) not in state["versions"]:
                found.append(Problem(model_dir / "versions" / str(n), "registered but never recorded: recorded", True))
            try:
                codecs.read_version(model_dir / "versions" / str(n) / VERSION_FILE)
            except FileNotFoundError:
                problems.append(
                    Problem(model_dir / "versions" / str(n) / VERSION_FILE, "the version record is missing")
                )
            except CorruptFileError as exc:
                problems.append(Problem(model_dir / "versions" / str(n) / VERSION_FILE, exc.reason))
        try:
            _, damaged = history_log.scan(history_path)
            data = history_path.read_bytes() if history_path.exists() else b""
        except (CorruptFileError, OSError) as exc:
            problems.append(Problem(history_path, str(exc)))
            damaged, data = [], b""
        problems.extend(Problem(history_path, f"line {n} is not a history entry ({why})") for n, why in damaged)
        if data and not data.endswith(b"\n") and status != "pending":
            found.append(Problem(history_path, "a torn last line (a killed append): cut", True))
        leftovers = []
        for entry in _scan(model_dir / "versions"):
            if entry.name.startswith(MERGE_INCOMING):
                leftovers.append(Path(entry.path))
            elif entry.name.startswith(_INCOMING):
                try:
                    if entry.stat().st_mtime < time.time() - ABANDONED_AFTER:
                        leftovers.append(Path(entry.path))
                except FileNotFoundError:
                    continue
        found.extend(Problem(p, "a copy left by a killed registration or merge: removed", True) for p in leftovers)
        if repair and found:
            try:
                with reg._changing(name, force=True):
                    for path in leftovers:  # merge copies are only made under the lock held here
                        shutil.rmtree(path, ignore_errors=True)
            except (TrackerError, OSError) as exc:
                found = [Problem(p.path, f"{p.reason} (repair failed: {exc})", True) for p in found]
            else:
                found = [Problem(p.path, p.reason, True, True) for p in found]
        problems.extend(found)
    return problems


def _raw_journal(path: Path) -> object:
    from ..jsonio import read_json

    try:
        data = read_json(path)
    except (OSError, CorruptFileError):
        return None
    return data.get("journal") if isinstance(data, dict) else None


def _pairs(value: object) -> list[tuple[str, int]]:
    if not isinstance(value, list):
        return []
    return [
        (item[0], item[1])
        for item in value
        if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], int)
    ]


def _scan(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        return []
