"""Writing whole run directories in store format v1, atomically: for imports and merges.

A run directory is built under a dot-name (``runs/.importing-<id>``), which every reader skips,
then renamed into place; a replaced run is renamed aside first. A process killed midway leaves at
worst a dot-named leftover (removed by :func:`clean_leftovers`) and never a half-written run.

This writes files the public writer API cannot express (another process's times, user, status
and run id), with the schema of :func:`tracker_core.run.run_record` and the line format of
:mod:`tracker_core.metrics_log`.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from .. import metrics_log
from ..jsonio import write_bytes_atomic
from ..records import MetricPoint
from ..storage import files
from ..storage.codecs import summaries_to_json
from ..storage.layout import ARTIFACTS_DIR, HEARTBEAT_FILE

LEFTOVER_PREFIXES = (".importing-", ".syncing-", ".replaced-")
LEFTOVER_AGE = 3600.0
"""Seconds after which a dot-named leftover of a killed import or sync may be removed."""


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
    record = {**record, "metrics": summaries_to_json(metrics_log.summarize(points)), "metrics_offset": len(data)}
    files.write_run_doc(target, record)
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
