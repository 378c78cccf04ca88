"""Merge one tui-track store into another: locally, or with a remote side reached by rsync over SSH.

Runs are unique by id, so merging never conflicts: a run missing from the destination is copied,
a run whose files changed since the last sync (it was still being written) is copied again, and
an unchanged run is skipped after comparing sizes and modification times (like rsync's quick
check; copies keep the source's times). Each run is built under a dot-name and renamed into place,
so a sync killed midway leaves the destination valid and the next sync completes it.

Experiments match by id, then by name (two boxes that each created ``churn`` share one
experiment). Soft-deletions are carried over, never undone. Registries merge model by model
through :meth:`tracker_core.registry.Registry.merge_model` (the registry's journaled change
path): versions are matched by what registered them (time, host, user, sha256); a version the
destination lacks gets the next free number there, with its stage, tags, aliases and history.

A remote SOURCE (``[user@]host:path``) is first mirrored with rsync into ``DEST/.sync-cache/``,
then merged locally; a remote DEST receives SOURCE with rsync into ``DEST.sync-incoming/`` beside it and
runs ``tui-track sync`` there over SSH (tui-track must be installed on that host). The SSH
command can be set with ``TUI_TRACK_RSH`` (for example ``ssh -p 2222``).
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CorruptFileError, StoreError, ValidationError
from .interop import run_files
from .storage import files
from .storage.layout import DELETED_RUNS_DIR, METRICS_FILE, RUN_FILE, RUNS_DIR
from .store import EXPERIMENT_FILE, Store

CACHE_DIR = ".sync-cache"
INCOMING_DIR = ".sync-incoming"
"""Suffix of the directory beside a remote DEST that receives a pushed store before it is merged."""
RSH_ENV = "TUI_TRACK_RSH"
_REMOTE = re.compile(r"^(?P<host>[^/:\s]+):(?P<path>.*)$")
_RSYNC_EXCLUDES = (".lock", ".*.tmp", ".creating-*", ".importing-*", ".syncing-*", ".replaced-*", CACHE_DIR)
_FIRST = (RUN_FILE, METRICS_FILE)  # copy order: a summary never counts points the history lacks


@dataclass
class SyncReport:
    """What a sync did."""

    copied: int = 0
    updated: int = 0
    unchanged: int = 0
    experiments_created: int = 0
    deletions: int = 0
    models_created: int = 0
    versions_added: int = 0
    warnings: list[str] = field(default_factory=list)
    remote_output: str | None = None
    """What ``tui-track sync`` printed on the remote host (a push to ``host:path``); the counts are its."""


def sync(source: str | os.PathLike[str], dest: str | os.PathLike[str]) -> SyncReport:
    """Merge store ``source`` into ``dest`` (created if missing); either may be ``host:path`` or ``s3://bucket/prefix``."""
    if os.fspath(source).startswith("s3://") or os.fspath(dest).startswith("s3://"):
        from .remote.sync import sync_remote  # push to / pull from a bucket: tracker_core/remote

        report: SyncReport = sync_remote(source, dest)
        return report
    src_remote, dst_remote = _remote(source), _remote(dest)
    if src_remote and dst_remote:
        raise ValidationError("sync needs at least one local store; run it on one of the two hosts")
    if src_remote:
        dest_store = Store(dest, create=True)
        cache = dest_store.root / CACHE_DIR / hashlib.sha256(os.fspath(source).encode()).hexdigest()[:16]
        cache.mkdir(parents=True, exist_ok=True)
        _rsync(f"{src_remote[0]}:{src_remote[1].rstrip('/')}/", f"{cache}/")
        return merge_stores(Store(cache, create=False), dest_store)
    if dst_remote:
        local = Store(source, create=False)
        host, path = dst_remote
        incoming = f"{path.rstrip('/')}{INCOMING_DIR}/{hashlib.sha256(str(local.root).encode()).hexdigest()[:16]}"
        _run([*_rsh(), host, "mkdir", "-p", shlex.quote(incoming)])
        _rsync(f"{local.root}/", f"{host}:{incoming}/")
        output = _run([*_rsh(), host, "tui-track", "sync", shlex.quote(incoming), shlex.quote(path)])
        return SyncReport(remote_output=output)
    return merge_stores(Store(source, create=False), Store(dest, create=True))


def _remote(spec: str | os.PathLike[str]) -> tuple[str, str] | None:
    text = os.fspath(spec)
    match = _REMOTE.match(text)
    if match is None or os.path.exists(text):
        return None
    return match["host"], match["path"] or "."


def _rsh() -> list[str]:
    return shlex.split(os.environ.get(RSH_ENV, "ssh"))


def _rsync(source: str, dest: str) -> None:
    if shutil.which("rsync") is None:
        raise StoreError("syncing with a remote store needs rsync on both hosts (apt-get install rsync)")
    excludes = [f"--exclude={pattern}" for pattern in _RSYNC_EXCLUDES]
    _run(["rsync", "-a", "--delete", *excludes, "-e", shlex.join(_rsh()), source, dest])


def _run(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise StoreError(f"{shlex.join(command)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done.stdout


# ------------------------------------------------------------------------------ runs
def merge_stores(src: Store, dst: Store, only: Mapping[str, Collection[str]] | None = None) -> SyncReport:
    """Merge the experiments, runs and registry of ``src`` into ``dst``.

    ``only`` (experiment id -> run ids) limits the merge to those experiments and, of each, those runs
    (a pull that knows what changed); None merges everything. The registry is always merged.
    """
    if src.root.resolve() == dst.root.resolve():
        raise ValidationError(f"cannot sync {src.root} into itself")
    dst.ensure_created()  # a sync writes: the destination may not exist yet
    report = SyncReport()
    exp_dirs = _dirs(src.experiments_dir) if only is None else [src.experiments_dir / e for e in only]
    for exp_dir in exp_dirs:
        try:
            exp = files.read_experiment_doc(exp_dir)
        except (FileNotFoundError, CorruptFileError):
            continue  # an experiment still being created on the source: taken next time
        target = _target_experiment(dst, exp, exp_dir, report)
        _merge_runs(exp_dir, target, report, None if only is None else only[exp_dir.name])
        _merge_deletions(exp_dir, target, report)
    _merge_registry(src, dst, report)
    return report


def _dirs(parent: Path) -> list[Path]:
    try:
        return [Path(e.path) for e in os.scandir(parent) if not e.name.startswith(".") and e.is_dir()]
    except FileNotFoundError:
        return []


def _target_experiment(dst: Store, exp: dict[str, Any], exp_dir: Path, report: SyncReport) -> Path:
    """The destination directory of a source experiment: same id, else same name, else a new copy."""
    same_id = dst.experiments_dir / exp_dir.name
    if (same_id / EXPERIMENT_FILE).is_file():
        return same_id
    with dst.lock():
        for existing in dst.list_experiments(include_deleted=True, with_counts=False):
            if existing.name == exp["name"]:
                return dst.experiments_dir / existing.id
        tmp = dst.experiments_dir / f".syncing-{exp_dir.name}"
        shutil.rmtree(tmp, ignore_errors=True)
        (tmp / RUNS_DIR).mkdir(parents=True)
        files.write_experiment_doc(tmp, exp)
        os.rename(tmp, same_id)
    report.experiments_created += 1
    return same_id


def _signature(run_dir: Path) -> tuple[tuple[str, int, int], ...] | None:
    """Sizes and modification times of a run's top-level entries (None if the run is missing)."""
    try:
        with os.scandir(run_dir) as entries:
            found = []
            for e in entries:
                if e.name.startswith("."):
                    continue
                st = e.stat(follow_symlinks=False)
                found.append((e.name, st.st_size if e.is_file() else 0, st.st_mtime_ns))
    except FileNotFoundError:
        return None
    return tuple(sorted(found))


def _merge_runs(src_exp: Path, dst_exp: Path, report: SyncReport, only: Collection[str] | None = None) -> None:
    src_runs, dst_runs = src_exp / RUNS_DIR, dst_exp / RUNS_DIR
    dst_runs.mkdir(exist_ok=True)
    run_files.clean_leftovers(dst_runs)
    renamed = src_exp.name != dst_exp.name  # same experiment name, different ids on the two stores
    for run_dir in _dirs(src_runs) if only is None else [src_runs / r for r in only]:
        target = dst_runs / run_dir.name
        have = _signature(target)
        want = _signature(run_dir)
        if want is None or have == want:
            report.unchanged += 1
            continue
        staged = run_files.staging_dir(dst_runs, ".syncing-", run_dir.name)
        try:
            _copy_run(run_dir, staged, target if have is not None else None)
            if renamed:
                _retarget(staged / RUN_FILE, src_exp.name, dst_exp.name)
            run_files.install(staged, target)
        except FileNotFoundError:
            shutil.rmtree(staged, ignore_errors=True)  # the source run vanished (purged) meanwhile
            continue
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise
        if have is None:
            report.copied += 1
        else:
            report.updated += 1


def _copy_file(source: Path, target: Path) -> None:
    """Copy bytes and give the copy the times of exactly the version read (not of a newer one)."""
    with open(source, "rb") as src, open(target, "wb") as dst:
        st = os.fstat(src.fileno())
        shutil.copyfileobj(src, dst, 1 << 20)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))


def _copy_run(run_dir: Path, staged: Path, previous: Path | None) -> None:
    names = [e.name for e in os.scandir(run_dir) if not e.name.startswith(".")]
    order = [n for n in _FIRST if n in names] + sorted(n for n in names if n not in _FIRST)
    for name in order:
        source = run_dir / name
        if source.is_dir():
            _copy_tree(source, staged / name, previous / name if previous else None)
        elif source.is_file():
            _copy_file(source, staged / name)


def _copy_tree(source: Path, target: Path, previous: Path | None) -> None:
    """Copy a directory; files unchanged since the previous copy are hard-linked from it, not copied."""
    target.mkdir(exist_ok=True)
    dir_times: list[tuple[Path, os.stat_result]] = []
    for dirpath, dirnames, filenames in os.walk(source):
        rel = os.path.relpath(dirpath, source)
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        out = target / rel
        out.mkdir(parents=True, exist_ok=True)
        for name in filenames:
            if name.startswith(".") and name.endswith(".tmp"):
                continue  # an artifact being written right now
            src_file = Path(dirpath) / name
            if src_file.is_symlink():
                continue
            if previous is not None and _link_unchanged(src_file, previous / rel / name, out / name):
                continue
            _copy_file(src_file, out / name)
        dir_times.append((out, os.stat(dirpath)))
    for out, st in reversed(dir_times):  # children first: creating them changed their parent's time
        os.utime(out, ns=(st.st_atime_ns, st.st_mtime_ns))


def _link_unchanged(source: Path, old: Path, new: Path) -> bool:
    try:
        a, b = os.stat(source), os.stat(old)
        if a.st_size != b.st_size or a.st_mtime_ns != b.st_mtime_ns:
            return False
        os.link(old, new)
    except OSError:
        return False
    return True


def _retarget(run_file: Path, old_id: str, new_id: str) -> None:
    """Point a copied run at the experiment it lands in, keeping the file's size and time."""
    st = os.stat(run_file)
    data = run_file.read_bytes()
    old, new = f'"experiment_id": "{old_id}"'.encode(), f'"experiment_id": "{new_id}"'.encode()
    if old in data and len(old) == len(new):
        run_file.write_bytes(data.replace(old, new, 1))
    else:
        record = files.read_run_doc(run_file.parent)
        record["experiment_id"] = new_id
        files.write_run_doc(run_file.parent, record)
    os.utime(run_file, ns=(st.st_atime_ns, st.st_mtime_ns))


def _merge_deletions(src_exp: Path, dst_exp: Path, report: SyncReport) -> None:
    try:
        deleted = [n for n in os.listdir(src_exp / DELETED_RUNS_DIR) if not n.startswith(".")]
    except FileNotFoundError:
        return
    markers = dst_exp / DELETED_RUNS_DIR
    for run_id in deleted:
        if not (markers / run_id).exists() and (dst_exp / RUNS_DIR / run_id).is_dir():
            markers.mkdir(exist_ok=True)
            (markers / run_id).touch()
            report.deletions += 1


# -------------------------------------------------------------------------- registry
def _merge_registry(src: Store, dst: Store, report: SyncReport) -> None:
    """Merge every model through the registry's journaled change path (sync writes no registry file itself)."""
    from .registry import Registry

    source, dest = Registry(src), Registry(dst)
    for model_dir in _dirs(source.models_dir):
        try:
            result = dest.merge_model(source, model_dir.name)
        except ValidationError as exc:  # a folder whose name is no model name
            report.warnings.append(f"registry folder {model_dir} skipped: {exc}")
            continue
        except CorruptFileError as exc:  # the destination's copy of the model is damaged
            report.warnings.append(f"model {model_dir.name!r} not merged: {exc}")
            continue
        report.models_created += int(result.created and (result.versions_added > 0 or result.entries_added > 0))
        report.versions_added += result.versions_added
        report.warnings.extend(result.warnings)
