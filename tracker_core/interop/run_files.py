"""Writing whole run directories in store format v1, atomically: for imports and merges.

A run directory is built under a dot-name (``runs/.importing-<id>``), which every reader skips,
then renamed into place; a replaced run is renamed aside first. A process killed midway leaves at
worst a dot-named leftover (removed by :func:`clean_leftovers`) and never a half-written run.

This writes files the public writer API cannot express (another process's times, user, status
and run id); it follows ``tracker_core.run`` and ``tracker_core.metrics_log`` exactly.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .. import metrics_log
from ..jsonio import write_bytes_atomic, write_json_atomic
from ..records import MetricPoint
from ..run import ARTIFACTS_DIR, HEARTBEAT_FILE, RUN_FILE

LEFTOVER_PREFIXES = (".importing-", ".syncing-", ".replaced-")
LEFTOVER_AGE = 3600.0
"""Seconds after which a dot-named leftover of a killed import or sync may be removed."""


def summaries_json(points: Iterable[MetricPoint]) -> dict[str, dict[str, Any]]:
    """The ``metrics`` field of ``run.json`` for these points (same fields the writer stores)."""
    return {
        k: {"last": s.last, "min": s.min, "max": s.max, "step": s.step, "count": s.count, "t": s.timestamp}
        for k, s in metrics_log.summarize(points).items()
    }


def run_record(
    *,
    run_id: str,
    experiment_id: str,
    name: str,
    status: str,
    start_time: float | None,
    end_time: float | None,
    params: dict[str, Any],
    tags: dict[str, Any],
    user: str | None = None,
    host: str | None = None,
    parent_id: str | None = None,
    env: dict[str, Any] | None = None,
    error: str | None = None,
    models: list[str] | None = None,
) -> dict[str, Any]:
    """A ``run.json`` document with every field the store's writer sets (pid is None: no local writer)."""
    return {
        "id": run_id,
        "experiment_id": experiment_id,
        "name": name,
        "status": status,
        "start_time": start_time,
        "end_time": end_time,
        "parent_id": parent_id,
        "user": user,
        "host": host,
        "pid": None,
        "params": params,
        "tags": tags,
        "models": list(models or ()),
        "env": dict(env or {}),
        "error": error,
        "metrics": {},
        "metrics_offset": 0,
    }


def staging_dir(runs_dir: Path, prefix: str, run_id: str) -> Path:
    """A fresh dot-named directory beside the runs, to build one run in."""
    tmp = runs_dir / f"{prefix}{run_id}.{os.getpid()}.{os.urandom(3).hex()}"
    tmp.mkdir(parents=True)
    return tmp


def write_run_dir(target: Path, record: dict[str, Any], points: list[MetricPoint], last_activity: float) -> None:
    """Fill ``target`` (a staging directory) with ``run.json``, ``metrics.jsonl`` and ``heartbeat``."""
    data = metrics_log.format_points((p.key, p.value, p.step, p.timestamp) for p in points)
    if data:
        write_bytes_atomic(target / metrics_log.FILENAME, data)
    record = {**record, "metrics": summaries_json(points), "metrics_offset": len(data)}
    write_json_atomic(target / RUN_FILE, record)
    heartbeat = target / HEARTBEAT_FILE
    heartbeat.touch()
    os.utime(heartbeat, (last_activity, last_activity))
    (target / ARTIFACTS_DIR).mkdir(exist_ok=True)


def install(staged: Path, final: Path) -> None:
    """Move a fully written run directory into place, replacing an older copy of the same run.

    The older copy is renamed aside, then the new one renamed in, then the old one removed: a
    reader sees the old run, (for an instant) no run, or the new run, never a mixture.
    """
    if final.exists():
        aside = final.with_name(f".replaced-{final.name}.{os.getpid()}.{os.urandom(3).hex()}")
        os.rename(final, aside)
        os.rename(staged, final)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.rename(staged, final)


def clean_leftovers(runs_dir: Path, older_than: float = LEFTOVER_AGE) -> int:
    """Remove staging and replaced directories left by killed imports or syncs; return how many."""
    removed = 0
    now = time.time()
    try:
        entries = list(os.scandir(runs_dir))
    except FileNotFoundError:
        return 0
    for entry in entries:
        if entry.name.startswith(LEFTOVER_PREFIXES) and entry.is_dir(follow_symlinks=False):
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime >= older_than:
                    shutil.rmtree(entry.path, ignore_errors=True)
                    removed += 1
            except FileNotFoundError:
                continue
    return removed
