"""Merge one tui-track store into another: locally, or with a remote side reached by rsync over SSH.

Runs are unique by id, so merging never conflicts: a run missing from the destination is copied,
a run whose files changed since the last sync (it was still being written) is copied again, and
an unchanged run is skipped after comparing sizes and modification times (like rsync's quick
check; copies keep the source's times). Each run is built under a dot-name and renamed into place,
so a sync killed midway leaves the destination valid and the next sync completes it.

Experiments match by id, then by name (two boxes that each created ``churn`` share one
experiment). Soft-deletions are carried over, never undone. Registries merge model by model:
versions are matched by what registered them (time, host, user, sha256); a version the
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CorruptFileError, StoreError, ValidationError
from .interop import run_files
from .jsonio import read_json, write_json_atomic
from .locking import FileLock
from .store import EXPERIMENT_FILE, Store

CACHE_DIR = ".sync-cache"
INCOMING_DIR = ".sync-incoming"
"""Suffix of the directory beside a remote DEST that receives a pushed store before it is merged."""
RSH_ENV = "TUI_TRACK_RSH"
_REMOTE = re.compile(r"^(?P<host>[^/:\s]+):(?P<path>.*)$")
_RSYNC_EXCLUDES = (".lock", ".*.tmp", ".creating-*", ".importing-*", ".syncing-*", ".replaced-*", CACHE_DIR)
_FIRST = ("run.json", "metrics.jsonl")  # copy order: a summary never counts points the history lacks


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
    """Merge store ``source`` into ``dest`` (created if missing); either may be ``host:path``."""
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
def merge_stores(src: Store, dst: Store) -> SyncReport:
    """Merge the experiments, runs and registry of ``src`` into ``dst``."""
    if src.root.resolve() == dst.root.resolve():
        raise ValidationError(f"cannot sync {src.root} into itself")
    report = SyncReport()
    for exp_dir in _dirs(src.experiments_dir):
        try:
            exp = read_json(exp_dir / EXPERIMENT_FILE)
        except (FileNotFoundError, CorruptFileError):
            continue  # an experiment still being created on the source: taken next time
        target = _target_experiment(dst, exp, exp_dir, report)
        _merge_runs(exp_dir, target, report)
        _merge_deletions(exp_dir, target, report)
    _merge_registry(src.root / "registry" / "models", dst.root / "registry" / "models", report)
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
        (tmp / "runs").mkdir(parents=True)
        write_json_atomic(tmp / EXPERIMENT_FILE, exp)
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


def _merge_runs(src_exp: Path, dst_exp: Path, report: SyncReport) -> None:
    src_runs, dst_runs = src_exp / "runs", dst_exp / "runs"
    dst_runs.mkdir(exist_ok=True)
    run_files.clean_leftovers(dst_runs)
    renamed = src_exp.name != dst_exp.name  # same experiment name, different ids on the two stores
    for run_dir in _dirs(src_runs):
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
                _retarget(staged / "run.json", src_exp.name, dst_exp.name)
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
        record = read_json(run_file)
        record["experiment_id"] = new_id
        write_json_atomic(run_file, record)
    os.utime(run_file, ns=(st.st_atime_ns, st.st_mtime_ns))


def _merge_deletions(src_exp: Path, dst_exp: Path, report: SyncReport) -> None:
    try:
        deleted = [n for n in os.listdir(src_exp / "deleted-runs") if not n.startswith(".")]
    except FileNotFoundError:
        return
    markers = dst_exp / "deleted-runs"
    for run_id in deleted:
        if not (markers / run_id).exists() and (dst_exp / "runs" / run_id).is_dir():
            markers.mkdir(exist_ok=True)
            (markers / run_id).touch()
            report.deletions += 1


# -------------------------------------------------------------------------- registry
def _merge_registry(src_models: Path, dst_models: Path, report: SyncReport) -> None:
    from .registry.codecs import STATE_FORMAT
    from .registry.core import STATE_FILE

    for model_dir in _dirs(src_models):
        try:
            state = read_json(model_dir / STATE_FILE)
        except (FileNotFoundError, CorruptFileError):
            continue
        if isinstance(state, dict) and state.get("format") == STATE_FORMAT:
            _merge_model(model_dir, state, dst_models / model_dir.name, report)


def _version_records(model_dir: Path) -> dict[int, dict[str, Any]]:
    from .registry.core import VERSION_FILE

    records = {}
    for version_dir in _dirs(model_dir / "versions"):
        if version_dir.name.isdigit():
            try:
                records[int(version_dir.name)] = read_json(version_dir / VERSION_FILE)
            except (FileNotFoundError, CorruptFileError):
                continue
    return records


def _identity(record: dict[str, Any]) -> tuple[Any, ...]:
    """What tells a version apart across stores: who registered which file where and when."""
    return (record.get("registered_at"), record.get("host"), record.get("registered_by"), record.get("sha256"))


def _merge_model(src_dir: Path, src_state: dict[str, Any], dst_dir: Path, report: SyncReport) -> None:
    from dataclasses import replace

    from .registry import history as history_log
    from .registry.core import STATE_FILE, VERSION_FILE

    (dst_dir / "versions").mkdir(parents=True, exist_ok=True)
    with FileLock(dst_dir / ".lock"):
        try:
            state = read_json(dst_dir / STATE_FILE)
        except FileNotFoundError:
            state = {**src_state, "versions": {}, "aliases": {}}
            report.models_created += 1
        dst_records = _version_records(dst_dir)
        known = {_identity(r): n for n, r in dst_records.items()}
        numbers = set(dst_records) | {int(n) for n in os.listdir(dst_dir / "versions") if n.isdigit()}
        mapping: dict[int, int] = {}
        for src_n, record in sorted(_version_records(src_dir).items()):
            if _identity(record) in known:
                mapping[src_n] = known[_identity(record)]
                continue
            n = max(numbers, default=0) + 1
            incoming = dst_dir / "versions" / f".incoming-{os.urandom(8).hex()}"
            _copy_tree(src_dir / "versions" / str(src_n), incoming, None)
            write_json_atomic(incoming / VERSION_FILE, {**record, "version": n})
            os.rename(incoming, dst_dir / "versions" / str(n))
            numbers.add(n)
            mapping[src_n] = n
            state["versions"][str(n)] = dict(src_state["versions"].get(str(src_n)) or {"stage": "development"})
            report.versions_added += 1

        def remap(value: Any) -> Any:
            if isinstance(value, str) and value.isdigit() and int(value) in mapping:
                return str(mapping[int(value)])
            return value

        history = history_log.read(dst_dir / history_log.FILENAME)
        seen = {(e.time, e.user, e.host, e.action, e.key, e.version) for e in history}
        new = []
        for e in history_log.read(src_dir / history_log.FILENAME):
            version = mapping.get(e.version, e.version) if e.version is not None else None
            if e.action.startswith("alias"):
                e = replace(e, from_value=remap(e.from_value), to_value=remap(e.to_value))
            e = replace(e, version=version)
            if (e.time, e.user, e.host, e.action, e.key, e.version) not in seen:
                new.append(e)
        for key, value in src_state.get("tags", {}).items():
            state["tags"].setdefault(key, value)
        if not state.get("description"):
            state["description"] = src_state.get("description")
        if new or set(mapping.values()) - set(dst_records):
            new.sort(key=lambda e: e.time)
            new.extend(_settle(state, sorted(history + new, key=lambda e: e.time)))
            write_json_atomic(dst_dir / STATE_FILE, state)
            history_log.append(dst_dir / history_log.FILENAME, new)


def _settle(state: dict[str, Any], history: list[Any]) -> list[Any]:
    """Make the merged state follow the latest recorded change of each stage, deletion and alias.

    If that leaves two versions in production, the one promoted last stays; the others are
    archived and the returned history entries say so.
    """
    import time

    from .environment import hostname, username
    from .registry.records import ARCHIVED, PRODUCTION, HistoryEntry

    versions = state["versions"]
    aliases: dict[str, Any] = state["aliases"]
    promoted_at: dict[str, float] = {}
    for e in history:  # in time order: the last change wins
        v = str(e.version) if e.version is not None else None
        if v is None or v not in versions:
            continue
        if e.action == "stage" and e.to_value:
            versions[v]["stage"] = e.to_value
            if e.to_value == PRODUCTION:
                promoted_at[v] = e.time
        elif e.action in ("delete", "restore"):
            versions[v]["deleted"] = e.action == "delete"
        elif e.action == "alias_set" and e.key:
            aliases[e.key] = int(v)
        elif e.action == "alias_delete" and e.key and aliases.get(e.key) == int(v):
            aliases.pop(e.key)
    in_production = [v for v, s in versions.items() if s.get("stage") == PRODUCTION and not s.get("deleted")]
    entries = []
    if len(in_production) > 1:
        keep = max(in_production, key=lambda v: (promoted_at.get(v, 0.0), int(v)))
        for v in sorted(in_production, key=int):
            if v != keep:
                versions[v]["stage"] = ARCHIVED
                entries.append(
                    HistoryEntry(
                        time=time.time(),
                        user=username(),
                        host=hostname(),
                        action="stage",
                        version=int(v),
                        from_value=PRODUCTION,
                        to_value=ARCHIVED,
                        reason=f"sync: v{keep} was promoted to production later",
                    )
                )
    return entries
