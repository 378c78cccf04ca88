"""Merging one model of another store's registry into this one, through the registry's journaled change.

Versions are matched by what registered them (time, host, user, sha256); a version the
destination lacks gets the next free number there. The source's history is remapped to the
destination's numbers and added where missing; then the state follows the latest recorded
change of each stage, deletion and alias (if that leaves two versions in production, the one
promoted last stays and the others are archived, recorded).

All of it happens in one :meth:`Registry._changing` block: the copies are made under the model
lock into ``versions/.incoming-sync-*``; ``model.json`` is written with the new state, the
journaled renames and history lines; then the copies are renamed into place and the lines
appended. A merge killed at any moment leaves either nothing visible (the copies are removed by
the next change) or a journal the next change finishes, so a rerun ends exactly as an
uninterrupted merge.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import environment
from ..errors import CorruptFileError, ValidationError
from ..jsonio import write_json_atomic
from . import codecs
from . import history as history_log
from .records import ARCHIVED, PRODUCTION, UNREADABLE, HistoryEntry

if TYPE_CHECKING:
    from .core import Registry

_CHUNK = 1 << 20


@dataclass
class MergeResult:
    """What merging one model did."""

    created: bool = False
    versions_added: int = 0
    entries_added: int = 0
    warnings: list[str] = field(default_factory=list)


def _identity(record: dict[str, Any]) -> tuple[Any, ...]:
    """What tells a version apart across stores: who registered which file where and when."""
    return (record.get("registered_at"), record.get("host"), record.get("registered_by"), record.get("sha256"))


def _key(e: HistoryEntry) -> tuple[Any, ...]:
    return (e.time, e.user, e.host, e.action, e.key, e.version)


def _records(reg: Registry, name: str, warnings: list[str] | None) -> dict[int, dict[str, Any]]:
    from .core import VERSION_FILE

    found = {}
    for n in reg._version_numbers(name):
        path = reg._model_dir(name) / "versions" / str(n) / VERSION_FILE
        try:
            found[n] = codecs.read_version(path)
        except FileNotFoundError:
            continue
        except CorruptFileError as exc:
            if warnings is not None:
                warnings.append(f"version {n} of {name!r} not merged: {exc}")
    return found


def _copy_dir(source: Path, target: Path) -> None:
    """Copy a version folder (regular files, fsynced; dot files and symlinks skipped)."""
    target.mkdir()
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        out = target / os.path.relpath(dirpath, source)
        out.mkdir(exist_ok=True)
        for fname in filenames:
            src = Path(dirpath) / fname
            if fname.startswith(".") or src.is_symlink():
                continue
            with open(src, "rb") as fin, open(out / fname, "xb") as fout:
                shutil.copyfileobj(fin, fout, _CHUNK)
                fout.flush()
                os.fsync(fout.fileno())


def merge_model(dest: Registry, source: Registry, name: str) -> MergeResult:
    """Merge model ``name`` of ``source`` into ``dest`` (see the module docstring)."""
    from .core import MERGE_INCOMING, RENAMES, STATE_FILE, VERSION_FILE

    result = MergeResult()
    src_dir = source._model_dir(name)
    try:
        src_state = codecs.read_state(src_dir / STATE_FILE)
        src_history = [e for e in history_log.read_lenient(src_dir / history_log.FILENAME) if e.action != UNREADABLE]
        src_history += history_log.pending(src_dir / history_log.FILENAME, src_state.get("journal"))
    except FileNotFoundError:
        return result  # a model still being created on the source: taken next time
    except (CorruptFileError, ValidationError) as exc:
        result.warnings.append(f"model {name!r} not merged: {exc}")
        return result
    src_records = _records(source, name, result.warnings)
    versions_dir = dest._model_dir(name) / "versions"

    with dest._changing(name, create=True) as (state, entries):
        result.created = not (dest._model_dir(name) / STATE_FILE).exists()
        if result.created:  # a model new here keeps the source's creation time
            state["created"] = src_state["created"]
        versions_dir.mkdir(exist_ok=True)
        for leftover in versions_dir.glob(f"{MERGE_INCOMING}*"):  # copies of a merge killed before model.json
            shutil.rmtree(leftover, ignore_errors=True)
        dst_records = _records(dest, name, None)
        known = {_identity(r): n for n, r in dst_records.items()}
        numbers = set(dest._version_numbers(name)) | {int(k) for k in state["versions"]}
        mapping: dict[int, int] = {}
        renames: list[list[Any]] = []
        for src_n, record in sorted(src_records.items()):
            if _identity(record) in known:
                mapping[src_n] = known[_identity(record)]
                continue
            n = max(numbers, default=0) + 1
            numbers.add(n)
            incoming = versions_dir / f"{MERGE_INCOMING}{uuid.uuid4().hex}"
            _copy_dir(src_dir / "versions" / str(src_n), incoming)
            write_json_atomic(incoming / VERSION_FILE, {**record, "model": name, "version": n})
            renames.append([incoming.name, n])
            mapping[src_n] = n
            state["versions"][str(n)] = {
                **codecs.new_version_state(),
                **(src_state["versions"].get(str(src_n)) or {}),
            }
            result.versions_added += 1

        def remap(value: str | None) -> str | None:
            if value is not None and value.isdigit() and int(value) in mapping:
                return str(mapping[int(value)])
            return value

        history = [e for e in history_log.read_lenient(dest._model_dir(name) / history_log.FILENAME)]
        history = [e for e in history if e.action != UNREADABLE]
        seen = {_key(e) for e in history}
        new, src_keys = [], set()
        for e in src_history:
            if e.version is not None and e.version not in mapping:
                continue  # about a version not merged (unreadable on the source)
            if e.action.startswith("alias"):
                e = replace(e, from_value=remap(e.from_value), to_value=remap(e.to_value))
            e = replace(e, version=None if e.version is None else mapping[e.version])
            src_keys.add(_key(e))
            if _key(e) not in seen:
                seen.add(_key(e))
                new.append(e)
        # A destination that knows no change the source lacks is only behind: the source's state is
        # the outcome of the same history, so it is taken as it is rather than re-settled by entry
        # times, which come from the clocks of different boxes and may disagree.
        behind = all(_key(e) in src_keys for e in history)
        for key, value in src_state["tags"].items():
            state["tags"].setdefault(key, value)
        if not state.get("description") and src_state.get("description"):
            state["description"] = src_state["description"]
        if new or renames:
            new.sort(key=lambda e: e.time)
            live = {n for n in dest._version_numbers(name)} | {int(n) for _, n in renames}
            if behind:
                _adopt(state, src_state, mapping)
            else:
                new.extend(_settle(state, sorted(history + new, key=lambda e: e.time), live))
            if renames:
                state[RENAMES] = renames
            entries.extend(new)
            result.entries_added = len(new)
    return result


def _adopt(state: dict[str, Any], src_state: dict[str, Any], mapping: dict[int, int]) -> None:
    """Give the merged versions the source's stages, deletions and aliases (numbers mapped)."""
    for src_n, n in mapping.items():
        theirs = src_state["versions"].get(str(src_n))
        if theirs is not None and str(n) in state["versions"]:
            for field in ("stage", "deleted"):
                if field in theirs:
                    state["versions"][str(n)][field] = theirs[field]
    merged = set(mapping.values())
    kept = {alias: v for alias, v in state["aliases"].items() if v not in merged}  # about versions not merged
    state["aliases"] = {**kept, **{alias: mapping[v] for alias, v in src_state["aliases"].items() if v in mapping}}


def _settle(state: dict[str, Any], history: list[HistoryEntry], live: set[int]) -> list[HistoryEntry]:
    """Make the state follow the latest recorded change of each stage, deletion and alias.

    If that leaves two versions in production, the one promoted last stays; the others are
    archived and the returned history entries say so.
    """
    versions = state["versions"]
    aliases: dict[str, Any] = state["aliases"]
    promoted_at: dict[str, float] = {}
    for e in history:  # in time order: the last change wins
        v = str(e.version) if e.version is not None else None
        if v is None or v not in versions or int(v) not in live:
            continue
        if e.action == "stage" and e.to_value:
            versions[v]["stage"] = e.to_value
            if e.to_value == PRODUCTION:
                promoted_at[v] = e.time
        elif e.action in ("delete", "restore"):
            versions[v]["deleted"] = e.action == "delete"
        elif e.action == "alias_set" and e.key:
            aliases[e.key] = int(v)
        elif e.action == "alias_delete" and e.key and aliases.get(e.key) == int(v):
            aliases.pop(e.key)
    in_production = [
        v for v, s in versions.items() if s.get("stage") == PRODUCTION and not s.get("deleted") and int(v) in live
    ]
    entries = []
    if len(in_production) > 1:
        keep = max(in_production, key=lambda v: (promoted_at.get(v, 0.0), int(v)))
        for v in sorted(in_production, key=int):
            if v != keep:
                versions[v]["stage"] = ARCHIVED
                entries.append(
                    HistoryEntry(
                        time=time.time(),
                        user=environment.username(),
                        host=environment.hostname(),
                        action="stage",
                        version=int(v),
                        from_value=PRODUCTION,
                        to_value=ARCHIVED,
                        reason=f"sync: v{keep} was promoted to production later",
                    )
                )
    return entries
