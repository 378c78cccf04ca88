"""The run screen's system-metrics and reproduction sections: rows built from a run and its record."""

from __future__ import annotations

from typing import Any

from tracker_core.records import RunSummary
from tracker_core.system_metrics import PREFIX, is_system_metric

from .formatting import cell, timestamp


def system_metric_rows(run: RunSummary) -> list[tuple[str, str, str, str, str]]:
    """(metric without ``system/``, last, min, max, samples) of the run's system metrics, by name."""
    return [
        (key[len(PREFIX) :], cell(m.last), cell(m.min), cell(m.max), str(m.count))
        for key, m in sorted(run.metrics.items(), key=lambda kv: kv[0].lower())
        if is_system_metric(key)
    ]


def reproduce_text(run: RunSummary, record: dict[str, Any] | None, patch: str | None) -> str:
    """The commands that get the run back (as ``tui-track reproduce`` prints them) and its interruptions."""
    from tracker_core import reproduce

    lines = [] if record is not None else ["# no reproduction record (recording off, or an older run)"]
    for title, commands in reproduce.instructions(record, run.env or {}, patch, None):
        lines += [f"# {title}", *commands, ""]
    if record is not None and record.get("packages"):
        lines.append(f"# {len(record['packages'])} packages pinned: tui-track reproduce {run.id[:8]} --write DIR")
        lines.append("")
    if run.events:
        lines.append("# interruptions and resumptions")
        for event in run.events:
            detail = " ".join(str(event[k]) for k in ("status", "reason", "host") if event.get(k))
            lines.append(f"{timestamp(event.get('time'))}  {event.get('event')}  {detail}".rstrip())
    return "\n".join(lines).rstrip() + "\n"
