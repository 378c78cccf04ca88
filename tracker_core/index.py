"""Incremental listing: keep run summaries current by re-reading only what changed.

A :class:`RunIndex` remembers, for every run, the identity of its ``run.json`` (inode, size,
mtime). Each :meth:`RunIndex.refresh` lists the run directories, stats ``run.json`` and
re-reads only new or changed runs, plus the few runs still open (their heartbeat and
unflushed metric tail decide whether they are running or crashed). This is what the app's
live refresh calls every couple of seconds.

The first refresh of an experiment also reads ``.summaries.jsonl`` in the experiment's
directory: a cache of ended runs' summaries keyed by the same ``run.json`` identity, so
listing 100,000 runs parses one file instead of 100,000. The cache is never the only copy
of anything: an entry whose ``run.json`` changed (or was copied elsewhere, with a new inode)
is ignored and the file re-read; a missing or damaged cache is rebuilt by the next reader.
"""

from __future__ import annotations

import gc
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from .jsonio import dumps_bytes, dumps_tagged_bytes, loads, write_chunks_atomic
from .records import END_STATUSES, RunSummary
from .storage import codecs
from .storage.files import run_doc_stamp
from .storage.layout import Layout
from .store import Store, read_run_summary, read_run_summary_stamped

FULL_SWEEP_EVERY = 15.0
"""Seconds between refreshes that stat every run file (the others trust unchanged directories)."""
CACHE_REWRITE_AFTER = 100
"""Rewrite an experiment's cache when a refresh parsed at least this many ended runs it lacked.

Open and crashed runs are re-read at every refresh (their liveness can change) and never
count, so a store full of crashed runs does not rewrite its cache on every listing."""


@dataclass
class RunChanges:
    """Run ids that appeared, changed or disappeared since the previous refresh."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.removed)


_Stamp = codecs.Stamp


class RunIndex:
    """Summaries of the runs of one experiment (or of all when ``experiment_id`` is None; of those in
    ``only`` when it is given too: an id there that is no experiment lists nothing).

    Between full sweeps (every :data:`FULL_SWEEP_EVERY` seconds, or ``refresh(full=True)``)
    an experiment whose ``runs/`` and ``deleted-runs/`` directories did not change costs two
    stats plus a re-read of its open runs: that is how a live view of 100,000 runs stays cheap.
    A sweep also catches the rare ended run rewritten in place (resumed by another process).

    With ``times_only`` each run keeps only its identity, status and times (:func:`times_of`): an
    index for an experiment's last activity, in a fraction of the memory of full summaries. It
    writes the summary cache only while it still holds full summaries (its first refresh).
    """

    def __init__(
        self,
        store: Store,
        experiment_id: str | None = None,
        *,
        include_deleted: bool = False,
        only: frozenset[str] | None = None,
        times_only: bool = False,
    ) -> None:
        self.store = store
        self.times_only = times_only
        self.layout: Layout = store.layout
        self.experiment_id = experiment_id
        self.only = only
        self.include_deleted = include_deleted
        self.runs: dict[str, RunSummary] = {}
        self._stamps: dict[str, _Stamp] = {}
        self._live: set[str] = set()  # runs whose state can change without a new directory entry
        self._dir_stamps: dict[str, tuple[int, int]] = {}
        self._cache_checked: set[str] = set()
        self._last_sweep = -math.inf

    def _experiment_ids(self) -> list[str]:
        if self.experiment_id is not None:
            return [self.experiment_id]
        ids = self.layout.experiment_ids()
        return ids if self.only is None else [i for i in ids if i in self.only]

    def preview(self, limit: int) -> dict[str, RunSummary]:
        """Up to ``limit`` runs read straight from their files, before a long first refresh.

        Meant for showing something at once; :meth:`refresh` still reads everything.
        """
        found: dict[str, RunSummary] = {}
        now = time.time()
        for exp_id in self._experiment_ids():
            deleted = self.layout.deleted_run_ids(exp_id)
            runs_dir = self.layout.runs_dir(exp_id)
            for run_id in self.layout.run_ids(exp_id):
                if len(found) >= limit:
                    return found
                if run_id in deleted and not self.include_deleted:
                    continue
                found[run_id] = read_run_summary(
                    os.path.join(runs_dir, run_id), exp_id, run_id in deleted, now, with_env=False
                )
        return found

    def refresh(self, *, full: bool = False) -> RunChanges:
        """Bring :attr:`runs` up to date; return what changed."""
        changes = RunChanges()
        sweep = full or time.monotonic() - self._last_sweep >= FULL_SWEEP_EVERY
        exp_ids = self._experiment_ids()
        # Loading builds many small containers that all survive: cyclic collections over a
        # growing heap would only slow it down (several-fold at 100,000 runs).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for exp_id in exp_ids:
                self._refresh_experiment(exp_id, changes, sweep)
        finally:
            if gc_was_enabled:
                gc.enable()
        if sweep:
            self._last_sweep = time.monotonic()
            gone = set(exp_ids)
            for run_id in [r for r, s in self.runs.items() if s.experiment_id not in gone]:
                self._forget(run_id, changes)
        return changes

    def _forget(self, run_id: str, changes: RunChanges) -> None:
        del self.runs[run_id]
        self._stamps.pop(run_id, None)
        self._live.discard(run_id)
        changes.removed.append(run_id)

    def _directories_unchanged(self, exp_id: str, runs_dir: str, deleted_dir: str) -> bool:
        """Whether no run was added, removed, deleted or restored since the last listing.

        A directory changed less than a second ago is not trusted (its mtime may not have
        ticked yet for a change made just after it was read).
        """
        try:
            runs_mtime = os.stat(runs_dir).st_mtime_ns
        except FileNotFoundError:
            return False
        try:
            deleted_mtime = os.stat(deleted_dir).st_mtime_ns
        except FileNotFoundError:
            deleted_mtime = 0
        key = (runs_mtime, deleted_mtime)
        unchanged = self._dir_stamps.get(exp_id) == key
        recent = time.time_ns() - max(key) < 1_000_000_000
        self._dir_stamps[exp_id] = key if not recent else (0, 0)
        return unchanged and not recent

    def _refresh_experiment(self, exp_id: str, changes: RunChanges, sweep: bool) -> None:
        layout = self.layout
        runs_dir = layout.runs_dir(exp_id)
        deleted_dir = layout.deleted_runs_dir(exp_id)
        if not sweep and self._directories_unchanged(exp_id, runs_dir, deleted_dir):
            names = [r for r in self._live if self.runs[r].experiment_id == exp_id]
            deleted = {r for r in names if self.runs[r].deleted}
            listed = False
        else:
            if sweep:
                self._directories_unchanged(exp_id, runs_dir, deleted_dir)
            names = layout.run_ids(exp_id)
            deleted = layout.deleted_run_ids(exp_id)
            listed = True
        cached: dict[str, tuple[_Stamp, RunSummary]] = {}
        first = exp_id not in self._cache_checked
        if first:
            self._cache_checked.add(exp_id)
            cached = load_cache(layout.summary_cache(exp_id), exp_id)
        now = time.time()
        parsed = 0
        runs, stamps, live = self.runs, self._stamps, self._live
        seen: set[str] = set()
        fresh: list[str] = []
        for run_id in names:
            if run_id.startswith("."):
                continue
            is_deleted = run_id in deleted
            if is_deleted and not self.include_deleted:
                continue
            seen.add(run_id)
            run_dir = f"{runs_dir}/{run_id}"
            old = runs.get(run_id)
            hit = cached.get(run_id) if old is None else None
            stamp = run_doc_stamp(run_dir) if old is not None or hit is not None else None
            if old is not None and stamps.get(run_id) == stamp and run_id not in live:
                if old.deleted != is_deleted:
                    old.deleted = is_deleted
                    changes.updated.append(run_id)
                continue
            if hit is not None and hit[0] == stamp:
                summary = hit[1]
                summary.deleted = is_deleted
            else:  # the stamp of the file read, not of a stat before it: a change in between is seen next time
                summary, stamp = read_run_summary_stamped(run_dir, exp_id, is_deleted, now, with_env=False)
                if summary.status in END_STATUSES:
                    parsed += 1  # an ended run the cache lacked or had stale: worth saving
            stamps[run_id] = stamp
            runs[run_id] = summary
            fresh.append(run_id)
            if summary.status in END_STATUSES:
                live.discard(run_id)
            else:
                live.add(run_id)
            if old is None:
                changes.added.append(run_id)
            elif _differs(old, summary):
                changes.updated.append(run_id)
        if listed:
            for run_id in [r for r, s in runs.items() if s.experiment_id == exp_id and r not in seen]:
                self._forget(run_id, changes)
        # a times_only index holds whole summaries during its first refresh only: stripped ones are no cache
        if parsed >= CACHE_REWRITE_AFTER and (first or not self.times_only):
            save_cache(layout.summary_cache(exp_id), exp_id, runs, stamps)
        if self.times_only:
            for run_id in fresh:
                runs[run_id] = times_of(runs[run_id])


def times_of(s: RunSummary) -> RunSummary:
    """``s`` without its params, tags and metrics: what an experiment's last activity reads."""
    return RunSummary(
        id=s.id,
        experiment_id=s.experiment_id,
        name=s.name,
        status=s.status,
        start_time=s.start_time,
        end_time=s.end_time,
        error=s.error,
        deleted=s.deleted,
        heartbeat=s.heartbeat,
    )


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
    if a.name != b.name or a.params != b.params or a.tags != b.tags or a.metrics.keys() != b.metrics.keys():
        return True
    return any((m.count, m.step) != (b.metrics[k].count, b.metrics[k].step) for k, m in a.metrics.items())


# ------------------------------------------------------------------ the cache file
def load_cache(path: str, exp_id: str) -> dict[str, tuple[_Stamp, RunSummary]]:
    """The cached summaries of an experiment; empty when the cache is missing or unusable.

    One JSON array per line (:func:`~.storage.codecs.decode_cache_line`), parsed line by line
    so that memory holds the summaries and not a second, parsed copy of the whole file. A line
    that is not a valid entry is a cache miss for that run only.
    """
    found: dict[str, tuple[_Stamp, RunSummary]] = {}
    decode = codecs.decode_cache_line
    try:
        with open(path, "rb") as fh:
            if not codecs.decode_cache_header(loads(fh.readline(), raw=True)):
                return {}
            for line in fh:
                if not line.endswith(b"\n"):
                    break  # torn by a writer that never finished: the rest is not trusted
                entry = decode(line, exp_id)
                if entry is not None:
                    found[entry[0]] = (entry[1], entry[2])
    except (OSError, ValueError):
        return {}  # a damaged cache is only a slower listing; the next save replaces it
    return found


def save_cache(path: str, exp_id: str, runs: dict[str, RunSummary], stamps: dict[str, _Stamp]) -> None:
    """Replace an experiment's summary cache with its ended runs of ``runs`` (best effort)."""

    def chunks() -> Iterator[bytes]:  # about 1 MB at a time: 100,000 runs never sit in memory twice
        batch = [dumps_bytes(codecs.encode_cache_header())]
        size = 0
        for run_id, s in runs.items():
            if s.experiment_id == exp_id and s.status in END_STATUSES and run_id in stamps:
                line = dumps_tagged_bytes(codecs.encode_cache_entry(run_id, s, stamps[run_id]))
                batch.append(line)
                size += len(line)
                if size >= 1 << 20:
                    yield b"\n".join(batch) + b"\n"
                    batch, size = [], 0
        if batch:
            yield b"\n".join(batch) + b"\n"

    try:
        write_chunks_atomic(path, chunks(), fsync=False)
    except OSError:
        pass  # a read-only store lists fine without a cache
