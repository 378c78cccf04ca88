"""What the main screen looked like when it was left, per store: restored on the next start.

One small JSON file per store in the platform state directory
(``$XDG_STATE_HOME/tui-track/views/``, else ``~/.local/state/tui-track/views/``), named by a hash of
the store's resolved path and written atomically. A damaged or foreign file is ignored with a
notice (the app then starts with the defaults); the file is rewritten on the next change.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

VERSION = 1


@dataclass(frozen=True)
class ViewState:
    """Sort, hidden and added columns, the experiment and the filter of the main screen."""

    experiment: str | None = None
    """The experiment's id."""
    filter: str = ""
    sort_column: str | None = None
    sort_descending: bool = False
    hidden: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)


def state_dir() -> Path:
    """The platform state directory of tui-track (XDG base directory rules)."""
    base = os.environ.get("XDG_STATE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / "tui-track" / "views"


def state_file(store_path: Path) -> Path:
    """The view-state file of the store at ``store_path``."""
    key = hashlib.sha256(os.fsencode(os.path.realpath(store_path))).hexdigest()[:16]
    return state_dir() / f"{key}.json"


def _strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a list of column keys")
    return list(value)


def _optional_str(value: Any, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{what} must be a string")
    return value


def load_view_state(store_path: Path) -> tuple[ViewState | None, str | None]:
    """The saved view of the store (None when there is none) and a notice when the file was ignored."""
    from tracker_core.errors import CorruptFileError
    from tracker_core.jsonio import read_json

    path = state_file(store_path)
    try:
        data = read_json(path)
    except FileNotFoundError:
        return None, None
    except (CorruptFileError, OSError) as exc:
        reason = exc.reason if isinstance(exc, CorruptFileError) else (exc.strerror or str(exc))
        return None, f"ignored the saved view {path}: {reason}"
    try:
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ValueError(f"not a version {VERSION} view file")
        if data.get("store") != os.path.realpath(store_path):
            return None, None  # a hash collision or a hand-copied file: not this store's view
        state = ViewState(
            experiment=_optional_str(data.get("experiment"), "experiment"),
            filter=_optional_str(data.get("filter", ""), "filter") or "",
            sort_column=_optional_str(data.get("sort_column"), "sort_column"),
            sort_descending=bool(data.get("sort_descending", False)),
            hidden=_strings(data.get("hidden", []), "hidden"),
            extra=_strings(data.get("extra", []), "extra"),
        )
    except ValueError as exc:
        return None, f"ignored the saved view {path}: {exc}"
    return state, None


def save_view_state(store_path: Path, state: ViewState) -> None:
    """Write the store's view atomically (the state directory is created when missing)."""
    from tracker_core.jsonio import write_json_atomic

    path = state_file(store_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"version": VERSION, "store": os.path.realpath(store_path), **asdict(state)}
    write_json_atomic(path, record, fsync=False)
