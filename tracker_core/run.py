"""A run being written: buffered metric logging, params, tags, artifacts and its ending.

Durability bound: metric points, params and tags are buffered in memory and written at most
``flush_interval`` seconds later (1 s by default) by a background thread, and at once by
:meth:`Run.flush`, :meth:`Run.end`, the end of a ``with`` block, SIGTERM and interpreter exit.
A ``kill -9`` therefore loses at most the last ``flush_interval`` seconds of logging and
never anything already written; files are appended or replaced atomically, so never torn.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import lifecycle, metrics_log
from .errors import ConflictError, RunStateError, TrackerError, ValidationError, fs_error
from .jsonio import (
    dumps_bytes,
    remove_path,
    temp_name,
    write_new_file,
)
from .locking import WriterLock
from .records import END_STATUSES, FAILED, FINISHED, KILLED, MetricSummary, RunSummary
from .storage import codecs, files
from .storage.append import Appender
from .storage.codecs import run_record as run_record  # re-exported: imports and merges build run.json with it
from .storage.codecs import summaries_from_json as summaries_from_json
from .storage.codecs import summaries_to_json as summaries_to_json
from .storage.layout import ARTIFACTS_DIR, HEARTBEAT_FILE
from .validation import (
    STEP_LIMIT,
    artifact_relpath,
    check_text,
    json_value,
    mapping_arg,
    metric_step,
    metric_timestamp,
    metric_value,
    safe_join,
    same_value,
    shown,
    staged_values,
    validate_key,
)

if TYPE_CHECKING:
    from .store import Store
    from .system_metrics import Sampler

DEFAULT_FLUSH_INTERVAL = 1.0
MAX_BUFFERED_POINTS = 100_000
CAPTURE_WAIT = 5.0
"""Seconds :meth:`Run.end` waits for the reproduction record of a short run to be written."""


class Run:
    """The writer of one run. Obtain it from :meth:`Store.start_run` or ``tracker_core.start_run``.

    Only the process that started (or resumed) a run writes to it. Use it as a context
    manager: the block's outcome becomes the run's status (finished, failed on an exception,
    killed on KeyboardInterrupt).
    """

    def __init__(
        self, store: Store, run_dir: Path, data: dict[str, Any], *, flush_interval: float, writer_lock: WriterLock
    ) -> None:
        self.store = store
        self.dir = run_dir
        self._data = data
        self.flush_interval = flush_interval
        self._buffer: list[tuple[str, float, int, float]] = []
        self._buffer_lock = threading.Lock()
        self._io_lock = threading.RLock()
        self._metrics: dict[str, MetricSummary] = data["metrics"]
        self._next_step: dict[str, int] = {k: s.step + 1 for k, s in self._metrics.items()}
        self._offset: int = data.get("metrics_offset", 0)
        self._dirty = False
        self._ended = False
        self._appender: Appender | None = None
        self._known_keys: set[str] = set(self._metrics)
        self._writer_lock = writer_lock
        self._owner_pid = os.getpid()
        self._foreign = False
        self._last_flush = self._last_beat = time.monotonic()
        self._sampler: Sampler | None = None
        """The system-metrics thread (tracker_core/system_metrics.py), stopped by :meth:`end`."""
        self._capture: threading.Thread | None = None
        """The reproduction record being written (tracker_core/reproduce.py), awaited by :meth:`end`."""
        lifecycle.register(self)

    # ----------------------------------------------------------------- identity
    @property
    def id(self) -> str:
        return str(self._data["id"])

    @property
    def name(self) -> str:
        return str(self._data["name"])

    @property
    def experiment_id(self) -> str:
        return str(self._data["experiment_id"])

    @property
    def parent_id(self) -> str | None:
        return self._data.get("parent_id")

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def artifact_dir(self) -> Path:
        return self.dir / ARTIFACTS_DIR

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._data["params"])

    @property
    def tags(self) -> dict[str, Any]:
        return dict(self._data["tags"])

    def summary(self) -> RunSummary:
        """The run as a reader would list it, including what is still buffered."""
        self.flush()
        return self.store.get_run(self.id)

    def __repr__(self) -> str:
        return f"<Run {self.id[:8]} {self.name!r} {'ended' if self._ended else 'running'}>"

    # ------------------------------------------------------------------ logging
    def _check_open(self) -> bool:
        """True when the run takes logging; False to drop it quietly (SIGTERM is ending it)."""
        if not self._ended:
            return True
        if self._foreign:
            raise RunStateError(
                f"run {self.id[:8]} belongs to process {self._owner_pid}, which forked this one; "
                "start a run here (tracker_core.start_run(nested=True) for a child run)"
            )
        if lifecycle.terminating():
            return False
        raise RunStateError(f"run {self.id} has ended; resume it with start_run(run_id=...) to log more")

    def disown(self) -> None:
        """In a forked child: this run is the parent's; never write it from here."""
        self._foreign = True
        self._ended = True
        self._buffer = []
        if self._appender is not None:
            self._appender.close()
        self._appender = None
        self._writer_lock.release()  # the child's copy only: POSIX locks stay with the parent

    def log_param(self, key: str, value: Any) -> None:
        """Record a param; JSON types are kept. Re-logging a different value is an error."""
        self.log_params({key: value})

    def log_params(self, params: dict[str, Any]) -> None:
        """Record several params at once (all checked before any is recorded)."""
        if not self._check_open():
            return
        staged = staged_values(params, "param")
        with self._buffer_lock:
            current = self._data["params"]
            for key, value in staged.items():
                if key in current and not same_value(current[key], value):
                    raise ConflictError(
                        f"param {key!r} was already logged as {current[key]!r} in run {self.id[:8]}; "
                        f"cannot change it to {value!r} (params are immutable; use a tag or a new run)"
                    )
            current.update(staged)
            self._dirty = True

    def set_tag(self, key: str, value: Any) -> None:
        """Set a tag (tags may change over the run's life)."""
        self.set_tags({key: value})

    def set_tags(self, tags: dict[str, Any]) -> None:
        """Set several tags at once."""
        if not self._check_open():
            return
        staged = staged_values(tags, "tag")
        with self._buffer_lock:
            self._data["tags"].update(staged)
            self._dirty = True

    def log_metric(self, key: str, value: float, step: int | None = None, timestamp: float | None = None) -> None:
        """Append one point to a metric's history.

        ``step`` defaults to one past the metric's last step (0 for the first point);
        ``timestamp`` (unix seconds) to now. Points reach disk within ``flush_interval``.
        """
        if self._ended and not self._check_open():
            return
        if type(key) is not str or key not in self._known_keys:
            validate_key(key, "metric")
            self._known_keys.add(key)
        v = value if type(value) is float else metric_value(key, value)
        if step is None:
            step = self._next_step.get(key, 0)
        elif type(step) is not int or not -STEP_LIMIT <= step < STEP_LIMIT:
            step = metric_step(key, step)
        ts = time.time() if timestamp is None else metric_timestamp(key, timestamp)
        with self._buffer_lock:
            self._buffer.append((key, v, step, ts))
            if step >= self._next_step.get(key, 0):
                self._next_step[key] = step + 1
            full = len(self._buffer) >= MAX_BUFFERED_POINTS
        if full:
            self.flush()

    def log_metrics(self, metrics: dict[str, float], step: int | None = None, timestamp: float | None = None) -> None:
        """Log several metrics at the same step and time."""
        metrics = mapping_arg(metrics, "metrics")
        ts = time.time() if timestamp is None else timestamp
        for key, value in metrics.items():
            self.log_metric(key, value, step=step, timestamp=ts)

    # ---------------------------------------------------------------- artifacts
    def artifact_path_for(self, relpath: str) -> Path:
        """The path where artifact ``relpath`` of this run lives (parents created, checked)."""
        return self._artifact_target(artifact_relpath(relpath), [])

    def _artifact_target(self, relpath: str, created: list[Path]) -> Path:
        """The checked path of artifact ``relpath``; folders it makes are added to ``created``."""
        if self._ended:
            self._check_open()
            raise RunStateError(f"run {self.id[:8]} is ending; artifacts can no longer be added")
        target = safe_join(self.artifact_dir, relpath)
        folder = self.artifact_dir
        for part in relpath.split("/")[:-1]:
            folder = folder / part
            if folder.exists() and not folder.is_dir():
                raise ValidationError(
                    f"artifact path {relpath!r}: {folder.relative_to(self.artifact_dir)} is already a file "
                    f"in run {self.id[:8]}'s artifacts, not a folder"
                )
        missing = [p for p in (self.artifact_dir, *target.parents) if not p.exists()]
        target.parent.mkdir(parents=True, exist_ok=True)
        created.extend(sorted((p for p in missing if p.is_dir()), key=lambda p: len(p.parts)))
        safe_join(self.artifact_dir, relpath)  # re-check now that parents exist
        return target

    def _write_artifact(self, relpath: str, write: Callable[[Path, Path], None], *, directory: bool = False) -> str:
        """Write artifact ``relpath`` through a short temp name beside it, then rename it into place.

        ``write(tmp, target)`` produces the temp file (or folder). On any failure the temp file and
        the folders made for it are removed and the error becomes a :class:`TrackerError`.
        """
        created: list[Path] = []
        tmp: Path | None = None
        try:
            target = self._artifact_target(relpath, created)
            if target.is_dir() and not target.is_symlink() and not directory:
                raise ValidationError(
                    f"artifact {relpath!r} of run {self.id[:8]} is already a folder; choose another artifact path"
                )
            if target.exists() and directory and not target.is_dir():
                raise ValidationError(
                    f"artifact {relpath!r} of run {self.id[:8]} is already a file; choose another artifact path"
                )
            tmp = target.with_name(temp_name())
            write(tmp, target)
            if directory and target.exists():
                import shutil

                shutil.rmtree(target)
            os.replace(tmp, target)
            tmp = None
            return relpath
        except BaseException as exc:
            if tmp is not None:
                remove_path(tmp)
            for folder in reversed(created):
                _rmdir_quietly(folder)
            if isinstance(exc, OSError) and not isinstance(exc, TrackerError):
                raise fs_error(exc, self.artifact_dir / relpath, "write artifact") from exc
            raise

    def log_artifact(self, local_path: str | os.PathLike[str], artifact_path: str | None = None) -> str:
        """Copy a file or a directory into the run's artifacts; return its artifact path.

        ``artifact_path`` is a sub-directory of the artifacts to copy into (default: the root).
        A symlink is stored under its own name with the content it points to; symlinks inside a
        copied directory are copied as the files they point to. Only regular files and folders
        can be logged (not sockets, pipes or devices).
        """
        import shutil
        import stat

        if not isinstance(local_path, (str, os.PathLike)) or isinstance(local_path, bytes):
            raise ValidationError(
                f"local_path must be a path (str or os.PathLike), got {type(local_path).__name__}: {shown(local_path)}"
            )
        text = os.fspath(local_path)
        if not isinstance(text, str) or not text:
            raise ValidationError(f"local_path must be a non-empty path, got {shown(local_path)}")
        check_text(text, "local_path")
        if artifact_path is not None:
            artifact_path = artifact_relpath(artifact_path)
        source = Path(text)
        try:
            mode = source.stat().st_mode
        except FileNotFoundError:
            raise ValidationError(f"cannot log artifact {text!r}: no such file or directory") from None
        except OSError as exc:
            raise fs_error(exc, source, "read") from exc
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise ValidationError(
                f"cannot log artifact {text!r}: only regular files and folders can be logged, "
                "not a pipe, socket or device"
            )
        name = Path(os.path.abspath(text)).name  # the link's own name; "." and ".." name their folder
        if not name:
            raise ValidationError(f"cannot log artifact {text!r}: the file system root has no name; log a folder in it")
        rel = artifact_relpath(f"{artifact_path}/{name}" if artifact_path else name)

        def copy(tmp: Path, target: Path) -> None:
            try:
                if stat.S_ISDIR(mode):
                    shutil.copytree(source, tmp, symlinks=False, dirs_exist_ok=False)
                else:
                    shutil.copyfile(source, tmp)
            except shutil.Error as exc:  # some files of a folder could not be copied
                problems = (
                    "; ".join(str(e[2]) for e in exc.args[0][:3])
                    if exc.args and isinstance(exc.args[0], list)
                    else str(exc)
                )
                raise ValidationError(f"cannot log artifact {text!r}: {problems}") from None
            except shutil.SpecialFileError as exc:
                raise ValidationError(f"cannot log artifact {text!r}: {exc}") from None

        return self._write_artifact(rel, copy, directory=stat.S_ISDIR(mode))

    def log_text(self, text: str, artifact_file: str) -> str:
        """Write ``text`` (UTF-8) as an artifact file."""
        if not isinstance(text, str):
            raise ValidationError(f"text must be a str, got {type(text).__name__}: {shown(text)}")
        data = check_text(text, "text").encode("utf-8")
        rel = artifact_relpath(artifact_file)
        return self._write_artifact(rel, lambda tmp, _target: write_new_file(tmp, data))

    def log_dict(self, dictionary: Any, artifact_file: str) -> str:
        """Write a JSON-serializable object as a strict JSON artifact file."""
        data = dumps_bytes(json_value(dictionary, "dictionary"), indent=True) + b"\n"
        rel = artifact_relpath(artifact_file)
        return self._write_artifact(rel, lambda tmp, _target: write_new_file(tmp, data))

    def log_model(self, model: Any, name: str = "model") -> dict[str, Any]:
        """Save ``model`` with joblib under ``artifacts/<name>/`` with a JSON sidecar; return it.

        A model joblib cannot pickle raises :class:`ValidationError` and leaves nothing behind.
        """
        from . import model_io

        rel = artifact_relpath(name)
        created: list[Path] = []
        try:
            target = self._artifact_target(rel, created)
            if target.exists() and not target.is_dir():
                raise ValidationError(f"artifact {rel!r} of run {self.id[:8]} is already a file; choose another name")
            if not target.exists():
                created.append(target)
            sidecar = model_io.save(model, target)
        except BaseException as exc:
            for folder in reversed(created):
                remove_path(folder) if folder == target else _rmdir_quietly(folder)
            if isinstance(exc, OSError) and not isinstance(exc, TrackerError):
                raise fs_error(exc, target, "write model") from exc
            raise
        models = self._data.setdefault("models", [])
        with self._buffer_lock:
            if rel not in models:
                models.append(rel)
            self._dirty = True
        return sidecar

    # --------------------------------------------------------- flushing, ending
    def flush(self) -> None:
        """Write buffered points (appended) and changed params/tags/summaries (replaced).

        On a write error (a full disk) nothing is lost: a partly appended batch is cut back,
        the points return to the buffer, and the next flush tries again.
        """
        with self._io_lock:
            with self._buffer_lock:
                points, self._buffer = self._buffer, []
                dirty, self._dirty = self._dirty, False
                snapshot = {
                    **self._data,
                    "params": dict(self._data["params"]),
                    "tags": dict(self._data["tags"]),
                    "models": list(self._data.get("models", ())),
                }
            appended = False
            try:
                if points:
                    self._append(metrics_log.format_points(points))
                    appended = True
                    summaries = self._metrics
                    for key, value, step, ts in points:
                        s = summaries.get(key)
                        if s is None:
                            summaries[key] = MetricSummary.first(value, step, ts)
                        else:
                            s.add(value, step, ts)
                if points or dirty:
                    self._write_run_file(snapshot)
            except BaseException as exc:
                with self._buffer_lock:
                    if not appended:
                        self._buffer[:0] = points
                    self._dirty = True
                if isinstance(exc, OSError) and not isinstance(exc, TrackerError):
                    raise fs_error(exc, self.dir, f"write run {self.id[:8]} in") from exc
                raise

    def _append(self, data: bytes) -> None:
        if self._appender is None:
            self._appender = Appender(self.dir / metrics_log.FILENAME, offset=self._offset)
        self._offset = self._appender.append(data)

    def _write_run_file(self, data: dict[str, Any]) -> None:
        data["last_write"] = time.time()  # a crashed run's end: the last flush it made
        files.write_run_doc(self.dir, codecs.encode_run(data, self._metrics, self._offset))

    def save(self) -> None:
        """Write ``run.json`` now, even when nothing changed since the last flush."""
        with self._buffer_lock:
            self._dirty = True
        self.flush()

    def heartbeat(self) -> None:
        """Mark the run alive (readers call a run crashed when this stops)."""
        try:
            os.utime(self.dir / HEARTBEAT_FILE)
        except FileNotFoundError:
            (self.dir / HEARTBEAT_FILE).touch()

    def tick(self, now: float) -> None:
        """Periodic work of the background thread: flush each interval, heartbeat regularly."""
        if self._ended:
            return
        if now - self._last_flush >= self.flush_interval:
            self._last_flush = now
            self.flush()
        if now - self._last_beat >= lifecycle.HEARTBEAT_INTERVAL:
            self._last_beat = now
            self.heartbeat()

    def end(self, status: str = FINISHED, error: str | None = None) -> None:
        """End the run with ``status`` (finished, failed or killed), flushing everything."""
        if self._foreign:
            self._check_open()
        status = status.lower() if isinstance(status, str) else status
        if status not in END_STATUSES:
            raise ValidationError(f"cannot end a run as {shown(status)}; choose one of {', '.join(END_STATUSES)}")
        if self._sampler is not None:
            self._sampler.stop()
        capture = self._capture
        if capture is not None and capture is not threading.current_thread() and not lifecycle.terminating():
            capture.join(CAPTURE_WAIT)  # on SIGTERM the flush comes first
        with self._io_lock:
            if self._ended:
                return
            with self._buffer_lock:
                self._data["status"] = status
                self._data["end_time"] = time.time()
                if error is not None:
                    self._data["error"] = error
                self._dirty = True
            self.flush()
            self._ended = True
            if self._appender is not None:
                self._appender.close()
                self._appender = None
            self._writer_lock.release()
        lifecycle.unregister(self)
        pusher = getattr(self, "_pusher", None)
        if pusher is not None:  # start_run(remote=...): the last push (tracker_core/remote/pusher.py)
            pusher.finish()

    end_run = end

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.end(FINISHED)
        elif issubclass(exc_type, KeyboardInterrupt):
            self.end(KILLED, error="KeyboardInterrupt")
        elif isinstance(exc, SystemExit) and exc.code in (0, None):
            self.end(FINISHED)
        else:
            self.end(FAILED, error=failure_summary(exc_type, exc, tb))


def _rmdir_quietly(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def failure_summary(
    exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None, limit: int = 8
) -> str:
    """The last frames of a traceback and the exception line, as stored on a failed run."""
    import traceback

    return "".join(traceback.format_exception(exc_type, exc, tb, limit=-limit)).strip()


def load_run_file(run_dir: Path, experiment_id: str | None = None) -> dict[str, Any]:
    """Read and check ``run.json`` for a writer, with metric summaries as objects (see :mod:`.storage.codecs`)."""
    exp_id = run_dir.parent.parent.name if experiment_id is None else experiment_id
    return codecs.decode_run_for_writer(files.read_run_doc(run_dir), run_dir.name, exp_id)
