"""Where everything lives in a store (format v1): the one module that knows its paths.

::

    tui-track-store.json            marker: format name and version
    .lock                           fcntl lock for shared state (experiment creation, renames)
    experiments/<experiment_id>/
        experiment.json             id, name, created, tags, deleted
        .summaries.jsonl            summary cache of ended runs (derived; rebuilt when damaged)
        deleted-runs/<run_id>       empty marker files: soft-deleted runs
        runs/<run_id>/
            run.json                params, tags, status, times, env, metric summaries,
                                    last_write (time of the writer's last flush)
            metrics.jsonl           append-only metric history (source of truth)
            .history/               per-key binary columns of metrics.jsonl (derived; tracker_core.history)
            heartbeat               mtime = last sign of life of the writing process
            .writer.lock            held (fcntl) by the run's writer for the run's life
            artifacts/              logged files and models
    registry/                       the model registry (see tracker_core.registry)

A folder is created under a ``.creating-<id>`` name and renamed into place once complete, so
readers never see half an experiment or run; names starting with ``.`` are never listed.
Ids are random uuid4 hex strings. Paths are built here only; hot listing paths use ``str``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

MARKER_FILE = "tui-track-store.json"
LOCK_FILE = ".lock"
EXPERIMENTS_DIR = "experiments"
REGISTRY_DIR = "registry"
EXPERIMENT_FILE = "experiment.json"
SUMMARY_CACHE_FILE = ".summaries.jsonl"
RUNS_DIR = "runs"
DELETED_RUNS_DIR = "deleted-runs"
RUN_FILE = "run.json"
METRICS_FILE = "metrics.jsonl"
HEARTBEAT_FILE = "heartbeat"
WRITER_LOCK_FILE = ".writer.lock"
ARTIFACTS_DIR = "artifacts"
CREATING_PREFIX = ".creating-"
LEFTOVER_AGE = 3600.0
"""Seconds after which a ``.creating-*`` folder is a leftover of a killed creation, not one in progress."""


def is_listed(name: str) -> bool:
    """Whether a directory entry names an experiment or run (hidden and temporary names are not)."""
    return bool(name) and not name.startswith(".")


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is the temp file of an atomic write (``.<8 hex>.tmp``, made by ``jsonio.temp_name``)."""
    return len(name) == 13 and name[0] == "." and name.endswith(".tmp") and not name[1:9].strip("0123456789abcdef")


def is_id(text: str) -> bool:
    """Whether ``text`` is an id this store issues (32 lowercase hex digits)."""
    return len(text) == 32 and not text.strip("0123456789abcdef")


def run_file(run_dir: str | os.PathLike[str]) -> str:
    """``run.json`` of a run directory."""
    return f"{os.fspath(run_dir)}/{RUN_FILE}"  # not os.path.join: listings call this 100,000 times


def metrics_file(run_dir: str | os.PathLike[str]) -> str:
    """``metrics.jsonl`` of a run directory."""
    return os.path.join(run_dir, METRICS_FILE)


def heartbeat_file(run_dir: str | os.PathLike[str]) -> str:
    """The heartbeat file of a run directory."""
    return os.path.join(run_dir, HEARTBEAT_FILE)


def writer_lock_file(run_dir: str | os.PathLike[str]) -> str:
    """The writer lock of a run directory."""
    return os.path.join(run_dir, WRITER_LOCK_FILE)


def artifacts_dir(run_dir: str | os.PathLike[str]) -> Path:
    """The artifacts folder of a run directory (may not exist)."""
    return Path(run_dir) / ARTIFACTS_DIR


def creating_dir(parent: str | os.PathLike[str], item_id: str) -> Path:
    """The temporary name under which an experiment or run folder is assembled."""
    return Path(parent) / f"{CREATING_PREFIX}{item_id}"


def list_names(directory: str | os.PathLike[str]) -> list[str]:
    """Listed entry names of a directory (none when it is missing)."""
    try:
        return [n for n in os.listdir(directory) if is_listed(n)]
    except (FileNotFoundError, NotADirectoryError):
        return []


class Layout:
    """The paths of one store rooted at ``root``."""

    __slots__ = ("_experiments", "experiments_dir", "root")

    def __init__(self, root: Path) -> None:
        self.root = root
        self.experiments_dir = root / EXPERIMENTS_DIR
        self._experiments = os.fspath(self.experiments_dir)

    @property
    def marker(self) -> Path:
        return self.root / MARKER_FILE

    @property
    def lock_file(self) -> Path:
        return self.root / LOCK_FILE

    @property
    def registry_dir(self) -> Path:
        return self.root / REGISTRY_DIR

    # ------------------------------------------------------------ experiments
    def experiment_dir(self, exp_id: str) -> str:
        return os.path.join(self._experiments, exp_id)

    def experiment_file(self, exp_id: str) -> str:
        return os.path.join(self._experiments, exp_id, EXPERIMENT_FILE)

    def summary_cache(self, exp_id: str) -> str:
        return os.path.join(self._experiments, exp_id, SUMMARY_CACHE_FILE)

    def runs_dir(self, exp_id: str) -> str:
        return os.path.join(self._experiments, exp_id, RUNS_DIR)

    def deleted_runs_dir(self, exp_id: str) -> str:
        return os.path.join(self._experiments, exp_id, DELETED_RUNS_DIR)

    def deleted_marker(self, exp_id: str, run_id: str) -> str:
        return os.path.join(self._experiments, exp_id, DELETED_RUNS_DIR, run_id)

    def new_experiment_dir(self, exp_id: str) -> Path:
        """Where a new experiment is assembled before it is renamed to :meth:`experiment_dir`."""
        return creating_dir(self.experiments_dir, exp_id)

    # ------------------------------------------------------------ runs
    def run_dir(self, exp_id: str, run_id: str) -> str:
        return os.path.join(self._experiments, exp_id, RUNS_DIR, run_id)

    def new_run_dir(self, exp_id: str, run_id: str) -> Path:
        """Where a new run is assembled before it is renamed to :meth:`run_dir`."""
        return creating_dir(self.runs_dir(exp_id), run_id)

    # ------------------------------------------------------------ listings
    def experiment_ids(self) -> list[str]:
        """Ids of the experiment folders (in directory order; none when the store has none)."""
        try:
            with os.scandir(self._experiments) as entries:
                return [e.name for e in entries if is_listed(e.name) and e.is_dir()]
        except (FileNotFoundError, NotADirectoryError):
            return []

    def run_ids(self, exp_id: str) -> list[str]:
        """Ids of an experiment's run folders, deleted ones included (directory order)."""
        return list_names(self.runs_dir(exp_id))

    def deleted_run_ids(self, exp_id: str) -> set[str]:
        """Ids of an experiment's soft-deleted runs."""
        return set(list_names(self.deleted_runs_dir(exp_id)))

    def leftovers(self, *, older_than: float = LEFTOVER_AGE) -> list[Path]:
        """``.creating-*`` folders of killed creations not touched for ``older_than`` seconds."""
        found: list[Path] = []
        cutoff = time.time() - older_than
        parents = [self._experiments] + [self.runs_dir(e) for e in self.experiment_ids()]
        for parent in parents:
            try:
                with os.scandir(parent) as entries:
                    for entry in entries:
                        if (
                            entry.name.startswith(CREATING_PREFIX)
                            and entry.stat(follow_symlinks=False).st_mtime < cutoff
                        ):
                            found.append(Path(entry.path))
            except (FileNotFoundError, NotADirectoryError, PermissionError):
                continue
        return found
