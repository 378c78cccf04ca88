"""Push a store to a remote and pull it back, incrementally (``tui-track sync ./store s3://bucket/prefix``).

The remote holds the store's files under their store-relative paths, plus ``manifest.json``: for each
experiment and run (a *unit*) the size and modification time of every file pushed. A pass compares
the local store with the manifest (push) or the manifest with the one last pulled (pull) and moves
only the units that changed, so its requests grow with what changed, not with the store.

A run's ``metrics.jsonl`` is append-only: a push sends only its new complete lines, as a segment
object ``metrics.jsonl@<offset>``; a pull fetches only the segments (or the part of one, by a ranged
read) past what it has. Running runs therefore sync cheaply, and a teammate can follow them.

Shared state changes only by conditional writes retried on conflict: the manifest (each box adds
its units to the version it read), and each registered model, which is merged with the registry's
own merge (:func:`tracker_core.sync._merge_model`) into a copy of the remote model and written back
object by object (new objects with ``If-None-Match: *``, changed ones with ``If-Match``).
Uploads come before the manifest that names them, so an interrupted push leaves the remote valid and
the rerun completes it. A pull builds a local mirror and merges it into the destination with
:func:`tracker_core.sync.merge_stores` (experiments matched by name, registries by version identity).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..errors import CorruptFileError, RemoteConflictError, RemoteError
from ..jsonio import dumps_bytes, loads, read_json, write_json_atomic
from ..storage.append import complete_end
from ..storage.layout import EXPERIMENTS_DIR, METRICS_FILE, RUN_FILE, RUNS_DIR
from .base import Remote

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
APPENDED = METRICS_FILE
"""Files sent as appended segments rather than whole."""
MODELS = "registry/models"
SAVED = ".remote-manifest.json"
"""In a pull mirror: the manifest as last pulled (what the mirror holds)."""
PENDING = ".merge-pending.json"
"""In a pull mirror: the units pulled that the store it belongs to has not merged yet."""
WORKERS = 16
RETRIES = 50

Signature = list[list[Any]]


def _segment_key(path: str, offset: int) -> str:
    return f"{path}@{offset:012d}"


# --------------------------------------------------------------------------- local scan
def _top(unit_dir: Path) -> Signature | None:
    """Names, sizes and times of a unit's top-level entries: the quick check of whether it changed."""
    try:
        found = []
        with os.scandir(unit_dir) as entries:
            for e in entries:
                if e.name.startswith("."):
                    continue
                st = e.stat(follow_symlinks=False)
                found.append([e.name, st.st_size if e.is_file() else 0, st.st_mtime_ns])
    except FileNotFoundError:
        return None
    return sorted(found)


def experiment_unit(exp_id: str) -> str:
    """The remote unit of an experiment: its folder's path in the store (``experiments/<id>``)."""
    return f"{EXPERIMENTS_DIR}/{exp_id}"


def run_unit(exp_id: str, run_id: str) -> str:
    """The remote unit of a run (``experiments/<id>/runs/<id>``)."""
    return f"{EXPERIMENTS_DIR}/{exp_id}/{RUNS_DIR}/{run_id}"


def unit_ids(unit: str) -> tuple[str, str | None] | None:
    """(experiment id, run id or None) of an experiment's or a run's unit; None for any other key."""
    parts = unit.split("/")
    if len(parts) == 2 and parts[0] == EXPERIMENTS_DIR:
        return parts[1], None
    if len(parts) == 4 and parts[0] == EXPERIMENTS_DIR and parts[2] == RUNS_DIR:
        return parts[1], parts[3]
    return None


def _units(root: Path) -> dict[str, Path]:
    """Every experiment and run of a store, by unit."""
    units: dict[str, Path] = {}
    for exp in _subdirs(root / EXPERIMENTS_DIR):
        units[experiment_unit(exp.name)] = exp
        for run in _subdirs(exp / RUNS_DIR):
            units[run_unit(exp.name, run.name)] = run
    return units


def _subdirs(parent: Path) -> list[Path]:
    try:
        return [Path(e.path) for e in os.scandir(parent) if not e.name.startswith(".") and e.is_dir()]
    except FileNotFoundError:
        return []


def _unit_files(unit: str, unit_dir: Path) -> dict[str, tuple[int, int]]:
    """Relative path -> (size, mtime_ns) of a unit's files (an experiment: its own files and deletion marks)."""
    files: dict[str, tuple[int, int]] = {}
    is_run = f"/{RUNS_DIR}/" in unit
    for dirpath, dirnames, filenames in os.walk(unit_dir):
        rel_dir = os.path.relpath(dirpath, unit_dir)
        if not is_run:
            dirnames[:] = [d for d in dirnames if d == "deleted-runs" and rel_dir == "."]
        else:
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if path.is_symlink():
                continue
            st = path.stat()
            rel = name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/")
            files[rel] = (st.st_size, st.st_mtime_ns)
    return files


# --------------------------------------------------------------------------- manifest
def read_manifest(remote: Remote) -> tuple[dict[str, Any], str | None]:
    """The remote's manifest and its tag (an empty one and None if there is none yet)."""
    blob = remote.read(MANIFEST)
    if blob is None:
        return {"format": MANIFEST_FORMAT, "units": {}}, None
    try:
        manifest = loads(blob.data)
        if not isinstance(manifest, dict) or not isinstance(manifest.get("units"), dict):
            raise ValueError("not a manifest")
    except (ValueError, CorruptFileError) as e:
        raise RemoteError(f"{remote.url}/{MANIFEST} is damaged ({e}); remove it and push again") from None
    if manifest.get("format") != MANIFEST_FORMAT:
        raise RemoteError(f"{remote.url}/{MANIFEST} has format {manifest.get('format')!r}; upgrade tui-track")
    return manifest, blob.etag


def _commit_manifest(remote: Remote, changes: dict[str, Any]) -> None:
    """Add ``changes`` to the remote manifest with a conditional write, re-reading after a lost race."""
    for _ in range(RETRIES):
        manifest, etag = read_manifest(remote)
        manifest["units"].update(changes)
        try:
            remote.write(MANIFEST, dumps_bytes(manifest), expect=etag)
            return
        except RemoteConflictError:
            continue
    raise RemoteError(f"{remote.url}/{MANIFEST} kept changing under {RETRIES} attempts; push again")


# --------------------------------------------------------------------------- push
class PushReport:
    def __init__(self) -> None:
        self.units = 0
        self.uploads = 0
        self.unchanged = 0
        self.models = 0
        self.versions_added = 0
        self.warnings: list[str] = []


def push(root: Path, remote: Remote, *, only: Iterable[str] | None = None, registry: bool = True) -> PushReport:
    """Send what changed in the store at ``root`` (or only the units ``only``, and the registry) to ``remote``."""
    report = PushReport()
    manifest, _ = read_manifest(remote)
    known: dict[str, Any] = manifest["units"]
    units = _units(root)
    if only is not None:
        wanted = set(only)
        units = {u: p for u, p in units.items() if u in wanted}
    todo = []
    for unit, path in units.items():
        top = _top(path)
        if top is None:
            continue
        if known.get(unit, {}).get("top") == top:
            report.unchanged += 1
        else:
            todo.append((unit, path, top))
    changes: dict[str, Any] = {}

    def one(item: tuple[str, Path, Signature]) -> tuple[str, Any, int]:
        unit, path, top = item
        entry, sent = _push_unit(remote, unit, path, known.get(unit))
        entry["top"] = top
        return unit, entry, sent

    for unit, entry, sent in _parallel(one, todo):
        changes[unit] = entry
        report.units += 1
        report.uploads += sent
        if len(changes) >= 2000:  # commit progress now and then: an interrupted first push resumes
            _commit_manifest(remote, changes)
            changes = {}
    if changes:
        _commit_manifest(remote, changes)
    if registry:
        _push_registry(root, remote, report)
    return report


def _parallel(fn: Callable[[Any], Any], items: list[Any]) -> Iterable[Any]:
    if len(items) <= 1:
        return [fn(i) for i in items]
    pool = ThreadPoolExecutor(WORKERS)
    try:
        return list(pool.map(fn, items))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _push_unit(remote: Remote, unit: str, path: Path, old: dict[str, Any] | None) -> tuple[dict[str, Any], int]:
    before: dict[str, Any] = (old or {}).get("files", {})
    files = _unit_files(unit, path)
    entry: dict[str, Any] = {"files": {}}
    sent = 0
    # the history before the summary: a reader never sees a summary counting points it cannot fetch
    order = sorted(files, key=lambda rel: (rel != APPENDED, rel == RUN_FILE, rel))
    for rel in order:
        size, mtime = files[rel]
        prev = before.get(rel)
        if prev is not None and prev[0] == size and prev[1] == mtime:
            entry["files"][rel] = prev
            continue
        key = f"{unit}/{rel}"
        try:
            if rel == APPENDED:
                entry["files"][rel] = _push_appended(remote, key, path / rel, prev, mtime)
            else:
                remote.write(key, (path / rel).read_bytes())
                entry["files"][rel] = [size, mtime]
        except FileNotFoundError:
            continue  # removed meanwhile (an artifact replaced): taken next time
        sent += 1
    return entry, sent


def _push_appended(remote: Remote, key: str, path: Path, prev: list[Any] | None, mtime: int) -> list[Any]:
    """Send the complete lines past what the remote has as a new segment; a shrunk file starts over."""
    with open(path, "rb") as f:
        data = f.read()
    complete = data[: complete_end(data)]  # a torn last line waits for the next push
    start, segments = 0, []
    if prev is not None and len(prev) > 2 and 0 < prev[0] <= len(complete):
        start, segments = prev[0], list(prev[2])
    if len(complete) > start:
        remote.write(_segment_key(key, start), complete[start:])
        segments.append(start)
    return [len(complete), mtime if len(complete) == len(data) else -1, segments]


# --------------------------------------------------------------------------- registry
def _local_models(root: Path) -> dict[str, Path]:
    return {p.name: p for p in _subdirs(root / MODELS)}


def _model_signature(model_dir: Path) -> str:
    parts = []
    for dirpath, dirnames, filenames in os.walk(model_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                st = os.stat(os.path.join(dirpath, name))
                parts.append(f"{os.path.relpath(dirpath, model_dir)}/{name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _pushed_file(root: Path, remote: Remote) -> Path:
    return root / ".sync-cache" / f"pushed-{hashlib.sha256(remote.url.encode()).hexdigest()[:16]}.json"


def _push_registry(root: Path, remote: Remote, report: PushReport) -> None:
    models = _local_models(root)
    if not models:
        return
    record = _pushed_file(root, remote)
    try:
        pushed = read_json(record)
    except (FileNotFoundError, CorruptFileError):
        pushed = {}
    for name, model_dir in sorted(models.items()):
        signature = _model_signature(model_dir)
        if pushed.get(name) == signature:
            continue
        try:
            report.versions_added += merge_model_into_remote(remote, model_dir)
        except CorruptFileError as exc:  # one damaged model does not stop the others (as in a local sync)
            report.warnings.append(f"model {name!r} not pushed: {exc}")
            continue
        report.models += 1
        pushed[name] = signature
        record.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(record, pushed)


def merge_model_into_remote(remote: Remote, model_dir: Path) -> int:
    """Merge one local model into the remote's copy with the registry's merge; conditional writes, retried."""
    from ..registry.codecs import read_state
    from ..registry.core import STATE_FILE

    try:
        read_state(model_dir / STATE_FILE)  # a damaged one raises CorruptFileError, naming the file
    except FileNotFoundError:
        return 0  # a model whose creation has not committed yet: taken next time

    def merge(image: Path) -> int:
        from ..registry import Registry
        from ..store import Store

        source = Registry(Store(model_dir.parents[2], create=False))
        return Registry(Store(image.parents[2], create=False)).merge_model(source, model_dir.name).versions_added

    return int(update_remote_model(remote, model_dir.name, merge))


def update_remote_model(remote: Remote, name: str, change: Callable[[Path], Any]) -> Any:
    """Apply ``change`` to a local copy of the remote model ``name`` and write back what it changed.

    New objects are created with ``If-None-Match: *``, changed ones replaced with ``If-Match``: the
    versions (each number claimed by its create-only writes), then the model's state file (the commit
    point: a conflict there redoes the whole step on a fresh copy), then the lines added to its history.

    Version objects the state does not list are uncommitted: left by an interrupted push, or being
    written by another box. They are hidden from the copy, so a rerun numbers its versions as the
    interrupted push did and finds its own objects already there (same bytes: not sent again); one
    with other bytes is never overwritten: the step is redone with them in view, taking later numbers.
    """
    from ..registry.core import STATE_FILE

    prefix = f"{MODELS}/{name}/"
    state_key = f"{prefix}{STATE_FILE}"
    hide_uncommitted = True
    for _ in range(RETRIES):
        with tempfile.TemporaryDirectory(prefix="tui-track-model-") as tmp:
            from ..store import Store

            Store(Path(tmp) / "store", create=True)  # the registry's own code changes the copy, inside a scratch store
            image = Path(tmp) / "store" / MODELS / name
            image.mkdir(parents=True)
            before = _fetch_model(remote, prefix)
            uncommitted = _uncommitted(before, prefix, state_key)
            for key, (data, _etag) in before.items():
                if hide_uncommitted and key in uncommitted:
                    continue
                target = image / key[len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            result = change(image)
            after = {
                f"{prefix}{p.relative_to(image).as_posix()}": p.read_bytes()
                for p in sorted(image.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(image).parts)
            }
            try:
                for key in sorted(after, key=lambda k: (k.endswith(".jsonl"), k == state_key, k)):
                    old = before.get(key)
                    if old is not None and old[0] == after[key]:
                        continue
                    if key.endswith(".jsonl"):
                        _append_new_lines(remote, key, b"" if old is None else old[0], after[key])
                    elif key in uncommitted:
                        hide_uncommitted = False  # another box's version under this number: never overwritten
                        raise RemoteConflictError(key)
                    else:
                        remote.write(key, after[key], expect=None if old is None else old[1])
            except RemoteConflictError:
                continue
            return result
    raise RemoteError(f"model {name!r} on {remote.url} kept changing under {RETRIES} attempts; try again")


def _fetch_model(remote: Remote, prefix: str) -> dict[str, tuple[bytes, str]]:
    """Every object of one remote model: key -> (bytes, tag)."""
    found: dict[str, tuple[bytes, str]] = {}
    for key in remote.list(prefix):
        blob = remote.read(key)
        if blob is not None:
            found[key] = (blob.data, blob.etag)
    return found


def _uncommitted(objects: dict[str, tuple[bytes, str]], prefix: str, state_key: str) -> set[str]:
    """Keys under ``versions/<n>/`` for a number the model's state does not list."""
    committed: set[str] = set()
    if state_key in objects:
        from ..registry.codecs import decode_state

        try:
            committed = set(decode_state(loads(objects[state_key][0]), Path(state_key))["versions"])
        except (ValueError, CorruptFileError):
            return set()  # a damaged state: the registry's own checks deal with it
    versions = f"{prefix}versions/"
    return {k for k in objects if k.startswith(versions) and k[len(versions) :].split("/", 1)[0] not in committed}


def _append_new_lines(remote: Remote, key: str, before: bytes, after: bytes) -> None:
    """Add to the remote append-only file ``key`` the lines of ``after`` it lacks, retried on conflict.

    Once the state is committed, another box may append to the same history before this one does: its
    lines are kept and only the lines missing from the remote copy are added after them, never twice.
    """
    added = after[len(before) :] if after.startswith(before) else after
    lines = [line for line in added.splitlines() if line.strip()]
    for _ in range(RETRIES):
        blob = remote.read(key)
        current = b"" if blob is None else blob.data
        present = set(current.splitlines())
        missing = [line for line in lines if line not in present]
        if not missing:
            return
        if current and not current.endswith(b"\n"):
            current += b"\n"
        try:
            remote.write(
                key, current + b"".join(line + b"\n" for line in missing), expect=None if blob is None else blob.etag
            )
            return
        except RemoteConflictError:
            continue
    raise RemoteError(f"{key} on {remote.url} kept changing under {RETRIES} attempts; try again")


# --------------------------------------------------------------------------- pull
class PullReport:
    def __init__(self) -> None:
        self.units = 0
        self.downloads = 0
        self.unchanged = 0
        self.changed: list[str] = []
        """The units this pull brought into the mirror."""
        self.held: set[str] = set()
        """The units the mirror holds after this pull."""
        self.warnings: list[str] = []


def _read_saved(mirror: Path) -> dict[str, Any]:
    """The manifest a mirror was last pulled from (empty when missing or damaged: everything is pulled again)."""
    try:
        saved = read_json(mirror / SAVED)
    except (FileNotFoundError, CorruptFileError):
        return {}
    return saved if isinstance(saved, dict) else {}


def read_pending(path: Path) -> list[str] | None:
    """The units a mirror got that its store has not merged yet ([] when none; None: the file is damaged)."""
    try:
        units = read_json(path)
    except FileNotFoundError:
        return []
    except (OSError, CorruptFileError):
        return None
    if not isinstance(units, list) or not all(isinstance(u, str) for u in units):
        return None
    return units


def pull_mirror(remote: Remote, mirror: Path, pending: Path | None = None) -> PullReport:
    """Bring the mirror directory ``mirror`` up to date with ``remote`` (only what changed since last time).

    ``pending``: a file that gets the units this pull changed (added to those already in it) before the
    mirror's state is saved, so a merge of the mirror killed midway still knows what it must merge.
    """
    report = PullReport()
    mirror.mkdir(parents=True, exist_ok=True)
    manifest, etag = read_manifest(remote)
    if etag is None and remote.list(f"{EXPERIMENTS_DIR}/"):
        report.warnings.append(
            f"{remote.url} holds runs but no {MANIFEST} (removed by hand?): push again from each box to list them"
        )
    saved_path = mirror / SAVED
    saved = _read_saved(mirror)
    have: dict[str, Any] = saved.setdefault("units", {})
    todo = []
    for unit, entry in manifest["units"].items():
        if not _safe(unit):
            report.warnings.append(f"ignored a unit with an unsafe name on the remote: {unit!r}")
        elif have.get(unit) == entry:
            report.unchanged += 1
        else:
            todo.append(unit)

    def one(unit: str) -> tuple[str, int | None, str | None]:
        try:
            return unit, _pull_unit(remote, unit, manifest["units"][unit], have.get(unit), mirror / unit), None
        except _Missing as e:
            return unit, None, str(e)

    lost: dict[str, Any] = {}
    for unit, got, problem in _parallel(one, todo):
        if problem is not None:
            report.warnings.append(problem)
            lost[unit] = manifest["units"][unit]
            if unit not in have and f"/{RUNS_DIR}/" in unit:
                shutil.rmtree(mirror / unit, ignore_errors=True)  # no half run reaches the store
            continue
        have[unit] = manifest["units"][unit]
        report.changed.append(unit)
        report.units += 1
        report.downloads += got or 0
    report.downloads += _pull_registry(remote, mirror, saved)
    report.held = set(have)
    if pending is not None and report.changed:
        write_json_atomic(pending, sorted(set(read_pending(pending) or ()) | set(report.changed)))
    write_json_atomic(saved_path, saved)
    if lost:
        _forget_units(remote, lost)
    return report


def _forget_units(remote: Remote, lost: dict[str, Any]) -> None:
    """Drop units whose objects are gone from the manifest, so the next push from their box sends them whole.

    Only an entry still as it was read is dropped (conditional write); a read-only puller just leaves it.
    """
    for _ in range(RETRIES):
        manifest, etag = read_manifest(remote)
        units = manifest["units"]
        gone = [u for u, entry in lost.items() if units.get(u) == entry]
        if not gone or etag is None:
            return
        for unit in gone:
            del units[unit]
        try:
            remote.write(MANIFEST, dumps_bytes(manifest), expect=etag)
            return
        except RemoteConflictError:
            continue
        except RemoteError:
            return  # no write access: the warning says what to do


class _Missing(Exception):
    pass


def _safe(key: str) -> bool:
    return bool(key) and not key.startswith("/") and ".." not in key.split("/") and "\\" not in key


def _pull_unit(remote: Remote, unit: str, entry: dict[str, Any], old: dict[str, Any] | None, target: Path) -> int:
    got = 0
    before = (old or {}).get("files", {})
    for rel, info in entry.get("files", {}).items():
        if not _safe(rel):
            continue
        path = target / rel
        if before.get(rel) == info and path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        key = f"{unit}/{rel}"
        if rel == APPENDED and len(info) > 2:
            got += _pull_appended(remote, key, path, info)
        else:
            blob = remote.read(key)
            if blob is None:
                raise _Missing(f"{key} is in the manifest but not on {remote.url}; its box's next push sends it again")
            tmp = path.with_name(f".{path.name}.pull-tmp")
            tmp.write_bytes(blob.data)
            os.replace(tmp, path)
            got += 1
        if info[1] >= 0:
            os.utime(path, ns=(info[1], info[1]))
    return got


def _pull_appended(remote: Remote, key: str, path: Path, info: list[Any]) -> int:
    """Fetch the segments past the local file's size (a ranged read inside the first one needed)."""
    size, segments = info[0], sorted(info[2])
    have = path.stat().st_size if path.exists() else 0
    if have > size:
        path.unlink()
        have = 0
    got = 0
    ends = [*segments[1:], size]
    with open(path, "ab") as out:
        for start, end in zip(segments, ends, strict=True):
            if end <= have:
                continue
            blob = remote.read(_segment_key(key, start), max(0, have - start))
            if blob is None:
                raise _Missing(
                    f"{_segment_key(key, start)} is missing on {remote.url}; its box's next push sends it again"
                )
            piece = blob.data[: end - max(have, start)]
            out.write(piece)
            have += len(piece)
            got += 1
        out.flush()
        os.fsync(out.fileno())
    return got


def _pull_registry(remote: Remote, mirror: Path, saved: dict[str, Any]) -> int:
    """Fetch the registry objects whose tags changed since the last pull (one listing, then only those)."""
    listing = remote.list(f"{MODELS}/")
    tags: dict[str, str] = saved.setdefault("registry", {})
    changed = [k for k, e in listing.items() if tags.get(k) != e.etag and _safe(k)]

    def one(key: str) -> tuple[str, str | None]:
        blob = remote.read(key)
        if blob is None:
            return key, None
        path = mirror / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.pull-tmp")
        tmp.write_bytes(blob.data)
        os.replace(tmp, path)
        return key, blob.etag

    got = 0
    for key, etag in _parallel(one, changed):
        if etag is not None:
            tags[key] = etag
            got += 1
    return got


def mirror_dir(dest_root: Path, url: str) -> Path:
    """Where a pull into ``dest_root`` keeps its mirror of ``url``."""
    return dest_root / ".sync-cache" / hashlib.sha256(url.encode()).hexdigest()[:16]


def reset_mirror(mirror: Path) -> None:
    shutil.rmtree(mirror, ignore_errors=True)


# --------------------------------------------------------------------------- sync entry point
def sync_remote(source: str | os.PathLike[str], dest: str | os.PathLike[str]) -> Any:
    """``tracker_core.sync.sync`` when one side is a remote URL: push a local store, or pull into one."""
    from .. import sync as store_sync
    from ..errors import ValidationError
    from ..store import Store
    from . import is_remote_url, open_remote

    src_remote, dst_remote = is_remote_url(source), is_remote_url(dest)
    if src_remote and dst_remote:
        raise ValidationError("sync needs one local store: pull the remote into a store, then push that")
    result = store_sync.SyncReport()
    if dst_remote:
        local = Store(source, create=False)
        pushed = push(local.root, open_remote(dest))
        result.copied, result.unchanged, result.versions_added = pushed.units, pushed.unchanged, pushed.versions_added
        result.warnings.extend(pushed.warnings)
        return result
    url = os.fspath(source)
    dest_store = Store(dest, create=True)
    pulled = pull_into(open_remote(url), dest_store)
    result = pulled[1]
    result.warnings[:0] = pulled[0].warnings
    return result


def pull_into(remote: Remote, dest_store: Any) -> tuple[PullReport, Any]:
    """Refresh the mirror of ``remote`` under ``dest_store`` and merge it into that store."""
    from .. import sync as store_sync
    from ..store import MARKER_FILE, Store

    dest_store.ensure_created()  # a pull writes into it (its mirror lives inside)
    mirror = mirror_dir(dest_store.root, remote.url)
    fresh = not (mirror / MARKER_FILE).exists()
    if fresh:
        reset_mirror(mirror)
        mirror.mkdir(parents=True)
        Store(mirror, create=True)
    pending = mirror / PENDING
    pulled = pull_mirror(remote, mirror, pending)
    units = None if fresh else read_pending(pending)  # None: merge the whole mirror
    only: dict[str, set[str]] | None = None
    if units is not None:
        only = {}
        for unit in units:
            ids = unit_ids(unit)
            if ids is not None:
                runs = only.setdefault(ids[0], set())
                if ids[1] is not None:
                    runs.add(ids[1])
    merged = store_sync.merge_stores(Store(mirror, create=False), dest_store, only)
    if only is not None:  # the runs left alone because the pull did not change them
        skipped = pulled.held - set(units or ())
        merged.unchanged += sum(1 for u in skipped if (ids := unit_ids(u)) is not None and ids[1] is not None)
    pending.unlink(missing_ok=True)
    return pulled, merged
