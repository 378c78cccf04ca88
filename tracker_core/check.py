"""A store-wide integrity check, in the spirit of SQLite's ``PRAGMA integrity_check``.

:func:`check_store` walks the whole store through the codecs of :mod:`tracker_core.storage.codecs`
and reports every unreadable or inconsistent item with its reason (paths relative to the store):

- the format marker, every ``experiment.json`` and every ``run.json`` (decoded and checked field
  by field, exactly as readers do);
- every ``metrics.jsonl``: complete lines that are not metric points, a torn last line (a killed
  writer's; never reported while the run's writer lives), a ``metrics_offset`` in ``run.json``
  beyond the file's size;
- summary caches (``.summaries.jsonl``): a bad header, lines that are not entries, a torn line, and
  entries a reader would trust (their ``run.json`` stamp matches) that disagree with the run;
  entries whose stamp no longer matches are ordinary cache misses, not problems;
- history indexes (``.history/``): one a reader would not trust (stale or damaged), and generation
  folders of killed builders;
- the registry, through :func:`tracker_core.registry.check.check`;
- leftovers of killed writers: ``.creating-*`` folders (a minute old, their writer lock free);
  ``.importing-*``/``.syncing-*``/``.replaced-*`` folders, ``.<8 hex>.tmp`` temp files and
  ``deleted-runs/`` markers that name no run (a purge killed between its two steps), an hour old;
- stale locks cannot exist: every lock is an ``fcntl`` lock the kernel drops with its process.

With ``repair=True`` it then rebuilds what is derived (summary caches, history indexes, registry
journals from the registry history), cuts torn last lines of metric histories (under the run's writer
lock, as a resuming writer would: a line without its newline was never data, no reader ever returned
it), and removes the leftovers above. It never changes a source file otherwise: ``run.json``,
``experiment.json``, the marker, complete ``metrics.jsonl`` lines, artifacts and the registry's
version files stay byte for byte; the registry's ``model.json`` is rewritten only to drop or finish
its derived journal, its state unchanged. :attr:`CheckReport.problems` then lists what remains.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CorruptFileError, StoreError, StoreNotFoundError, TrackerError
from .jsonio import dumps_bytes, loads
from .records import END_STATUSES, RUNNING, RunSummary
from .storage import codecs, files
from .storage import layout as paths

if TYPE_CHECKING:
    from .store import Store

__all__ = ["KINDS", "CheckReport", "Problem", "Repair", "check_store"]

KINDS = (
    "marker",
    "experiment",
    "run",
    "metrics",
    "summary-cache",
    "history-index",
    "registry",
    "deleted-marker",
    "leftover",
)
"""The kinds of item a problem is about."""

CREATING_AGE = 60.0
"""Seconds after which a ``.creating-*`` folder with a free writer lock is a leftover (as in ``clean_leftovers``)."""
LEFTOVER_AGE = paths.LEFTOVER_AGE
"""Seconds after which other dot-named leftovers (staging folders, temp files, index generations) are removed."""
_MAX_LINES_SHOWN = 5


@dataclass(frozen=True, slots=True)
class Problem:
    """One unreadable or inconsistent item: ``item`` is its path relative to the store (``/``-separated)."""

    item: str
    kind: str
    reason: str
    repairable: bool = False


@dataclass(frozen=True, slots=True)
class Repair:
    """One repair done by ``check_store(..., repair=True)``."""

    item: str
    kind: str
    action: str


@dataclass
class CheckReport:
    """What :func:`check_store` found; after a repair, ``problems`` are those that remain."""

    root: Path
    problems: list[Problem] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    runs: int = 0
    experiments: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """A plain, JSON-ready form of the report."""
        return {
            "store": str(self.root),
            "ok": self.ok,
            "experiments": self.experiments,
            "runs": self.runs,
            "problems": [
                {"item": p.item, "kind": p.kind, "reason": p.reason, "repairable": p.repairable} for p in self.problems
            ],
            "repairs": [{"item": r.item, "kind": r.kind, "action": r.action} for r in self.repairs],
        }


def check_store(store: Store | str | os.PathLike[str] | None, *, repair: bool = False) -> CheckReport:
    """Check every file of ``store`` (a :class:`Store`, its path, or None for the configured one).

    With ``repair``, rebuild what is derived and remove leftovers, then check again. A path with no
    store at all raises :class:`StoreNotFoundError`. A store whose marker is damaged or missing is
    reported (kind ``marker``) without walking further: no reader can open it.
    """
    from .config import resolve_store_path
    from .store import Store

    if not isinstance(store, Store):
        root = resolve_store_path(store).absolute()
        try:
            store = Store(store if store is not None else root, create=False)
        except StoreNotFoundError:
            if not (root / paths.EXPERIMENTS_DIR).is_dir():
                raise
            return CheckReport(root, [Problem(paths.MARKER_FILE, "marker", "is missing")])
        except StoreError as exc:
            if not (root / paths.MARKER_FILE).exists():
                raise
            return CheckReport(root, [Problem(paths.MARKER_FILE, "marker", str(exc))])
    store.require()
    checker = _Checker(store)
    checker.walk()
    if not repair or not any(p.repairable for p in checker.report.problems):
        return checker.report
    repairs = checker.repair()
    again = _Checker(store)
    again.walk()
    again.report.repairs = repairs
    return again.report


class _Checker:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.layout = store.layout
        self.root = store.root
        self.report = CheckReport(store.root)
        self.now = time.time()
        self._torn: list[tuple[str, str]] = []  # (run_dir, metrics path)
        self._caches: list[str] = []  # experiment ids whose summary cache is to be rebuilt
        self._indexes: list[str] = []  # metrics paths whose history index is to be rebuilt
        self._remove: list[tuple[str, str]] = []  # (path, kind) of leftovers to remove
        self._registry = False

    # ------------------------------------------------------------------ reporting
    def rel(self, path: str | os.PathLike[str]) -> str:
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    def problem(self, path: str | os.PathLike[str], kind: str, reason: str, repairable: bool = False) -> None:
        self.report.problems.append(Problem(self.rel(path), kind, reason, repairable))

    def unreadable(self, path: str | os.PathLike[str], kind: str, exc: OSError | CorruptFileError) -> None:
        """Report a file its codec could not read: missing, damaged (the codec's reason) or an OS error."""
        if isinstance(exc, FileNotFoundError):
            reason = "is missing"
        elif isinstance(exc, CorruptFileError):
            reason = exc.reason
        else:
            reason = _os_reason(exc)
        self.problem(path, kind, reason)

    def _old(self, path: str, age: float) -> bool:
        try:
            return self.now - os.lstat(path).st_mtime >= age
        except OSError:
            return False

    # ------------------------------------------------------------------ the walk
    def walk(self) -> None:
        layout = self.layout
        self._leftovers(os.fspath(layout.experiments_dir), experiments=True)
        for exp_id in sorted(layout.experiment_ids()):
            self.report.experiments += 1
            self._experiment(exp_id)
        self._temp_files()
        self._check_registry()

    def _experiment(self, exp_id: str) -> None:
        layout = self.layout
        exp_file = layout.experiment_file(exp_id)
        try:
            files.load_experiment(layout.experiment_dir(exp_id))
        except (OSError, CorruptFileError) as exc:
            self.unreadable(exp_file, "experiment", exc)
        run_ids = sorted(layout.run_ids(exp_id))
        deleted = layout.deleted_run_ids(exp_id)
        summaries: dict[str, tuple[codecs.Stamp, RunSummary]] = {}
        for run_id in run_ids:
            run_dir = layout.run_dir(exp_id, run_id)
            if not os.path.isdir(run_dir):
                self.problem(run_dir, "run", "is not a run folder")
                continue
            self.report.runs += 1
            found = self._run(exp_id, run_id, run_dir, run_id in deleted)
            if found is not None:
                summaries[run_id] = found
        for run_id in sorted(deleted - set(run_ids)):
            marker = layout.deleted_marker(exp_id, run_id)
            if self._old(marker, LEFTOVER_AGE):
                self.problem(marker, "deleted-marker", "marks a run that does not exist (a killed purge)", True)
                self._remove.append((marker, "deleted-marker"))
        self._summary_cache(exp_id, summaries)
        self._leftovers(layout.runs_dir(exp_id), experiments=False)

    def _run(self, exp_id: str, run_id: str, run_dir: str, deleted: bool) -> tuple[codecs.Stamp, RunSummary] | None:
        """Check one run's files; return its ``run.json`` stamp and summary when it decodes."""
        from .locking import writer_alive
        from .store import read_run_summary

        run_file = paths.run_file(run_dir)
        metrics_path = paths.metrics_file(run_dir)
        found: tuple[codecs.Stamp, RunSummary] | None = None
        offset = 0
        try:
            stamp = codecs.stamp_of(os.stat(run_file))
            data = files.read_run_doc(run_dir)
            summary = codecs.decode_run(data, run_id, exp_id, deleted, with_env=True)
            offset = codecs.metrics_offset(data)
            found = stamp, summary
        except (OSError, CorruptFileError) as exc:
            self.unreadable(run_file, "run", exc)
        if found is None:
            live = writer_alive(run_dir) is True
        else:
            live = found[1].status == RUNNING and read_run_summary(run_dir, exp_id, deleted, self.now).status == RUNNING
        size, complete = self._metrics(run_dir, metrics_path, live)
        if size is not None and offset > size:
            self.problem(
                run_file, "run", f'field "metrics_offset" is {offset} but {paths.METRICS_FILE} has {size} bytes'
            )
        elif size is None and offset > 0:
            self.problem(run_file, "run", f'field "metrics_offset" is {offset} but {paths.METRICS_FILE} is missing')
        self._history_index(metrics_path, complete)  # an index covers complete lines: a torn tail is cut by --repair
        return found

    def _metrics(self, run_dir: str, path: str, live: bool) -> tuple[int | None, int | None]:
        """Check every line of a metric history; return its size and that of its complete lines (None, None when
        it does not exist)."""
        bad: list[int] = []
        size = torn_bytes = 0
        try:
            with open(path, "rb") as fh:
                for number, line in enumerate(fh, 1):
                    size += len(line)
                    if not line.endswith(b"\n"):
                        torn_bytes = len(line)
                        break
                    if not line.strip():
                        continue
                    try:
                        point = codecs.decode_point(loads(line, raw=True))
                    except (ValueError, UnicodeDecodeError):
                        point = None
                    if point is None:
                        bad.append(number)
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            self.problem(path, "metrics", _os_reason(exc))
            return None, None
        if bad:
            shown = ", ".join(map(str, bad[:_MAX_LINES_SHOWN])) + (", ..." if len(bad) > _MAX_LINES_SHOWN else "")
            what = "line" if len(bad) == 1 else f"{len(bad)} lines"
            self.problem(path, "metrics", f"{what} ({shown}) not a metric point; readers skip them")
        if torn_bytes and not live:
            self.problem(path, "metrics", "a torn last line (a killed writer's append; never read as data)", True)
            self._torn.append((run_dir, path))
        return size, size - torn_bytes

    def _history_index(self, metrics_path: str, size: int | None) -> None:
        from .history.index import DIRNAME, HistoryIndex

        index_dir = os.path.join(os.path.dirname(metrics_path), DIRNAME)
        if not os.path.isdir(index_dir):
            return
        if not size:
            what = "does not exist" if size is None else "is empty"
            self.problem(index_dir, "history-index", f"indexes a {paths.METRICS_FILE} that {what}", True)
            self._remove.append((index_dir, "history-index"))
            return
        index = HistoryIndex(Path(metrics_path), write=False)
        try:
            index.refresh()
        except (OSError, TrackerError) as exc:
            self.problem(index_dir, "history-index", f"cannot be checked ({exc})")
            return
        if index.problem is not None:
            self.problem(index_dir, "history-index", f"stale or damaged: {index.problem}", True)
            self._indexes.append(metrics_path)
            return
        for name in sorted(os.listdir(index_dir)):
            path = os.path.join(index_dir, name)
            if name != index.gen and os.path.isdir(path) and self._old(path, LEFTOVER_AGE):
                self.problem(path, "leftover", "an index generation left by a killed builder", True)
                self._remove.append((path, "leftover"))

    def _summary_cache(self, exp_id: str, summaries: dict[str, tuple[codecs.Stamp, RunSummary]]) -> None:
        path = self.layout.summary_cache(exp_id)
        reasons: list[str] = []
        try:
            with open(path, "rb") as fh:
                try:
                    header_ok = codecs.decode_cache_header(loads(fh.readline(), raw=True))
                except (ValueError, UnicodeDecodeError):
                    header_ok = False
                if not header_ok:
                    reasons.append("the header is not a version 1 summary cache (readers ignore the file)")
                else:
                    reasons.extend(self._cache_lines(fh, exp_id, summaries))
        except FileNotFoundError:
            return
        except OSError as exc:
            self.problem(path, "summary-cache", _os_reason(exc), False)
            return
        for reason in reasons:
            self.problem(path, "summary-cache", reason, True)
        if reasons:
            self._caches.append(exp_id)

    def _cache_lines(self, fh: Any, exp_id: str, summaries: dict[str, tuple[codecs.Stamp, RunSummary]]) -> list[str]:
        reasons: list[str] = []
        bad: list[int] = []
        wrong: list[str] = []
        for number, line in enumerate(fh, 2):
            if not line.endswith(b"\n"):
                reasons.append(f"line {number} is torn (readers ignore it and every line after it)")
                break
            entry = codecs.decode_cache_line(line, exp_id)
            if entry is None:
                bad.append(number)
                continue
            run_id, stamp, cached = entry
            found = summaries.get(run_id)
            if found is not None and found[0] == stamp and not _same(cached, found[1], stamp):
                wrong.append(run_id)
        if bad:
            shown = ", ".join(map(str, bad[:_MAX_LINES_SHOWN])) + (", ..." if len(bad) > _MAX_LINES_SHOWN else "")
            reasons.append(f"line(s) {shown} not a summary entry")
        if wrong:
            shown = ", ".join(r[:8] for r in wrong[:_MAX_LINES_SHOWN])
            reasons.append(f"{len(wrong)} entry(ies) disagree with their run.json though its stamp matches ({shown})")
        return reasons

    def _leftovers(self, parent: str, *, experiments: bool) -> None:
        from .interop.run_files import LEFTOVER_PREFIXES
        from .locking import writer_alive

        try:
            names = sorted(os.listdir(parent))
        except OSError:
            return
        for name in names:
            path = os.path.join(parent, name)
            if name.startswith(paths.CREATING_PREFIX):
                what = "experiment" if experiments else "run"
                if self._old(path, CREATING_AGE) and (experiments or writer_alive(path) is not True):
                    self.problem(path, "leftover", f"a half-created {what} (its creator was killed)", True)
                    self._remove.append((path, "creating"))
            elif name.startswith(LEFTOVER_PREFIXES) and os.path.isdir(path) and self._old(path, LEFTOVER_AGE):
                self.problem(path, "leftover", "a staging folder left by a killed import or sync", True)
                self._remove.append((path, "staging"))

    def _temp_files(self) -> None:
        from .interop.run_files import LEFTOVER_PREFIXES

        skip = (paths.CREATING_PREFIX, *LEFTOVER_PREFIXES)  # leftovers themselves, removed whole
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(skip)]
            for name in filenames:
                if paths.is_temp_name(name):
                    path = os.path.join(dirpath, name)
                    if self._old(path, LEFTOVER_AGE):
                        self.problem(path, "leftover", "a temp file left by a killed write", True)
                        self._remove.append((path, "leftover"))

    def _check_registry(self, repair: bool = False) -> list[Repair]:
        from .registry.check import check

        repairs: list[Repair] = []
        for p in check(self.store, repair=repair):
            if p.repaired:
                repairs.append(Repair(self.rel(p.path), "registry", p.reason))
            elif not repair:
                self.problem(p.path, "registry", p.reason, p.repairable)
                self._registry = self._registry or p.repairable
        return repairs

    # ------------------------------------------------------------------ repairing
    def repair(self) -> list[Repair]:
        repairs: list[Repair] = []
        for run_dir, path in self._torn:
            action = _cut_torn_tail(run_dir, path)
            if action:
                repairs.append(Repair(self.rel(path), "metrics", action))
        for metrics_path in self._indexes:
            from .history.index import HistoryIndex

            try:
                index = HistoryIndex(Path(metrics_path)).refresh()
            except (OSError, TrackerError):
                continue
            if index.write:
                repairs.append(Repair(self.rel(index.dir), "history-index", "rebuilt from metrics.jsonl"))
        for exp_id in self._caches:
            if self._rebuild_cache(exp_id):
                repairs.append(Repair(self.rel(self.layout.summary_cache(exp_id)), "summary-cache", "rebuilt"))
        creating = [p for p, kind in self._remove if kind == "creating"]
        if creating:
            removed = {os.fspath(p) for p in self.store.clean_leftovers()}
            repairs.extend(Repair(self.rel(p), "leftover", "removed") for p in creating if p in removed)
        for path, kind in self._remove:
            if kind != "creating" and _remove(path):
                repairs.append(Repair(self.rel(path), kind, "removed"))
        if self._registry:
            repairs.extend(self._check_registry(repair=True))
        return repairs

    def _rebuild_cache(self, exp_id: str) -> bool:
        """Rewrite an experiment's summary cache from its ended runs' files."""
        from .index import save_cache
        from .store import read_run_summary

        runs: dict[str, RunSummary] = {}
        stamps: dict[str, codecs.Stamp] = {}
        now = time.time()
        for run_id in self.layout.run_ids(exp_id):
            run_dir = self.layout.run_dir(exp_id, run_id)
            try:
                stamp = codecs.stamp_of(os.stat(paths.run_file(run_dir)))  # before the read: a race is a miss
            except OSError:
                continue
            summary = read_run_summary(run_dir, exp_id, False, now, with_env=False)
            if summary.status in END_STATUSES:
                runs[run_id], stamps[run_id] = summary, stamp
        path = self.layout.summary_cache(exp_id)
        save_cache(path, exp_id, runs, stamps)
        return True


def _same(cached: RunSummary, actual: RunSummary, stamp: codecs.Stamp) -> bool:
    """Whether a cached summary says what its run's file says (compared in the cache's own encoding)."""
    actual = actual._replace(env={}, deleted=False, heartbeat=None)
    a = dumps_bytes(codecs.encode_cache_entry(actual.id, actual, stamp))
    b = dumps_bytes(codecs.encode_cache_entry(cached.id, cached, stamp))
    return a == b


def _cut_torn_tail(run_dir: str, path: str) -> str | None:
    """Cut a torn last line while holding the run's writer lock (so no writer appends meanwhile)."""
    from . import lifecycle
    from .locking import WriterLock
    from .storage.append import repair_torn_tail

    if lifecycle.is_open_here(os.path.basename(run_dir)):
        return None
    lock = WriterLock(run_dir)
    try:
        if not lock.try_acquire():
            return None  # a writer resumed the run meanwhile: it cuts the line itself
    except OSError:
        return None
    try:
        before = os.path.getsize(path)
        after = repair_torn_tail(path)
    except OSError:
        return None
    finally:
        lock.release()
    return f"cut the torn last line ({before - after} bytes)"


def _remove(path: str) -> bool:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError:
        return False
    return True


def _os_reason(exc: OSError) -> str:
    return f"cannot be read ({exc.strerror or exc})"
