"""Display formatting shared by the app and the command line: one place for each rule.

Pure functions over plain values (no click, no Textual): numbers, times, durations, ids,
aliases and truncation with an ellipsis.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rich.cells import cell_len, get_character_cell_size

ID_LENGTH = 8
"""How many characters of a run id every table, title and message shows."""

ELLIPSIS = "…"


def cell(value: Any) -> str:
    """A value as text for tables: floats with 6 significant digits, dicts/lists as JSON."""
    if value is None:
        return "-"
    if isinstance(value, Instant):
        return timestamp(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.6g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.3e}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def timestamp(value: float | None) -> str:
    """Unix seconds as ``YYYY-MM-DD HH:MM:SS`` local time, for people."""
    if value is None:
        return "-"
    return datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")


def short_time(value: float | None) -> str:
    """Unix seconds as ``MM-DD HH:MM`` local time: a start or a registration in a table column."""
    return "-" if value is None else datetime.fromtimestamp(value).strftime("%m-%d %H:%M")


def iso_time(value: float | None) -> str | None:
    """Unix seconds as ISO-8601 local time with its UTC offset, for machine-readable output."""
    return None if value is None else datetime.fromtimestamp(value).astimezone().isoformat(timespec="seconds")


class Instant(float):
    """A point in time (Unix seconds) in a table row: people see :func:`timestamp`, CSV and JSON
    get :func:`iso_time` (see :func:`machine_value`)."""


def instant(value: float | None) -> Instant | None:
    """``value`` marked as a point in time for :func:`tui_track.output.emit` (None stays None)."""
    return None if value is None else Instant(value)


TIME_FIELDS = frozenset(
    {"start_time", "end_time", "last_activity", "created", "updated", "registered_at", "time", "last_write"}
)
"""Keys of JSON records (``to_dict()``) that hold Unix seconds; machine output writes them as ISO-8601."""


USER_FIELDS = frozenset({"params", "tags", "metrics", "env", "values"})
"""Keys whose contents are the user's own data: a param named ``time`` stays as logged."""


def machine_value(value: Any, key: str | None = None) -> Any:
    """``value`` for CSV/JSON: instants, and numbers under a :data:`TIME_FIELDS` key, as ISO-8601
    with the UTC offset; dicts and lists converted throughout, except the user's data inside them."""
    if isinstance(value, Instant):
        return iso_time(value)
    if key in TIME_FIELDS and isinstance(value, (int, float)) and not isinstance(value, bool):
        return iso_time(value)
    if key in USER_FIELDS:
        return value
    if isinstance(value, dict):
        return {k: machine_value(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [machine_value(v) for v in value]
    return value


def duration(seconds: float | None) -> str:
    """A duration as ``1h02m``, ``3m05s`` or ``4.2s``."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def short_id(run_id: str | None) -> str:
    """A run id cut to :data:`ID_LENGTH` characters (the same everywhere)."""
    return "-" if not run_id else run_id[:ID_LENGTH]


def ellipsize(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal cells (a wide character takes two), ending in an ellipsis when it was
    longer."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    return _head(text, width - 1) + ELLIPSIS


def ellipsize_middle(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal cells by an ellipsis in its middle, keeping its start and its end (a
    name's end often tells it from its neighbours: ``loss_epoch_max``, ``loss_epoch_mean``)."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    keep = width - 1
    head = _head(text, (keep + 1) // 2)
    tail = _head(text[::-1], keep - cell_len(head))[::-1]
    return head + ELLIPSIS + tail


def _head(text: str, cells: int) -> str:
    """The longest start of ``text`` that fits ``cells`` terminal cells."""
    used = 0
    for i, char in enumerate(text):
        used += get_character_cell_size(char)
        if used > cells:
            return text[:i]
    return text


def aliases_text(aliases: Mapping[str, int]) -> str:
    """A model's aliases in the one notation used everywhere: ``champion→v3, staging→v4``."""
    return ", ".join(f"{alias}→v{version}" for alias, version in sorted(aliases.items()))


def mean_std(mean: float | None, std: float | None, n: int | None = None, of: int | None = None) -> str:
    """A group's statistic as tables show it: ``0.812 ± 0.0134``; ``(n=2)`` added when only ``n`` of the
    group's ``of`` runs have a value; ``-`` when none has."""
    if mean is None:
        return "-"
    text = cell(mean) if std is None else f"{cell(mean)} ± {cell(std)}"
    return text if n is None or of is None or n >= of else f"{text} (n={n})"


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 run``, ``3 runs``."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def newest_first(entries: list[Any]) -> list[Any]:
    """A history (oldest first, as the store keeps it) in the one order every view shows: newest first."""
    return entries[::-1]
