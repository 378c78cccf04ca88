"""The plain-file store (format v1): experiments, runs and their files.

The layout (paths and listings) is :mod:`tracker_core.storage.layout`; what each file holds,
and the checks a file must pass to be readable, is :mod:`tracker_core.storage.codecs`.

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
from .errors import (
    AmbiguousIdError,
    ConflictError,
    CorruptFileError,
    NotFoundError,
    StoreError,
    StoreNotFoundError,
    TrackerError,
    ValidationError,
    fs_error,
    fs_errors,
)
from .jsonio import parse_bytes
from .locking import FileLock, WriterLock, writer_alive
from .records import (
    CRASHED,
    RUNNING,
    UNREADABLE,
    ArtifactInfo,
    Experiment,
    MetricPoint,
    RunSummary,
    latest_activity,
)
from .run import DEFAULT_FLUSH_INTERVAL, Run, load_run_file
from .storage import codecs, files
from .storage import layout as paths
from .storage.append import repair_torn_tail
from .storage.codecs import FORMAT_VERSION, run_record
from .storage.layout import EXPERIMENT_FILE as EXPERIMENT_FILE  # re-exported (sync, kata, the app)
from .storage.layout import MARKER_FILE as MARKER_FILE
from .storage.layout import RUN_FILE, Layout
from .validation import flush_interval_arg, safe_join, same_value, staged_values, validate_key, validate_name

if TYPE_CHECKING:
    from .history import HistoryIndex, LiveHistory, Series
    from .index import RunIndex

DEFAULT_EXPERIMENT = "Default"
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

    ``root`` follows the resolution order of :mod:`tracker_core.config` when omitted. Readers
    never create anything: on a store that does not exist yet, reading raises
    :class:`~tracker_core.errors.StoreNotFoundError` naming the path, and only writing (a run,
    an experiment, a registry change, a sync or import into it) creates it. ``create=True``
    creates it at once; ``create=False`` refuses a missing store at once.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None, *, create: bool | None = None) -> None:
        from .remote import remote_spec

        self.remote_url = remote_spec(root)
        if self.remote_url is not None:  # s3://bucket/prefix: read a pulled mirror (tracker_core/remote/mirror.py)
            from .remote.mirror import open_mirror

            root, create = open_mirror(self.remote_url), False
        self.root = resolve_store_path(root).absolute()
        self.layout = Layout(self.root)
        self._exp_by_name: dict[str, str] = {}
        self._run_exp: dict[str, str] = {}
        self._activity: dict[str, RunIndex] = {}
        """One live index per experiment for its last activity: a later listing re-reads only what changed."""
        self._cleaned = False
        self.exists = False
        self.exists = self._open(create)

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    # -------------------------------------------------------------- the root
    @property
    def experiments_dir(self) -> Path:
        return self.layout.experiments_dir

    def lock(self, timeout: float = 30.0) -> FileLock:
        """The store-wide lock for shared state."""
        return FileLock(self.layout.lock_file, timeout=timeout)

    def _open(self, create: bool | None) -> bool:
        marker = self.layout.marker
        if marker.is_file():
            self._check_marker(marker)
            return True
        if create:
            self.ensure_created()
            return True
        if marker.exists():
            raise StoreError(f"{marker} is not a file; is {self.root} a tui-track store?")
        if create is False:
            self._missing()
        return False

    def _missing(self) -> None:
        if self.root.exists() and not self.root.is_dir():  # the message start_run gives for it
            raise StoreError(f"{self.root} is a file, not a store directory")
        raise StoreNotFoundError(
            f"no tui-track store at {self.root}; log a run there first "
            "(tracker_core.start_run) or point TUI_TRACK_STORE at an existing store"
        )

    def require(self) -> None:
        """For readers: raise :class:`StoreNotFoundError` unless the store exists (it may have been created since)."""
        if not self.exists:
            self.exists = self._open(None)
            if not self.exists:
                self._missing()

    def ensure_created(self) -> None:
        """For writers: create the store if it does not exist yet (safe among racing processes)."""
        if self.exists:
            return
        marker = self.layout.marker
        with fs_errors(self.root, "create the store at"):
            if marker.is_file():
                self._check_marker(marker)
                self.exists = True
                return
            if self.root.exists() and not self.root.is_dir():
                raise StoreError(f"{self.root} is a file, not a store directory")
            self.root.mkdir(parents=True, exist_ok=True)
            with self.lock():  # processes racing to create the store: one creates, the others open it
                if not marker.exists():
                    if any(p.name != paths.LOCK_FILE for p in self.root.iterdir()):
                        raise StoreError(
                            f"{self.root} is not empty and holds no {MARKER_FILE}; refusing to turn it into a "
                            "store. Choose a new or empty directory."
                        )
                    self.experiments_dir.mkdir(exist_ok=True)
                    files.write_marker(marker, time.time())
            self._check_marker(marker)
        self.exists = True

    def _check_marker(self, marker: Path) -> None:
        try:
            version = files.read_marker_version(marker)
        except CorruptFileError as exc:
            raise StoreError(f"{marker} is unreadable ({exc.reason}); is this a tui-track store?") from None
        except OSError as exc:
            raise fs_error(exc, marker, "read") from None
        if version != FORMAT_VERSION:
            raise StoreError(
                f"store {self.root} has format version {version!r}; this tui-track reads version "
                f"{FORMAT_VERSION}. Upgrade tui-track (pip install -U tui-track) to open it."
            )

    def clean_leftovers(self) -> list[Path]:
        """Remove folders left by killed creations (``.creating-*``); return what was removed.

        An experiment is created under the store lock, so one found under it is a leftover;
        a run's is removed once its creator is gone (no writer lock) and it is a minute old.
        """
        import shutil

        from .locking import writer_alive

        removed: list[Path] = []
        if not self.exists:
            return removed
        with self.lock():
            for path in self.layout.leftovers(older_than=0.0):
                is_run = path.parent.name == paths.RUNS_DIR
                if is_run:
                    try:
                        age = time.time() - path.stat().st_mtime
                    except FileNotFoundError:
                        continue
                    if age < 60.0 or writer_alive(path):
                        continue
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        return removed

    def _clean_once(self) -> None:
        if not self._cleaned:
            self._cleaned = True
            try:
                self.clean_leftovers()
            except (OSError, TrackerError):
                pass  # cleaning is a courtesy; never fail a write for it

    # --------------------------------------------------------- experiments
    def read_experiment(self, exp_id: str, with_counts: bool = False) -> Experiment:
        """One experiment by folder id; raises :class:`CorruptFileError` (or ``FileNotFoundError``) when unreadable."""
        try:
            exp = files.load_experiment(self.layout.experiment_dir(exp_id))
        except OSError as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            raise CorruptFileError(EXPERIMENT_FILE, _os_reason(exc)) from None
        if with_counts:
            names = self.layout.run_ids(exp_id)
            deleted = self.layout.deleted_run_ids(exp_id)
            last = None
            if names:
                try:
                    last = os.stat(self.layout.runs_dir(exp_id)).st_mtime
                except OSError:
                    pass
            exp = exp._replace(run_count=sum(1 for n in names if n not in deleted), last_activity=last)
        return exp

    def list_experiments(
        self, include_deleted: bool = False, with_counts: bool = True, *, with_activity: bool = True
    ) -> list[Experiment]:
        """Experiments sorted by name, with run counts and last activity (see :meth:`last_activity`).

        An experiment whose ``experiment.json`` is missing or damaged is listed under its id
        with the reason in ``error`` (its runs still list). ``with_activity=False`` leaves
        ``last_activity`` None: it reads every run's times, which a caller that lists the runs
        anyway can take from them (:func:`~tracker_core.records.latest_activity`).
        """
        self.require()
        found = []
        for exp_id in self.layout.experiment_ids():
            try:
                exp = self.read_experiment(exp_id, with_counts)
            except FileNotFoundError:
                exp = Experiment(exp_id, exp_id, 0.0, {}, error=f"{EXPERIMENT_FILE} is missing")
            except CorruptFileError as exc:
                exp = Experiment(exp_id, exp_id, 0.0, {}, error=f"{EXPERIMENT_FILE}: {exc.reason}")
            if exp.error is None:
                self._exp_by_name[exp.name] = exp.id
            elif with_counts:
                exp = exp._replace(run_count=len(self.layout.run_ids(exp_id)))
            if include_deleted or not exp.deleted:
                found.append(exp)
        if with_counts:  # last activity from what the runs recorded, not a directory time that copying changes
            found = [
                e._replace(last_activity=self._last_activity(e.id) if with_activity and e.run_count else None)
                for e in found
            ]
        return sorted(found, key=lambda e: e.name.lower())

    def last_activity(self, experiment_id: str) -> float | None:
        """The latest time a run of the experiment (by its id, :attr:`Experiment.id`) recorded: an end,
        else a live heartbeat, else a start; None without runs. Later calls re-read only what changed."""
        self.require()
        if experiment_id not in self.layout.experiment_ids():
            raise NotFoundError(f"no experiment with id {experiment_id!r} in {self.root}")
        return self._last_activity(experiment_id)

    def _last_activity(self, experiment_id: str) -> float | None:
        from .index import RunIndex

        index = self._activity.get(experiment_id)
        if index is None:
            index = self._activity[experiment_id] = RunIndex(self, experiment_id, times_only=True)
        index.refresh()
        return latest_activity(index.runs.values())

    def get_experiment(self, name_or_id: str, *, include_deleted: bool = True) -> Experiment:
        """An experiment by exact name, id or unique id prefix."""
        self.require()
        exp_id = self._exp_by_name.get(name_or_id)
        if exp_id:
            try:
                exp = self.read_experiment(exp_id, with_counts=True)
            except (OSError, CorruptFileError):
                exp = None
            if exp is not None and exp.name == name_or_id:
                return exp
        experiments = self.list_experiments(include_deleted=True, with_counts=False)  # names only: cheap
        found = next((e for e in experiments if e.name == name_or_id), None)
        if found is None:
            matches = [e for e in experiments if e.id.startswith(name_or_id)] if len(name_or_id) >= 4 else []
            found = matches[0] if len(matches) == 1 else None
        if found is not None:
            if found.error is not None:
                return found
            try:
                return self.read_experiment(found.id, with_counts=True)
            except (OSError, CorruptFileError):
                return found
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
            not paths.is_id(experiment_id) or os.path.lexists(self.layout.experiment_dir(experiment_id))
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
        self.ensure_created()
        exp_id = self._exp_by_name.get(name)
        if exp_id is None and paths.is_id(name) and os.path.isfile(self.layout.experiment_file(name)):
            exp_id = name  # an experiment id
        if exp_id is not None:
            try:  # re-read: another process may have renamed or deleted it since
                exp = self.read_experiment(exp_id)
            except (OSError, CorruptFileError):
                exp = None
            if exp is not None and name in (exp.name, exp.id):
                return _refuse_deleted(exp)
            self._exp_by_name.pop(name, None)
        return _refuse_deleted(self._get_or_create(name, None)[0])

    def _get_or_create(
        self, name: str, tags: dict[str, Any] | None, exp_id: str | None = None, created: float | None = None
    ) -> tuple[Experiment, bool]:
        name = validate_name(name, "experiment name")
        self.ensure_created()
        self._clean_once()
        with fs_errors(self.experiments_dir, "create an experiment in"), self.lock():
            for exp in self.list_experiments(include_deleted=True, with_counts=False):
                if exp.name == name and exp.error is None:
                    return exp, False
            exp_id = exp_id or new_id()
            tmp = self.layout.new_experiment_dir(exp_id)
            (tmp / paths.RUNS_DIR).mkdir(parents=True)
            when = time.time() if created is None else float(created)
            data = codecs.encode_experiment(exp_id, name, when, dict(tags or {}), False)
            files.write_experiment_doc(tmp, data)
            os.rename(tmp, self.layout.experiment_dir(exp_id))
        self._exp_by_name[name] = exp_id
        return self.read_experiment(exp_id), True

    def _update_experiment(self, name_or_id: str, change: dict[str, Any]) -> Experiment:
        with self.lock():
            exp = self.get_experiment(name_or_id)
            path = self.layout.experiment_file(exp.id)
            if exp.error is not None:
                raise CorruptFileError(path, exp.error)
            data = files.read_experiment_doc(self.layout.experiment_dir(exp.id))
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
            files.write_experiment_doc(self.layout.experiment_dir(exp.id), data)
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
        remote: str | None = None,
        push_interval: float | None = None,
        resume: str | None = None,
        run_key: str | None = None,
        system_metrics: bool | None = None,
        system_metrics_interval: float | None = None,
    ) -> Run:
        """Start a new run in ``experiment`` (created on first use), or resume ``run_id``.

        ``resume="auto"``: resume the experiment's run with the same ``run_key`` (default: the
        scheduler's job id, see :mod:`tracker_core.resume`), or start it; SIGUSR1 then flushes at once.
        ``system_metrics`` / ``system_metrics_interval``: see :mod:`tracker_core.system_metrics`
        (top-level runs only). A top-level run records what reproduces it (:mod:`tracker_core.reproduce`).

        ``remote`` (or the ``remote`` config key), e.g. ``s3://bucket/prefix``: push the run there every
        ``push_interval`` seconds (config ``push_interval``, default 30) and when it ends, in the background.

        Every argument is checked before anything is created: a bad one raises a
        :class:`ValidationError` (a param that contradicts a resumed run's a :class:`ConflictError`)
        and leaves no run, experiment or file behind.
        """
        flush_interval = flush_interval_arg(flush_interval)
        push_to = None
        if remote is not None or push_interval is not None or self._remote_configured():
            from .remote.pusher import push_settings

            push_to = push_settings(remote, push_interval)  # checked before any run exists
        from . import resume as requeue
        from . import system_metrics as sampling

        mode = requeue.check_resume(resume, run_key, run_id)
        sample_every = sampling.resolve(system_metrics, system_metrics_interval)
        staged_tags = staged_values({} if tags is None else tags, "tag")
        staged_params = staged_values({} if params is None else params, "param")
        key = (run_key or requeue.run_key_from_env()) if mode == "auto" else None
        if key is not None:
            self.ensure_created()
            with self.lock():  # two ranks with one key find or make the same run
                run_id = self._run_with_key(experiment, key)
                if run_id is None:
                    new = self.start_run(experiment, name, parent_id=parent_id, tags={**staged_tags, "run_key": key},
                                         params=params, flush_interval=flush_interval, remote=remote,
                                         push_interval=push_interval, system_metrics=sample_every is not None,
                                         system_metrics_interval=sample_every)  # fmt: skip
                    new.save()  # the key on disk before the lock is let go: a restart finds it
                    return self._started(new, mode)
        if run_id is not None:
            current = self.get_run(run_id)
            for key, value in staged_params.items():
                if key in current.params and not same_value(current.params[key], value):
                    raise ConflictError(
                        f"param {key!r} of run {current.id[:8]} is {current.params[key]!r}; cannot resume it "
                        f"with {value!r} (params are immutable)"
                    )
            run = self._resume(current.id, flush_interval)
        else:
            exp_name = validate_name(DEFAULT_EXPERIMENT if experiment is None else experiment, "experiment name")
            if name is not None:
                name = validate_name(name, "run name")
            if parent_id is not None:
                parent_id = self._locate(parent_id)[1]
            run = self._create_run(exp_name, name, parent_id, flush_interval)
        if staged_tags:
            run.set_tags(staged_tags)
        if staged_params:
            run.log_params(staged_params)
        if push_to is not None:
            from .remote.pusher import start_pusher

            start_pusher(run, *push_to)
        if run.parent_id is None:
            if sample_every is not None:
                sampling.start(run, sample_every)
            if run_id is None:
                from . import reproduce

                reproduce.start_capture(run)
        return self._started(run, mode)

    @staticmethod
    def _started(run: Run, mode: str) -> Run:
        if mode == "auto":
            lifecycle.install_flush_signal()
        return run

    def _run_with_key(self, experiment: str | None, key: str) -> str | None:
        """The newest run of ``experiment`` tagged with run key ``key``, or None."""
        from .resume import RUN_KEY_TAG

        if not self.layout.marker.is_file():
            return None
        try:
            runs = self.list_runs(DEFAULT_EXPERIMENT if experiment is None else experiment)
        except NotFoundError:
            return None
        for run in runs:  # newest first
            if run.tags.get(RUN_KEY_TAG) == key and run.status != "unreadable":
                return run.id
        return None

    @staticmethod
    def _remote_configured() -> bool:
        from .config import load_settings

        return bool(load_settings().get("remote"))

    def _create_run(self, experiment: str, name: str | None, parent_id: str | None, flush_interval: float) -> Run:
        from . import environment

        exp = self.get_or_create_experiment(experiment)
        self._clean_once()
        run_id = new_id()
        if name is None:
            name = f"run-{run_id[:8]}"
        name = validate_name(name, "run name")
        tmp = self.layout.new_run_dir(exp.id, run_id)
        try:
            tmp.mkdir()
        except OSError as exc:
            raise fs_error(exc, tmp, "create run folder") from None
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
        run_dir = Path(self.layout.run_dir(exp.id, run_id))
        try:
            files.write_run_doc(tmp, data, fsync=False)
            Path(paths.heartbeat_file(tmp)).touch()
            writer_lock = WriterLock(tmp)
            writer_lock.try_acquire()  # a fresh file: always free; the lock follows the inode on rename
            os.rename(tmp, run_dir)
        except BaseException as exc:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)  # never leave half a run behind
            if isinstance(exc, OSError):
                raise fs_error(exc, tmp, "create run folder") from None
            raise
        self._run_exp[run_id] = exp.id
        data["metrics"] = {}
        return Run(self, run_dir, data, flush_interval=flush_interval, writer_lock=writer_lock)

    def _resume(self, run_id: str, flush_interval: float) -> Run:
        from . import environment

        exp_id, run_id = self._locate(run_id)
        run_dir = Path(self.layout.run_dir(exp_id, run_id))
        writer_lock = WriterLock(run_dir)
        if lifecycle.is_open_here(run_id) or not writer_lock.try_acquire():
            current = self.get_run(run_id)
            raise ConflictError(
                f"run {run_id[:8]} is still running (pid {current.pid} on {current.host}); "
                "a run has one writer at a time: end it there first"
            )
        try:
            data = load_run_file(run_dir, exp_id)
        except CorruptFileError as exc:
            writer_lock.release()
            raise CorruptFileError(exc.path, f"{exc.reason}; run {run_id[:8]} cannot be resumed") from None
        except BaseException:
            writer_lock.release()
            raise
        # Bring the summaries up to date with points a killed writer appended but never summarized.
        path = Path(paths.metrics_file(run_dir))
        size = repair_torn_tail(path)
        offset = data["metrics_offset"]
        if size > offset:
            points, _ = metrics_log.read_points(path, offset)
            metrics_log.summarize(points, data["metrics"])
        data["metrics_offset"] = size
        from .resume import resume_events

        events = resume_events(data, os.getpid(), environment.hostname())
        data.update(
            status=RUNNING,
            end_time=None,
            error=None,
            pid=os.getpid(),
            host=environment.hostname(),
            user=environment.username(),
        )
        data["events"] = [*(data.get("events") or ()), *events]
        data.setdefault("resumed", []).append(time.time())
        run = Run(self, run_dir, data, flush_interval=flush_interval, writer_lock=writer_lock)
        run.heartbeat()
        run.save()
        return run

    # ---------------------------------------------------------------- reading runs
    def _locate(self, run_id: str) -> tuple[str, str]:
        """(experiment id, full run id) for a run id or unique prefix."""
        if not isinstance(run_id, str) or not run_id:
            raise ValidationError("a run id must be a non-empty string")
        self.require()
        layout = self.layout
        exp_id = self._run_exp.get(run_id)
        if exp_id and os.path.isdir(layout.run_dir(exp_id, run_id)):
            return exp_id, run_id
        matches: list[tuple[str, str]] = []
        valid = paths.is_listed(run_id) and "/" not in run_id and os.sep not in run_id
        for exp_id in layout.experiment_ids():
            if valid and os.path.isdir(layout.run_dir(exp_id, run_id)):
                self._run_exp[run_id] = exp_id
                return exp_id, run_id
            matches.extend((exp_id, n) for n in layout.run_ids(exp_id) if n.startswith(run_id))
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
        deleted = os.path.lexists(self.layout.deleted_marker(exp_id, run_id))
        return read_run_summary(self.layout.run_dir(exp_id, run_id), exp_id, deleted, time.time())

    def list_runs(self, experiment: str | None = None, *, include_deleted: bool = False) -> list[RunSummary]:
        """Summaries of an experiment's runs (all experiments when None), newest first.

        Reads one small ``run.json`` per new or changed run and a per-experiment cache of the
        rest, never the metric histories (except the unflushed tail of runs whose writer died).
        Listed summaries carry no ``env``; :meth:`get_run` has it. A run that cannot be read is
        listed as ``unreadable`` with the reason in ``error``.
        """
        from .index import RunIndex

        self.require()
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

    def preview_history(self, run_id: str) -> dict[str, Series] | None:
        """A quick sample of every metric of a run whose history index lags far behind (None: it does not).

        For a view to draw at once while :meth:`follow_history` builds the index (seconds for a history
        of millions of points); see :mod:`tracker_core.history.sampled`."""
        from .history import preview

        return preview(self._metrics_path(run_id))

    def history_index(self, run_id: str) -> HistoryIndex:
        """The run's history index, validated against ``metrics.jsonl`` and brought up to date."""
        from .history import open_index

        return open_index(self._metrics_path(run_id))

    def _metrics_path(self, run_id: str) -> Path:
        exp_id, run_id = self._locate(run_id)
        return Path(paths.metrics_file(self.layout.run_dir(exp_id, run_id)))

    def artifact_root(self, run_id: str) -> Path:
        """The directory holding a run's artifacts (may not exist yet)."""
        exp_id, run_id = self._locate(run_id)
        return paths.artifacts_dir(self.layout.run_dir(exp_id, run_id))

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
        marker = Path(self.layout.deleted_marker(exp_id, run_id))
        with fs_errors(marker, "mark deleted:"):
            marker.parent.mkdir(exist_ok=True)
            marker.touch()

    def restore_run(self, run_id: str) -> None:
        """Undo :meth:`delete_run`."""
        exp_id, run_id = self._locate(run_id)
        try:
            os.unlink(self.layout.deleted_marker(exp_id, run_id))
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise fs_error(exc, self.layout.deleted_marker(exp_id, run_id), "remove") from None

    def purge_run(self, run_id: str) -> None:
        """Remove a soft-deleted run's files for good."""
        exp_id, run_id = self._locate(run_id)
        if not os.path.lexists(self.layout.deleted_marker(exp_id, run_id)):
            raise ConflictError(f"run {run_id[:8]} is not deleted; delete it before purging it")
        if self.get_run(run_id).status == RUNNING:
            raise ConflictError(f"run {run_id[:8]} is still being written; end it before purging it")
        import shutil

        with fs_errors(self.layout.run_dir(exp_id, run_id), "purge"):
            shutil.rmtree(self.layout.run_dir(exp_id, run_id))
            os.unlink(self.layout.deleted_marker(exp_id, run_id))
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
    return read_run_summary_stamped(run_dir, exp_id, deleted, now, with_env=with_env)[0]


def read_run_summary_stamped(
    run_dir: str | os.PathLike[str], exp_id: str, deleted: bool, now: float, *, with_env: bool = True
) -> tuple[RunSummary, codecs.Stamp]:
    """:func:`read_run_summary` and the stamp of the ``run.json`` it read (what a cache of summaries keys on)."""
    run_dir = os.fspath(run_dir)
    run_id = os.path.basename(run_dir)
    reason: str | None = None
    try:
        raw, stamp = files.read_run_bytes_stamped(run_dir)
        summary = codecs.decode_run_bytes(raw, run_id, exp_id, deleted, with_env=with_env)
    except FileNotFoundError:
        reason = f"{RUN_FILE} is missing"
    except CorruptFileError as exc:
        reason = f"{RUN_FILE}: {exc.reason}"
    except OSError as exc:
        reason = f"{RUN_FILE}: {_os_reason(exc)}"
    if reason is not None:  # the stamp of the file as it is now: an unreadable run is read again once it changes
        return _unreadable(run_id, exp_id, deleted, reason), files.run_doc_stamp(run_dir)
    if summary.status == RUNNING:
        data = parse_bytes(raw, RUN_FILE, raw=True)  # it parsed above: its writer's state is wanted now
        try:
            summary.heartbeat = os.stat(paths.heartbeat_file(run_dir)).st_mtime
        except OSError:
            summary.heartbeat = summary.start_time
        crashed = not _writer_is_alive(run_dir, summary, now)
        # Points appended after the last summary (a writer killed between the two writes).
        offset = data.get("metrics_offset", 0)
        path = paths.metrics_file(run_dir)
        try:
            if os.stat(path).st_size > offset:
                points, _ = metrics_log.read_points(Path(path), offset)
                metrics_log.summarize(points, summary.metrics)
        except OSError:
            pass
        if crashed:
            summary.status = CRASHED
            summary.end_time = _crashed_end(data, summary)
    return summary, stamp


def _crashed_end(data: dict[str, Any], summary: RunSummary) -> float | None:
    """When a crashed run ended: the later of its last flush (``last_write``) and its last point.

    Never a file time (heartbeat, mtimes): those change when the store is copied.
    """
    times = [m.timestamp for m in summary.metrics.values()]
    last_write = data.get("last_write")
    if isinstance(last_write, (int, float)) and not isinstance(last_write, bool):
        times.append(float(last_write))
    return max(times, default=summary.start_time)


def _os_reason(exc: OSError) -> str:
    """An OS error as a reason for an unreadable item (without the path, which the caller names)."""
    import errno

    name = errno.errorcode.get(exc.errno or 0, "error")
    return f"cannot be read ({exc.strerror or exc} [{name}])"
