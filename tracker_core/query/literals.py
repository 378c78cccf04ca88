"""Reading literal values of a filter: numbers in text, durations and points in time."""

from __future__ import annotations

import math
import re
import time
from datetime import datetime, timedelta

_NUMBER_RE = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")
_DURATION_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h|d|w)", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}

DATE_HELP = "a date like '2026-11-01' or '2026-11-01 14:30' (local time), 'today', '3d ago', or unix seconds"
DURATION_HELP = "a duration in seconds or like '90s', '5m', '1h30m', '2d'"


def as_number(text: str) -> float | None:
    """``text`` as a float if it spells a finite decimal number, else None (``'nan'`` is not a number here)."""
    if _NUMBER_RE.fullmatch(text) is None:
        return None
    number = float(text)
    return number if number - number == 0.0 else None  # '1e400' overflows: not a usable number


def parse_duration(text: str) -> float | None:
    """Seconds in ``'90'``, ``'90s'``, ``'5m'``, ``'1h30m'``, ``'2d'``, ``'250ms'``; None if not a duration."""
    number = as_number(text)
    if number is not None:
        return number
    compact = text.strip()
    if not compact:
        return None
    total, pos = 0.0, 0
    for m in _DURATION_RE.finditer(compact):
        if compact[pos : m.start()].strip():
            return None
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()]
        pos = m.end()
    if pos == 0 or compact[pos:].strip() or total - total != 0.0:
        return None
    return total


def parse_time(text: str, now: float | None = None) -> tuple[float, bool] | None:
    """Unix seconds of a point in time and whether it names a whole day, or None if unreadable.

    ISO dates and times are local unless they carry an offset (``Z`` or ``+02:00``); ``'today'``
    and ``'yesterday'`` are whole days; ``'now'`` and ``'<duration> ago'`` are relative to ``now``.
    """
    raw = text.strip()
    lowered = raw.lower()
    now = time.time() if now is None else now
    number = as_number(raw)
    if number is not None:
        return number, False
    if lowered == "now":
        return now, False
    if lowered in ("today", "yesterday"):
        midnight = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
        if lowered == "yesterday":
            midnight -= timedelta(days=1)
        return midnight.timestamp(), True
    if lowered.endswith(" ago"):
        seconds = parse_duration(raw[:-4])
        return None if seconds is None else (now - seconds, False)
    iso = raw[:-1] + "+00:00" if raw[-1:] in ("Z", "z") else raw
    try:
        moment = datetime.fromisoformat(iso)
        whole_day = len(raw) == 10 and raw[4] == "-" and raw[7] == "-"
        return moment.timestamp(), whole_day
    except (ValueError, OverflowError, OSError):  # unreadable, or beyond what the platform's clock holds
        return None


def day_end(start: float) -> float:
    """The start of the next local day after the local midnight ``start`` (DST-safe); inf past year 9999."""
    try:
        moment = datetime.fromtimestamp(start) + timedelta(days=1, hours=3)
    except (ValueError, OverflowError, OSError):
        return math.inf
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
