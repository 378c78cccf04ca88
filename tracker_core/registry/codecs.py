"""One codec per registry file kind: ``model.json``, ``version.json``, history lines and the journal.

Each decoder checks types and ranges and raises :class:`CorruptFileError` naming the file and
the field, so a file that parses but holds ``"created": "abc"`` or an alias pointing at
``"abc"`` is unreadable with a reason, exactly like a truncated one; the models and versions
around it read normally. Encoders are the inverse: what they write, the decoders accept.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from ..errors import CorruptFileError
from ..jsonio import dumps, loads, read_json
from .records import STAGES, HistoryEntry

STATE_FORMAT = "tui-track-registered-model"
ACTIONS = frozenset({"register", "stage", "alias_set", "alias_delete", "delete", "restore", "description", "tag"})
_SHA256 = re.compile(r"[0-9a-f]{64}")
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,200}")

State = dict[str, Any]


class _Bad(Exception):
    """A field that does not decode: its reason (turned into a CorruptFileError by the caller)."""


def _number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise _Bad(f"field {field!r} is {value!r}, not a time (a non-negative number)")
    return float(value)


def _text(value: object, field: str, *, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _Bad(f"field {field!r} is {value!r}, not text")
    return value


def _positive(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _Bad(f"field {field!r} is {value!r}, not a version number")
    return value


def _mapping(value: object, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Bad(f"field {field!r} is {value!r}, not an object")
    return value


def _read(path: Path) -> Any:
    """Parse a registry JSON file; unreadable (permissions, a directory) is a CorruptFileError too."""
    try:
        return read_json(path)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise CorruptFileError(path, f"cannot be read ({exc.strerror or exc})") from None


# ------------------------------------------------------------------ model.json
def new_state(name: str, created: float) -> State:
    return {
        "format": STATE_FORMAT,
        "name": name,
        "created": created,
        "description": None,
        "tags": {},
        "aliases": {},
        "versions": {},
        "deleted": False,
    }


def new_version_state() -> State:
    return {"stage": "development", "description": None, "tags": {}, "deleted": False}


def decode_state(data: object, path: Path) -> State:
    """A ``model.json`` value checked field by field; raises CorruptFileError naming the first bad one."""
    try:
        state = _mapping(data, "model")
        if state.get("format") != STATE_FORMAT:
            raise _Bad("not a registered-model file (no 'format': 'tui-track-registered-model')")
        _text(state.get("name"), "name", optional=False)
        _number(state.get("created"), "created")
        if state.get("updated") is not None:
            _number(state["updated"], "updated")
        _text(state.get("description"), "description")
        _mapping(state.get("tags"), "tags")
        if not isinstance(state.get("deleted", False), bool):
            raise _Bad(f"field 'deleted' is {state['deleted']!r}, not true or false")
        for alias, target in _mapping(state.get("aliases"), "aliases").items():
            _positive(target, f"aliases.{alias}")
        for number, entry in _mapping(state.get("versions"), "versions").items():
            if not number.isdigit() or int(number) <= 0:
                raise _Bad(f"versions has a key {number!r} that is not a version number")
            decode_version_state(entry, f"versions.{number}")
    except _Bad as exc:
        raise CorruptFileError(path, str(exc)) from None
    if state.get("journal") is not None:
        try:
            decode_journal(state["journal"])
        except _Bad:
            state["journal"] = None  # derived data: the history is the truth (check() reports it)
    return state


def decode_version_state(entry: object, field: str) -> State:
    vstate = _mapping(entry, field)
    if vstate.get("stage") not in STAGES:
        raise _Bad(f"field '{field}.stage' is {vstate.get('stage')!r}, not one of {', '.join(STAGES)}")
    _text(vstate.get("description"), f"{field}.description")
    if vstate.get("tags") is not None:
        _mapping(vstate["tags"], f"{field}.tags")
    if not isinstance(vstate.get("deleted", False), bool):
        raise _Bad(f"field '{field}.deleted' is {vstate['deleted']!r}, not true or false")
    return vstate


def read_state(path: Path) -> State:
    """Read and decode a ``model.json`` (FileNotFoundError when there is none)."""
    return decode_state(_read(path), path)


# ---------------------------------------------------------------- version.json
def decode_version(data: object, path: Path) -> dict[str, Any]:
    """A ``version.json`` value checked field by field (the immutable facts of one version)."""
    try:
        facts = _mapping(data, "version record")
        _text(facts.get("model"), "model", optional=False)
        _positive(facts.get("version"), "version")
        _text(facts.get("source_run_id"), "source_run_id")
        _text(facts.get("source_artifact"), "source_artifact")
        for key, value in _mapping(facts.get("metrics", {}), "metrics").items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _Bad(f"field 'metrics.{key}' is {value!r}, not a number")
        _mapping(facts.get("params", {}), "params")
        if facts.get("model_info") is not None:
            info = _mapping(facts["model_info"], "model_info")
            _text(info.get("class"), "model_info.class")
        _text(facts.get("registered_by"), "registered_by", optional=False)
        _text(facts.get("host"), "host", optional=False)
        _number(facts.get("registered_at"), "registered_at")
        digest = facts.get("sha256")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise _Bad(f"field 'sha256' is {digest!r}, not a sha256 hex digest")
        size = facts.get("size")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise _Bad(f"field 'size' is {size!r}, not a size in bytes")
        name = facts.get("file", "model.joblib")
        if not isinstance(name, str) or not _FILE_NAME.fullmatch(name) or name in (".", ".."):
            raise _Bad(f"field 'file' is {name!r}, not a file name inside the version folder")
    except _Bad as exc:
        raise CorruptFileError(path, str(exc)) from None
    return facts


def read_version(path: Path) -> dict[str, Any]:
    """Read and decode a ``version.json`` (FileNotFoundError when there is none)."""
    return decode_version(_read(path), path)


# --------------------------------------------------------------- history lines
def encode_entry(entry: HistoryEntry) -> str:
    """One history line, newline included."""
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


def decode_entry(line: bytes | str) -> HistoryEntry:
    """One history line; raises ValueError with the reason when it is not an entry."""
    try:
        record = _mapping(loads(line), "entry")
        action = record.get("action")
        if action not in ACTIONS:
            raise _Bad(f"field 'action' is {action!r}, not one of {', '.join(sorted(ACTIONS))}")
        version = record.get("version")
        return HistoryEntry(
            time=_number(record.get("time"), "time"),
            user=str(_text(record.get("user"), "user", optional=False)),
            host=str(_text(record.get("host"), "host", optional=False)),
            action=str(action),
            version=None if version is None else _positive(version, "version"),
            from_value=_text(record.get("from"), "from"),
            to_value=_text(record.get("to"), "to"),
            reason=_text(record.get("reason"), "reason"),
            key=_text(record.get("key"), "key"),
        )
    except _Bad as exc:
        raise ValueError(str(exc)) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"invalid JSON ({exc})") from None


# --------------------------------------------------------------------- journal
def journal_problem(record: object) -> str | None:
    """Why a journal cannot be used, or None when it can (or there is none)."""
    if record is None:
        return None
    try:
        decode_journal(record)
    except _Bad as exc:
        return str(exc)
    return None


def decode_journal(record: object) -> dict[str, Any]:
    """The journal kept in ``model.json``: ``{"offset": int >= 0, "lines": [history lines]}``."""
    journal = _mapping(record, "journal")
    offset = journal.get("offset")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise _Bad(f"field 'journal.offset' is {offset!r}, not a file offset")
    lines = journal.get("lines")
    if not isinstance(lines, list) or not all(isinstance(line, str) and line.endswith("\n") for line in lines):
        raise _Bad("field 'journal.lines' is not a list of history lines")
    for line in lines:
        try:
            decode_entry(line)
        except ValueError as exc:
            raise _Bad(f"field 'journal.lines' holds a line that is not a history entry ({exc})") from None
    return journal
