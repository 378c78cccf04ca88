"""Managing runs after they were logged: soft-delete and restore, rename, tags and a free-text note.

>>> from tracker_core import manage
>>> manage.rename_run(store, "3f2a", "rf_baseline")
>>> manage.set_tags(store, "3f2a", {"reviewed": "yes"})
>>> manage.set_note(store, "3f2a", "overfits after epoch 12")
>>> manage.delete_runs(store, ["3f2a", "9bc1"]); manage.restore_runs(store, ["3f2a"])

Run ids accept unique prefixes. The note is the tag :data:`NOTE_TAG` (``note``), so it shows
wherever tags show (details, compare, ``tui-track show``) and the filter language finds it:
``tags.note LIKE '%overfit%'``.

Safety: a run has one writer (see :mod:`tracker_core.run`). Its ``run.json`` is changed here
only while holding the run's writer lock (``.writer.lock``): a run that is still running is
refused with a :class:`~tracker_core.errors.RunStateError` (set tags from the script with
``run.set_tag`` instead, or wait until it ends), and a run resumed meanwhile by another process
cannot take the lock until the change is written. The change is a whole-file atomic replace, so
a crash leaves either the old file or the new one. Deleting and restoring only add or remove a
marker file beside the run, so they work on running runs too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import lifecycle
from .errors import (
    ConflictError,
    CorruptFileError,
    NotFoundError,
    RunStateError,
    StateChangedError,
    ValidationError,
    fs_error,
)
from .locking import WriterLock
from .records import RUNNING, RunSummary
from .storage import codecs, files
from .storage import layout as paths
from .store import Store
from .validation import check_text, shown, staged_values, validate_key, validate_name

__all__ = [
    "MAX_NOTE_LENGTH",
    "NOTE_TAG",
    "delete_runs",
    "remove_tags",
    "rename_run",
    "resolve_runs",
    "restore_runs",
    "set_note",
    "set_tags",
    "update_tags",
]

NOTE_TAG = "note"
"""The tag that holds a run's free-text note."""
MAX_NOTE_LENGTH = 10_000
"""Characters a note may hold."""
LOCK_WAIT = 2.0
"""Seconds to wait for a run's writer lock held by another short edit before calling the run busy."""


def resolve_runs(store: Store, run_ids: Iterable[str]) -> list[str]:
    """Full ids for run ids or unique prefixes, all checked before anything changes (duplicates dropped)."""
    if isinstance(run_ids, str):
        raise ValidationError(f"run_ids must be a list of run ids, not the single string {run_ids!r}")
    found: list[str] = []
    for run_id in run_ids:
        if not isinstance(run_id, str) or not run_id.strip():
            raise ValidationError(f"a run id must be a non-empty string, got {shown(run_id)}")
        full = store.resolve_run_id(run_id.strip())
        if full not in found:
            found.append(full)
    if not found:
        raise ValidationError("no run ids given; name at least one run (id or unique prefix)")
    return found


def delete_runs(store: Store, run_ids: Iterable[str]) -> list[RunSummary]:
    """Soft-delete runs: hidden from listings (``list_runs(include_deleted=True)`` shows them), files kept.

    Deleting a deleted run changes nothing. Returns the runs as they now list.
    """
    _writable(store)
    ids = resolve_runs(store, run_ids)
    for run_id in ids:
        store.delete_run(run_id)
    return [store.get_run(i) for i in ids]


def restore_runs(store: Store, run_ids: Iterable[str]) -> list[RunSummary]:
    """Undo :func:`delete_runs` (restoring a run that is not deleted changes nothing)."""
    _writable(store)
    ids = resolve_runs(store, run_ids)
    for run_id in ids:
        store.restore_run(run_id)
    return [store.get_run(i) for i in ids]


def rename_run(store: Store, run_id: str, new_name: str, *, expect_name: str | None = None) -> RunSummary:
    """Give a run a new display name (names need not be unique; ids are).

    ``expect_name``: the name the caller believes the run has; if another process renamed it
    meanwhile, :class:`StateChangedError` says so and nothing changes.
    """
    name = validate_name(new_name, "run name")

    def change(data: dict[str, Any], summary: RunSummary) -> None:
        if expect_name is not None and summary.name != expect_name:
            raise StateChangedError(
                f"run {summary.id[:8]} is now named {summary.name!r}, not {expect_name!r}; "
                "it was renamed meanwhile: look again before renaming it",
                expected=expect_name,
                actual=summary.name,
            )
        data["name"] = name

    return _edit(store, run_id, change)


def set_tags(store: Store, run_id: str, tags: Mapping[str, Any]) -> RunSummary:
    """Set (add or replace) tags of a run; values keep their JSON types."""
    return update_tags(store, run_id, tags)


def remove_tags(store: Store, run_id: str, keys: Iterable[str]) -> RunSummary:
    """Remove tags of a run; a key the run does not have is a :class:`NotFoundError` (nothing changes)."""
    return update_tags(store, run_id, remove=keys)


def update_tags(
    store: Store, run_id: str, tags: Mapping[str, Any] | None = None, *, remove: Iterable[str] = ()
) -> RunSummary:
    """Set some tags and remove others in one change (all checked before anything is written)."""
    staged = staged_values({} if tags is None else tags, "tag")
    if isinstance(remove, str):
        remove = [remove]
    wanted = [validate_key(k, "tag") for k in remove]
    if not staged and not wanted:
        raise ValidationError("no tags given; give at least one tag to set or remove")
    both = sorted(staged.keys() & wanted)
    if both:
        raise ValidationError(f"tag {both[0]!r} is both set and removed; give one or the other")

    def change(data: dict[str, Any], summary: RunSummary) -> None:
        missing = [k for k in wanted if k not in summary.tags]
        if missing:
            have = ", ".join(sorted(summary.tags)) or "none"
            raise NotFoundError(f"run {summary.id[:8]} has no tag {missing[0]!r}; its tags: {have}")
        kept = {k: v for k, v in (data.get("tags") or {}).items() if k not in wanted}
        data["tags"] = {**kept, **staged}

    return _edit(store, run_id, change)


def set_note(store: Store, run_id: str, text: str) -> RunSummary:
    """Set a run's free-text note (the ``note`` tag); empty or blank text removes it."""
    if not isinstance(text, str):
        raise ValidationError(f"a note must be text (str), got {type(text).__name__}: {shown(text)}")
    text = check_text(text, "note").strip()
    if len(text) > MAX_NOTE_LENGTH:
        raise ValidationError(f"a note is at most {MAX_NOTE_LENGTH} characters; this one has {len(text)}")
    bad = next((ch for ch in text if (ord(ch) < 32 and ch not in "\n\t") or ord(ch) == 127), None)
    if bad is not None:
        raise ValidationError(f"a note may hold line breaks and tabs but no control character like {bad!r}")

    def change(data: dict[str, Any], summary: RunSummary) -> None:
        tags = dict(data.get("tags") or {})
        if text:
            tags[NOTE_TAG] = text
        else:
            tags.pop(NOTE_TAG, None)
        data["tags"] = tags

    return _edit(store, run_id, change)


# ------------------------------------------------------------------ the one edit path
def _writable(store: Store) -> None:
    if store.remote_url is not None:
        raise ConflictError(
            f"{store.remote_url} is opened as a read-only mirror; change runs in the store that logs them "
            "and push them again"
        )


def _edit(store: Store, run_id: str, change: Callable[[dict[str, Any], RunSummary], None]) -> RunSummary:
    """Apply ``change`` to a run's ``run.json`` under its writer lock (see the module docstring)."""
    _writable(store)
    if not isinstance(run_id, str) or not run_id.strip():
        raise ValidationError(f"a run id must be a non-empty string, got {shown(run_id)}")
    current = store.get_run(run_id.strip())
    run_dir = store.layout.run_dir(current.experiment_id, current.id)
    if lifecycle.is_open_here(current.id):
        raise RunStateError(
            f"run {current.id[:8]} ({current.name!r}) is being written by this process; change it through its "
            "Run object (run.set_tag) or after it ends"
        )
    lock = WriterLock(run_dir)
    _take(lock, current, store)
    try:
        path = paths.run_file(run_dir)
        try:
            data = files.read_run_doc(run_dir)
            summary = codecs.decode_run(data, current.id, current.experiment_id, current.deleted)
        except FileNotFoundError:
            raise CorruptFileError(
                path, f"{paths.RUN_FILE} is missing; run {current.id[:8]} cannot be changed"
            ) from None
        except CorruptFileError as exc:
            raise CorruptFileError(exc.path, f"{exc.reason}; run {current.id[:8]} cannot be changed") from None
        change(data, summary)
        files.write_run_doc(run_dir, data)
    except OSError as exc:
        raise fs_error(exc, run_dir, f"change run {current.id[:8]} in") from None
    finally:
        lock.release()
    return store.get_run(current.id)


def _take(lock: WriterLock, current: RunSummary, store: Store) -> None:
    """Take the run's writer lock, waiting briefly for another edit; refuse a run that is running."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            if lock.try_acquire():
                return
        except OSError as exc:
            raise fs_error(exc, lock.path, "lock") from None
        now = store.get_run(current.id)
        if now.status == RUNNING:
            where = f" (pid {now.pid} on {now.host})" if now.pid is not None else ""
            raise RunStateError(
                f"run {now.id[:8]} ({now.name!r}) is running{where}; only its writer changes it while it runs: "
                "set tags from the script (run.set_tag) or change it after it ends"
            )
        if time.monotonic() >= deadline:
            raise RunStateError(
                f"run {now.id[:8]} ({now.name!r}) is being changed by another process "
                f"({os.path.basename(lock.path)} is held); retry in a moment"
            )
        time.sleep(0.05)
