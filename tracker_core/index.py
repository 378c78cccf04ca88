"""Incremental listing: keep run summaries current by re-reading only what changed.

A :class:`RunIndex` remembers, for every run, the identity of its ``run.json`` (inode, size,
mtime). Each :meth:`RunIndex.refresh` lists the run directories, stats ``run.json`` and
re-reads only new or changed runs, plus the few runs still open (their heartbeat and
unflushed metric tail decide whether they are running or crashed). This is what the app's
live refresh calls every couple of seconds.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .records import CRASHED, RUNNING, RunSummary
from .run import RUN_FILE
from .store import Store, read_run_summary


@dataclass
class RunChanges:
    """Run ids that appeared, changed or disappeared since the previous refresh."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.removed)


_Stamp = tuple[int, int, int, bool]  # inode, size, mtime_ns of run.json; deleted flag


class RunIndex:
    """Summaries of the runs of one experiment (or of all when ``experiment_id`` is None)."""

    def __init__(self, store: Store, experiment_id: str | None = None, *, include_deleted: bool = False) -> None:
        self.store = store
        self.experiment_id = experiment_id
        self.include_deleted = include_deleted
        self.runs: dict[str, RunSummary] = {}
        self._stamps: dict[str, _Stamp] = {}

    def _experiment_ids(self) -> list[str]:
        if self.experiment_id is not None:
            return [self.experiment_id]
        return [p.name for p in self.store._experiment_dirs()]

    def refresh(self) -> RunChanges:
        """Bring :attr:`runs` up to date; return what changed."""
        changes = RunChanges()
        seen: set[str] = set()
        now = time.time()
        for exp_id in self._experiment_ids():
            exp_dir = self.store.experiments_dir / exp_id
            deleted = self.store._deleted_runs(exp_dir)
            try:
                entries = list(os.scandir(exp_dir / "runs"))
            except FileNotFoundError:
                continue
            for entry in entries:
                run_id = entry.name
                if run_id.startswith("."):
                    continue
                is_deleted = run_id in deleted
                if is_deleted and not self.include_deleted:
                    continue
                seen.add(run_id)
                try:
                    st = os.stat(os.path.join(entry.path, RUN_FILE))
                    stamp: _Stamp = (st.st_ino, st.st_size, st.st_mtime_ns, is_deleted)
                except FileNotFoundError:
                    stamp = (0, 0, 0, is_deleted)
                old = self.runs.get(run_id)
                if old is not None and self._stamps.get(run_id) == stamp and old.status not in (RUNNING, CRASHED):
                    continue
                summary = read_run_summary(Path(entry.path), exp_id, is_deleted, now)
                self._stamps[run_id] = stamp
                self.runs[run_id] = summary
                if old is None:
                    changes.added.append(run_id)
                elif _differs(old, summary):
                    changes.updated.append(run_id)
        for run_id in [r for r in self.runs if r not in seen]:
            del self.runs[run_id]
            self._stamps.pop(run_id, None)
            changes.removed.append(run_id)
        return changes


def _differs(a: RunSummary, b: RunSummary) -> bool:
    """Whether a re-read run changed in anything a reader shows."""
    if (a.status, a.end_time, a.deleted, a.heartbeat, a.error) != (
        b.status,
        b.end_time,
        b.deleted,
        b.heartbeat,
        b.error,
    ):
        return True
    if a.params != b.params or a.tags != b.tags or a.metrics.keys() != b.metrics.keys():
        return True
    return any((m.count, m.step) != (b.metrics[k].count, b.metrics[k].step) for k, m in a.metrics.items())
