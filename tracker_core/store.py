"""The plain-file store (format v1): experiments, runs and their files.

Layout under the store root::

    tui-track-store.json            marker: format name and version
    .lock                           fcntl lock for shared state (experiment creation, renames)
    experiments/<experiment_id>/
        experiment.json             id, name, created, tags, deleted
        deleted-runs/<run_id>       empty marker files: soft-deleted runs
        runs/<run_id>/
            run.json                params, tags, status, times, env, metric summaries
            metrics.jsonl           append-only metric history (source of truth)
            heartbeat               mtime = last sign of life of the writing process
            artifacts/              logged files and models
    registry/                       the model registry (see tracker_core.registry)

Ids are random uuid4 hex strings, so stores copied with ``cp -r``/``rsync`` merge without
conflict. Each run has a single writer (the process that started or resumed it); shared
state changes under the store lock.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import lifecycle, metrics_log
from .config import resolve_store_path
from .errors import AmbiguousIdError, ConflictError, CorruptFileError, NotFoundError, StoreError, ValidationError
from .jsonio import read_json, restore, restore_values, write_json_atomic
from .locking import FileLock, WriterLock, writer_alive
from .records import (
    CRASHED,
    RUNNING,
    UNREADABLE,
    ArtifactInfo,
    Experiment,
    MetricPoint,
    RunSummary,
)
from .run import (
    ARTIFACTS_DIR,
    DEFAULT_FLUSH_INTERVAL,
    HEARTBEAT_FILE,
    RUN_FILE,
    Run,
    load_run_file,
    run_record,
    summaries_from_json,
)
from .validation import safe_join, validate_key, validate_name

if TYPE_CHECKING:
    from .history import LiveHistory, Series

MARKER_FILE = "tui-track-store.json"
FORMAT_NAME = "tui-track"
FORMAT_VERSION = 1
DEFAULT_EXPERIMENT = "Default"
EXPERIMENT_FILE = "experiment.json"
STALE_AFTER = 30.0
"""Seconds without a heartbeat after which a running run is reported crashed."""


def new_id() -> str:
    """A random uuid4 as 32 hex characters (built from os.urandom: the uuid module costs imports)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return raw.hex()


class Store:
    """A tui-track store on disk.

    ``root`` follows the resolution order of :mod:`tracker_core.config` when omitted. With
    ``create=False`` a missing store raises :class:`StoreError` instead of being created.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None, *, create: bool = True) -> None:
        self.root = resolve_store_path(root).absolute()
        self._open(create)
        self._exp_by_name: dict[str, str] = {}
        self._run_exp: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    # -------------------------------------------------------------- the root
    @property
    def experiments_dir(self) -> Path:
        return self.root / "experiments"

    def lock(self, timeout: float = 30.0) -> FileLock:
        """The store-wide lock for shared state."""
        return FileLock(self.root / ".lock", timeout=timeout)

    def _open(self, create: bool) -> None:
        marker = self.root / MARKER_FILE
        if marker.is_file():
            self._check_marker(marker)
            return
        if not create:
            raise StoreError(
                f"no tui-track store at {self.root}; log a run there first "
                "(tracker_core.start_run) or point TUI_TRACK_STORE at an existing store"
            )
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"{self.root} is a file, not a store directory")
        self.root.mkdir(parents=True, exist_ok=True)
        with self.lock():  # processes racing to create the store: one creates, the others open it
            if not marker.exists():
                if any(p.name != ".lock" for p in self.root.iterdir()):
                    raise StoreError(
                        f"{self.root} is not empty and holds no {MARKER_FILE}; refusing to turn it into a "
                        "store. Choose a new or empty directory."
                    )
                self.experiments_dir.mkdir(exist_ok=True)
                meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "created": time.time()}
                write_json_atomic(marker, meta)
        self._check_marker(marker)

    def _check_marker(self, marker: Path) -> None:
        try:
            meta = read_json(marker)
        except CorruptFileError as exc:
            raise StoreError(f"{marker} is unreadable ({exc.reason}); is this a tui-track store?") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
            raise StoreError(f"{marker} does not describe a tui-track store")
        version = meta.get("version")
        if version != FORMAT_VERSION:
            raise StoreError(
                f"store {self.root} has format version {version!r}; this tui-track reads version "
                f"{FORMAT_VERSION}. Upgrade tui-track (pip install -U tui-track) to open it."
            )
        self.experiments_dir.mkdir(exist_ok=True)

    # --------------------------------------------------------- experiments
    def _experiment_dirs(self) -> list[Path]:
        try:
            return [Path(e.path) for e in os.scandir(self.experiments_dir) if e.is_dir() and not e.name.startswith(".")]
        except FileNotFoundError:
            return []

    def _read_experiment(self, exp_dir: Path, with_counts: bool = False) -> Experiment:
        data = read_json(exp_dir / EXPERIMENT_FILE)
        run_count = 0
        last: float | None = None
        if with_counts:
            runs_dir = exp_dir / "runs"
            try:
                names = [n for n in os.listdir(runs_dir) if not n.startswith(".")]
                deleted = self._deleted_runs(exp_dir)
                run_count = sum(1 for n in names if n not in deleted)
                last = runs_dir.stat().st_mtime if names else None
            except FileNotFoundError:
                pass
        return Experiment(
            id=data["id"],
            name=data["name"],
            created=data.get("created", 0.0),
            tags=data.get("tags", {}),
            deleted=bool(data.get("deleted", False)),
            run_count=run_count,
            last_activity=last,
        )

    def list_experiments(self, include_deleted: bool = False, with_counts: bool = True) -> list[Experiment]:
        """Experiments sorted by name, with run counts and last run creation time."""
        found = []
        for exp_dir in self._experiment_dirs():
            try:
                exp = self._read_experiment(exp_dir, with_counts)
            except (FileNotFoundError, CorruptFileError, KeyError, TypeError):
                continue
            self._exp_by_name[exp.name] = exp.id
            if include_deleted or not exp.deleted:
                found.append(exp)
        return sorted(found, key=lambda e: e.name.lower())

    def get_experiment(self, name_or_id: str, *, include_deleted: bool = True) -> Experiment:
        """An experiment by exact name, id or unique id prefix."""
        exp_id = self._exp_by_name.get(name_or_id)
        if exp_id and (self.experiments_dir / exp_id / EXPERIMENT_FILE).is_file():
            exp = self._read_experiment(self.experiments_dir / exp_id, with_counts=True)
            if exp.name == name_or_id:
                return exp
        experiments = self.list_experiments(include_deleted=True)
        for exp in experiments:
            if exp.name == name_or_id:
                return exp
        matches = [e for e in experiments if e.id.startswith(name_or_id)] if len(name_or_id) >= 4 else []
        if len(matches) == 1:
            return matches[0]
        names = ", ".join(repr(e.name) for e in experiments if include_deleted or not e.deleted) or "none yet"
        raise NotFoundError(f"no experiment named {name_or_id!r}; experiments: {names}")

    def create_experiment(
        self,
        name: str,
        tags: dict[str, Any] | None = None,
        *,
        experiment_id: str | None = None,
        created: float | None = None,
    ) -> Experiment:
        """Create an experiment; its name must not be taken.

        Imports pass the ``experiment_id`` (32 hex digits, not in use) and ``created`` time they bring.
        """
        if experiment_id is not None and (
            len(experiment_id) != 32
            or experiment_id.strip("0123456789abcdef")
            or (self.experiments_dir / experiment_id).exists()
        ):
            experiment_id = None  # not an id this store can take: a fresh one instead
        exp, created_now = self._get_or_create(name, tags, experiment_id, created)
        if not created_now:
            raise ConflictError(f"experiment {name!r} already exists")
        return exp

    def get_or_create_experiment(self, name: str) -> Experiment:
        """The experiment of that name (or with that exact id), created if missing.

        Among processes racing to create the same name, one creates it and all get it.
        """
        name = validate_name(name, "experiment name")
        exp_id = self._exp_by_name.get(name)
        if exp_id is None and len(name) == 32 and (self.experiments_dir / name / EXPERIMENT_FILE).is_file():
            exp_id = name  # an experiment id
        if exp_id is not None:
            try:  # re-read: another process may have renamed or deleted it since
                exp = self._read_experiment(self.experiments_dir / exp_id)
            except (OSError, CorruptFileError, KeyError, TypeError):
                exp = None
            if exp is not None and name in (exp.name, exp.id):
                return _refuse_deleted(exp)
            self._exp_by_name.pop(name, None)
        return _refuse_deleted(self._get_or_create(name, None)[0])

    def _get_or_create(
        self, name: str, tags: dict[str, Any] | None, exp_id: str | None = None, created: float | None = None
    ) -> tuple[Experiment, bool]:
        name = validate_name(name, "experiment name")
        with self.lock():
            for exp in self.list_experiments(include_deleted=True, with_counts=False):
                if exp.name == name:
                    return exp, False
            exp_id = exp_id or new_id()
            tmp = self.experiments_dir / f".creating-{exp_id}"
            (tmp / "runs").mkdir(parents=True)
            when = time.time() if created is None else float(created)
            data = {"id": exp_id, "name": name, "created": when, "tags": dict(tags or {}), "deleted": False}
            write_json_atomic(tmp / EXPERIMENT_FILE, data)
            os.rename(tmp, self.experiments_dir / exp_id)
        self._exp_by_name[name] = exp_id
        return self._read_experiment(self.experiments_dir / exp_id), True

    def _update_experiment(self, name_or_id: str, change: dict[str, Any]) -> Experiment:
        with self.lock():
            exp = self.get_experiment(name_or_id)
            path = self.experiments_dir / exp.id / EXPERIMENT_FILE
            data = read_json(path)
            if "name" in change and change["name"] != data["name"]:
                taken = [
                    e
                    for e in self.list_experiments(include_deleted=True, with_counts=False)
                    if e.name == change["name"]
                ]
                if taken:
                    raise ConflictError(f"cannot rename to {change['name']!r}: that experiment already exists")
            if "tags" in change:
                change = {**change, "tags": {**data.get("tags", {}), **change["tags"]}}
            data.update(change)
            write_json_atomic(path, data)
        self._exp_by_name.clear()
        return self.get_experiment(exp.id)

    def rename_experiment(self, name_or_id: str, new_name: str) -> Experiment:
        """Give an experiment a new (unused) name; its runs stay where they are."""
        return self._update_experiment(name_or_id, {"name": validate_name(new_name, "experiment name")})

    def set_experiment_tag(self, name_or_id: str, key: str, value: Any) -> Experiment:
        """Set one tag on an experiment."""
        from .validation import json_value

        return self._update_experiment(name_or_id, {"tags": {validate_key(key, "tag"): json_value(value)}})

    def delete_experiment(self, name_or_id: str) -> Experiment:
        """Soft-delete an experiment (hidden from listings, restorable)."""
        return self._update_experiment(name_or_id, {"deleted": True})

    def restore_experiment(self, name_or_id: str) -> Experiment:
        """Undo :meth:`delete_experiment`."""
        return self._update_experiment(name_or_id, {"deleted": False})

    # ---------------------------------------------------------------- writing runs
    def start_run(
        self,
        experiment: str | None = None,
        name: str | None = None,
        *,
        run_id: str | None = None,
        parent_id: str | None = None,
        tags: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
    ) -> Run:
        """Start a new run in ``experiment`` (created on first use), or resume ``run_id``."""
        if flush_interval <= 0:
            raise ValidationError("flush_interval must be a positive number of seconds")
        if run_id is not None:
            run = self._resume(run_id, flush_interval)
        else:
            run = self._create_run(
                DEFAULT_EXPERIMENT if experiment is None else experiment, name, parent_id, flush_interval
            )
        if tags:
            run.set_tags(tags)
        if params:
            run.log_params(params)
        return run

    def _create_run(self, experiment: str, name: str | None, parent_id: str | None, flush_interval: float) -> Run:
        from . import environment

        exp = self.get_or_create_experiment(experiment)
        if parent_id is not None:
            parent_id = self._locate(parent_id)[1]
        run_id = new_id()
        if name is None:
            name = f"run-{run_id[:8]}"
        name = validate_name(name, "run name")
        runs_dir = self.experiments_dir / exp.id / "runs"
        tmp = runs_dir / f".creating-{run_id}"
        tmp.mkdir()
        now = time.time()
        data = run_record(
            run_id=run_id,
            experiment_id=exp.id,
            name=name,
            status=RUNNING,
            start_time=now,
            parent_id=parent_id,
            user=environment.username(),
            host=environment.hostname(),
            pid=os.getpid(),
            env=environment.capture(),
        )
        # Not fsynced: the directory appears by an atomic rename, so a reader never sees it
        # half-written, and the first flush (at most flush_interval later) or the end fsyncs it.
        write_json_atomic(tmp / RUN_FILE, data, fsync=False)
        (tmp / HEARTBEAT_FILE).touch()
        writer_lock = WriterLock(tmp)
        writer_lock.try_acquire()  # a fresh file: always free; the lock follows the inode on rename
        os.rename(tmp, runs_dir / run_id)
        self._run_exp[run_id] = exp.id
        data["metrics"] = {}
        return Run(self, runs_dir / run_id, data, flush_interval=flush_interval, writer_lock=writer_lock)

    def _resume(self, run_id: str, flush_interval: float) -> Run:
        from . import environment

        exp_id, run_id = self._locate(run_id)
        run_dir = self._run_dir(exp_id, run_id)
        writer_lock = WriterLock(run_dir)
        if lifecycle.is_open_here(run_id) or not writer_lock.try_acquire():
            current = self.get_run(run_id)
            raise ConflictError(
                f"run {run_id[:8]} is still running (pid {current.pid} on {current.host}); "
                "a run has one writer at a time: end it there first"
            )
        try:
            data = load_run_file(run_dir)
        except BaseException:
            writer_lock.release()
            raise
        # Bring the summaries up to date with points a killed writer appended but never summarized.
        path = run_dir / metrics_log.FILENAME
        size = metrics_log.truncate_torn_tail(path)
        offset = int(data.get("metrics_offset", 0))
        if size > offset:
            points, _ = metrics_log.read_points(path, offset)
            metrics_log.summarize(points, data["metrics"])
        data["metrics_offset"] = size
        data.update(
            status=RUNNING,
            end_time=None,
            error=None,
            pid=os.getpid(),
            host=environment.hostname(),
            user=environment.username(),
        )
        data.setdefault("resumed", []).append(time.time())
        run = Run(self, run_dir, data, flush_interval=flush_interval, writer_lock=writer_lock)
        run.heartbeat()
        with run._buffer_lock:
            run._dirty = True
        run.flush()
        return run

    # ---------------------------------------------------------------- reading runs
    def _run_dir(self, exp_id: str, run_id: str) -> Path:
        return self.experiments_dir / exp_id / "runs" / run_id

    def _deleted_runs(self, exp_dir: Path) -> set[str]:
        try:
            return set(os.listdir(exp_dir / "deleted-runs"))
        except FileNotFoundError:
            return set()

    def _locate(self, run_id: str) -> tuple[str, str]:
        """(experiment id, full run id) for a run id or unique prefix."""
        if not isinstance(run_id, str) or not run_id:
            raise ValidationError("a run id must be a non-empty string")
        exp_id = self._run_exp.get(run_id)
        if exp_id and self._run_dir(exp_id, run_id).is_dir():
            return exp_id, run_id
        matches: list[tuple[str, str]] = []
        for exp_dir in self._experiment_dirs():
            runs_dir = exp_dir / "runs"
            if (runs_dir / run_id).is_dir() and "/" not in run_id and not run_id.startswith("."):
                self._run_exp[run_id] = exp_dir.name
                return exp_dir.name, run_id
            try:
                matches.extend(
                    (exp_dir.name, n) for n in os.listdir(runs_dir) if n.startswith(run_id) and not n.startswith(".")
                )
            except FileNotFoundError:
                continue
        if not matches:
            raise NotFoundError(f"no run with id {run_id!r} in {self.root}")
        if len(matches) > 1:
            shown = ", ".join(m[1][:12] for m in matches[:5])
            raise AmbiguousIdError(
                f"run id prefix {run_id!r} matches {len(matches)} runs ({shown}...); give more characters"
            )
        self._run_exp[matches[0][1]] = matches[0][0]
        return matches[0]

    def resolve_run_id(self, prefix: str) -> str:
        """The full id of the run whose id is or starts with ``prefix``."""
        return self._locate(prefix)[1]

    def get_run(self, run_id: str) -> RunSummary:
        """One run by id or unique prefix, as it would be listed."""
        exp_id, run_id = self._locate(run_id)
        exp_dir = self.experiments_dir / exp_id
        return read_run_summary(
            self._run_dir(exp_id, run_id), exp_id, run_id in self._deleted_runs(exp_dir), time.time()
        )

    def list_runs(self, experiment: str | None = None, *, include_deleted: bool = False) -> list[RunSummary]:
        """Summaries of an experiment's runs (all experiments when None), newest first.

        Reads one small ``run.json`` per new or changed run and a per-experiment cache of the
        rest, never the metric histories (except the unflushed tail of runs whose writer died).
        Listed summaries carry no ``env``; :meth:`get_run` has it. A run that cannot be read is
        listed as ``unreadable`` with the reason in ``error``.
        """
        from .index import RunIndex

        exp_id = None if experiment is None else self.get_experiment(experiment).id
        index = RunIndex(self, exp_id, include_deleted=include_deleted)
        index.refresh()
        return sorted(index.runs.values(), key=lambda r: r.start_time or 0.0, reverse=True)

    def metric_history(self, run_id: str, key: str) -> list[MetricPoint]:
        """Every point of one metric of a run, in logged order (read from the history index)."""
        from .history import open_index

        records = open_index(self._metrics_path(run_id)).records(key)
        return [MetricPoint(key, v, s, t) for s, v, t in records.tolist()]

    def metric_histories(self, run_id: str) -> dict[str, list[MetricPoint]]:
        """Every metric history of a run, by key (first-logged order), each in logged order."""
        from .history import open_index

        index = open_index(self._metrics_path(run_id))
        return {
            key: [MetricPoint(key, v, s, t) for s, v, t in index.records(key).tolist()] for key in index.key_names()
        }

    def metric_series(
        self, run_id: str, key: str, *, start: int | None = None, end: int | None = None, points: int | None = None
    ) -> Series:
        """One metric as numpy arrays sorted by step: steps ``start..end``, downsampled to ``points`` buckets.

        Only that key's column of the run's history index is read (the index is built or extended
        from ``metrics.jsonl`` first when it lags behind). A key never logged gives an empty series.
        """
        from .history import read_series

        return read_series(self._metrics_path(run_id), key, start=start, end=end, points=points)

    def metric_series_all(self, run_id: str, *, points: int | None = None) -> dict[str, Series]:
        """Every metric of a run as :class:`~tracker_core.history.Series` (optionally downsampled)."""
        from .history import read_all

        return read_all(self._metrics_path(run_id), points=points)

    def follow_history(self, run_id: str) -> LiveHistory:
        """A run's histories for a view that follows it: each ``update()`` reads only the new lines."""
        from .history import LiveHistory

        return LiveHistory(self._metrics_path(run_id))

    def _metrics_path(self, run_id: str) -> Path:
        exp_id, run_id = self._locate(run_id)
        return self._run_dir(exp_id, run_id) / metrics_log.FILENAME

    def artifact_root(self, run_id: str) -> Path:
        """The directory holding a run's artifacts (may not exist yet)."""
        exp_id, run_id = self._locate(run_id)
        return self._run_dir(exp_id, run_id) / ARTIFACTS_DIR

    def artifact_path(self, run_id: str, relpath: str) -> Path:
        """The file of one artifact, refusing paths that leave the run's artifacts."""
        root = self.artifact_root(run_id)
        path = safe_join(root, relpath)
        if not path.exists():
            raise NotFoundError(f"run {run_id[:8]} has no artifact {relpath!r}")
        return path

    def list_artifacts(self, run_id: str) -> list[ArtifactInfo]:
        """Every artifact file and directory of a run with sizes, sorted by path."""
        root = self.artifact_root(run_id)
        found: list[ArtifactInfo] = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not (d.startswith(".") and d.endswith(".tmp")))
            rel_dir = os.path.relpath(dirpath, root)
            for d in dirnames:
                found.append(ArtifactInfo(_rel(rel_dir, d), 0, True))
            for f in filenames:
                if f.startswith(".") and f.endswith(".tmp"):
                    continue  # a write in progress (temp file beside its target)
                try:
                    size = os.stat(os.path.join(dirpath, f)).st_size
                except FileNotFoundError:
                    continue
                found.append(ArtifactInfo(_rel(rel_dir, f), size))
        return sorted(found, key=lambda a: a.path)

    def load_model(self, run_id: str, name: str = "model") -> Any:
        """Unpickle a model logged on a run (after checking its sha256)."""
        from . import model_io

        return model_io.load(self.artifact_path(run_id, name))

    def model_info(self, run_id: str, name: str = "model") -> dict[str, Any]:
        """A logged model's sidecar, read as JSON (nothing is unpickled)."""
        from . import model_io

        return model_io.read_sidecar(self.artifact_path(run_id, name))

    # ----------------------------------------------------------- deletion
    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run: hidden from listings, files kept, restorable."""
        exp_id, run_id = self._locate(run_id)
        marker_dir = self.experiments_dir / exp_id / "deleted-runs"
        marker_dir.mkdir(exist_ok=True)
        (marker_dir / run_id).touch()

    def restore_run(self, run_id: str) -> None:
        """Undo :meth:`delete_run`."""
        exp_id, run_id = self._locate(run_id)
        try:
            os.unlink(self.experiments_dir / exp_id / "deleted-runs" / run_id)
        except FileNotFoundError:
            pass

    def purge_run(self, run_id: str) -> None:
        """Remove a soft-deleted run's files for good."""
        exp_id, run_id = self._locate(run_id)
        if run_id not in self._deleted_runs(self.experiments_dir / exp_id):
            raise ConflictError(f"run {run_id[:8]} is not deleted; delete it before purging it")
        if self.get_run(run_id).status == RUNNING:
            raise ConflictError(f"run {run_id[:8]} is still being written; end it before purging it")
        import shutil

        shutil.rmtree(self._run_dir(exp_id, run_id))
        os.unlink(self.experiments_dir / exp_id / "deleted-runs" / run_id)
        self._run_exp.pop(run_id, None)


def _refuse_deleted(exp: Experiment) -> Experiment:
    if exp.deleted:
        raise ConflictError(
            f"experiment {exp.name!r} is deleted; restore it (Store.restore_experiment) or log to another name"
        )
    return exp


def _rel(rel_dir: str, name: str) -> str:
    return name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/")


def process_alive(pid: int) -> bool:
    """Whether a process with that pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _unreadable(run_id: str, exp_id: str, deleted: bool, reason: str) -> RunSummary:
    return RunSummary(run_id, exp_id, run_id[:8], UNREADABLE, None, error=reason, deleted=deleted)


def _writer_is_alive(run_dir: str, summary: RunSummary, now: float) -> bool:
    """Whether the process writing a ``running`` run still lives.

    The writer holds a lock on ``.writer.lock`` for the run's life: on any host (NFS included)
    a held lock means alive, a free one means dead, whatever the heartbeat (a suspended job or a
    long C call stays alive). Without a usable lock: dead pid on this host, or no heartbeat for
    ``STALE_AFTER`` seconds.
    """
    from .environment import hostname

    if lifecycle.is_open_here(summary.id):
        return True  # never probe our own lock: closing the probe would drop it
    alive = writer_alive(run_dir)
    if alive is not None:
        return alive
    if summary.host == hostname() and summary.pid is not None and not process_alive(summary.pid):
        return False
    return summary.heartbeat is not None and now - summary.heartbeat <= STALE_AFTER


def read_run_summary(
    run_dir: str | os.PathLike[str], exp_id: str, deleted: bool, now: float, *, with_env: bool = True
) -> RunSummary:
    """Read one run directory into a summary; never raises for a damaged run.

    ``with_env=False`` leaves out the environment record (listings of many runs don't need it).
    """
    run_dir = os.fspath(run_dir)
    run_id = os.path.basename(run_dir)
    try:
        data = read_json(os.path.join(run_dir, RUN_FILE), raw=True)
        if not isinstance(data, dict):
            raise CorruptFileError(RUN_FILE, "not a JSON object")
        params = data.get("params") or {}
        tags = data.get("tags") or {}
        summary = RunSummary(
            id=run_id,
            experiment_id=exp_id,
            name=data.get("name") or run_id[:8],
            status=data["status"],
            start_time=data.get("start_time"),
            end_time=data.get("end_time"),
            params=restore_values(params),
            tags=restore_values(tags),
            metrics=summaries_from_json(data.get("metrics") or {}),
            parent_id=data.get("parent_id"),
            user=data.get("user"),
            host=data.get("host"),
            pid=data.get("pid"),
            env=restore(data.get("env") or {}) if with_env else {},
            error=data.get("error"),
            deleted=deleted,
        )
    except FileNotFoundError:
        return _unreadable(run_id, exp_id, deleted, f"{RUN_FILE} is missing")
    except CorruptFileError as exc:
        return _unreadable(run_id, exp_id, deleted, f"{RUN_FILE}: {exc.reason}")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        reason = f"{RUN_FILE} lacks or mangles a field ({type(exc).__name__}: {exc})"
        return _unreadable(run_id, exp_id, deleted, reason)
    if summary.status == RUNNING:
        try:
            summary.heartbeat = os.stat(os.path.join(run_dir, HEARTBEAT_FILE)).st_mtime
        except FileNotFoundError:
            summary.heartbeat = summary.start_time
        if not _writer_is_alive(run_dir, summary, now):
            summary.status = CRASHED
        # Points appended after the last summary (a writer killed between the two writes).
        offset = data.get("metrics_offset", 0)
        path = Path(run_dir) / metrics_log.FILENAME
        try:
            if os.stat(path).st_size > offset:
                points, _ = metrics_log.read_points(path, offset)
                metrics_log.summarize(points, summary.metrics)
        except FileNotFoundError:
            pass
    return summary
