"""The model registry over a store: versions from runs, stages, aliases and an audit trail.

Layout under ``<store>/registry/models/<name>/``::

    model.json              mutable state: description, tags, aliases, each version's stage/tags/deleted
    history.jsonl           append-only audit trail (see tracker_core.registry.history)
    .lock                   fcntl lock taken by every change of this model
    versions/<n>/
        version.json        immutable facts: source run, metrics, params, who, where, when, sha256
        model.joblib        the registry's own copy of the model
    versions/.incoming-*    a copy in progress (ignored by readers)

A version exists when its directory does; ``model.json`` holds what changes afterwards. A
new version's file is copied and hashed before the lock is taken; under the lock the number is
allocated (highest directory + 1), the directory renamed into place, ``model.json`` replaced
atomically and the history appended, in that order.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import environment
from ..errors import ConflictError, CorruptFileError, NotFoundError, StateChangedError, ValidationError
from ..jsonio import dumps, write_json_atomic
from ..locking import FileLock
from ..model_io import MODEL_FILE, SIDECAR_FILE, sha256_file
from ..validation import artifact_relpath, check_text, json_value, metric_value, validate_key
from . import codecs
from . import history as history_log
from .records import (
    ARCHIVED,
    DEVELOPMENT,
    PRODUCTION,
    STAGING,
    UNSET,
    HistoryEntry,
    ModelVersion,
    RegisteredModel,
    Unset,
    normalize_stage,
    validate_alias,
    validate_model_name,
)
from .uri import ModelRef, is_model_uri, parse_model_uri

if TYPE_CHECKING:
    from ..store import Store
    from .merge import MergeResult

STATE_FILE = "model.json"
VERSION_FILE = "version.json"
_COPY_CHUNK = 1 << 20
_INCOMING = ".incoming-"
MERGE_INCOMING = ".incoming-sync-"
"""Prefix of a version copied by a merge under the model lock (removed by the next change of the model)."""
RENAMES = "renames"
"""Key of ``model.json`` journaling a merge's ``[[incoming folder, version number], ...]`` renames."""
ABANDONED_AFTER = 86400.0
"""Seconds after which an unfinished copy in ``versions/`` counts as abandoned and is removed."""

State = dict[str, Any]


def _copy_hashed(source: Path, target: Path) -> tuple[str, int]:
    """Copy ``source`` to a new file ``target`` (fsynced), hashing it on the way; return sha256 and size."""
    digest = hashlib.sha256()
    size = 0
    with open(source, "rb") as src, open(target, "xb") as dst:
        while chunk := src.read(_COPY_CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return digest.hexdigest(), size


def _version_number(version: object) -> int:
    """A version as given by a caller: ``3``, ``"3"`` or ``"v3"``."""
    if isinstance(version, bool):
        raise ValidationError(f"invalid version {version!r}: give a positive number such as 3")
    if isinstance(version, int) and version > 0:
        return version
    if isinstance(version, str):
        text = version.strip().lower().removeprefix("v")
        if text.isdigit() and int(text) > 0:
            return int(text)
    raise ValidationError(f"invalid version {version!r}: give a positive number such as 3")


def _expected_version(value: object, what: str) -> int | None:
    """An ``expect_current`` value: a version number (as for ``version``) or None for "none"."""
    if value is None:
        return None
    try:
        return _version_number(value)
    except ValidationError:
        raise ValidationError(
            f"invalid {what} {value!r}: give the version number you expect (such as 3) or None for none"
        ) from None


def _optional_text(value: object, what: str) -> str | None:
    """A description or reason: text (valid Unicode) or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be text or None, got {type(value).__name__}: {value!r:.60}")
    return check_text(value, what)


def _held(n: int | None) -> str:
    return "no version" if n is None else f"v{n}"


def _check_stage(name: str, n: int, stage: str, expected: str | None) -> None:
    if expected is not None and stage != expected:
        raise StateChangedError(
            f"model {name!r} v{n} is in {stage} now, not in {expected} as expected (it changed meanwhile); "
            "look at the model again and retry",
            expected=expected,
            actual=stage,
        )


def _versions_text(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers) if numbers else "none"


class Registry:
    """The model registry of ``store`` (its files live under ``<store.root>/registry/``).

    Reading (listing, showing, history) parses JSON only; a model is unpickled only by
    :meth:`load`, after its sha256 is checked. Every change takes the model's file lock.
    """

    def __new__(cls, store: Store) -> Registry:
        if cls is Registry and getattr(store, "remote_url", None):  # Store("s3://..."): changes go to the remote
            from ..remote.mirror import RemoteRegistry

            return super().__new__(RemoteRegistry)
        return super().__new__(cls)

    def __init__(self, store: Store) -> None:
        self.store = store
        self.root = store.root / "registry"
        self.models_dir = self.root / "models"

    def __repr__(self) -> str:
        return f"Registry({str(self.root)!r})"

    # ------------------------------------------------------------ files and state
    def _model_dir(self, name: str) -> Path:
        return self.models_dir / validate_model_name(name)

    def _model_names(self) -> list[str]:
        try:
            return sorted(e.name for e in os.scandir(self.models_dir) if e.is_dir() and not e.name.startswith("."))
        except FileNotFoundError:
            return []

    def _unknown_model(self, name: str) -> NotFoundError:
        known = [n for n in self._model_names() if (self.models_dir / n / STATE_FILE).is_file()]
        listing = (
            ", ".join(known)
            if known
            else "none yet (register one with Registry.register or `tui-track models register`)"
        )
        return NotFoundError(f"no model named {name!r} in the registry; models: {listing}")

    def _read_state(self, name: str) -> State:
        model_dir = self._model_dir(name)
        try:
            return codecs.read_state(model_dir / STATE_FILE)
        except FileNotFoundError:
            if _is_damaged_without_state(model_dir):
                raise CorruptFileError(
                    model_dir / STATE_FILE, "missing although the model has versions or history"
                ) from None
            raise self._unknown_model(name) from None

    def _version_numbers(self, name: str) -> list[int]:
        path = self._model_dir(name) / "versions"
        try:
            entries = os.scandir(path)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise CorruptFileError(path, f"cannot be read ({exc.strerror or exc})") from None
        with entries:
            return sorted(int(e.name) for e in entries if e.name.isdigit() and int(e.name) > 0)

    def _version_states(self, name: str, state: State) -> dict[int, State]:
        """Mutable state of every existing version (defaults for one whose registration was cut short)."""
        versions = state["versions"]
        return {
            n: versions.get(str(n)) or versions.setdefault(str(n), _new_version_state())
            for n in self._version_numbers(name)
        }

    def _live(self, name: str, state: State, version: object) -> tuple[int, State]:
        """A version that exists and is not deleted, with its mutable state."""
        n = _version_number(version)
        states = self._version_states(name, state)
        if n not in states:
            raise self._unknown_version(name, n, states)
        if states[n].get("deleted"):
            raise ConflictError(f"version {n} of model {name!r} is deleted; restore it first (restore_version)")
        return n, states[n]

    def _unknown_version(self, name: str, n: int, states: dict[int, State]) -> NotFoundError:
        live = [v for v, s in states.items() if not s.get("deleted")]
        deleted = [v for v, s in states.items() if s.get("deleted")]
        extra = f" (deleted: {_versions_text(deleted)})" if deleted else ""
        return NotFoundError(f"model {name!r} has no version {n}; versions: {_versions_text(live)}{extra}")

    @contextmanager
    def _changing(
        self, name: str, *, create: bool = False, force: bool = False
    ) -> Iterator[tuple[State, list[HistoryEntry]]]:
        """Lock the model, hand out its state and a list for history entries, then save both.

        First it finishes what a writer killed mid-change left: journaled renames of copied
        versions (``state[RENAMES]``, set by a merge) and history lines not yet done, versions
        renamed into place but never recorded. Nothing is written when the block records no
        entry or raises (repairs are written with the next change, or at once with ``force``). The order of a change is:
        ``model.json`` (new state + journal), the journaled renames, the history append.
        """
        model_dir = self._model_dir(name)
        if create:
            self.store.ensure_created()  # readers never create a store; a registry write does
            model_dir.mkdir(parents=True, exist_ok=True)
        elif not (model_dir / STATE_FILE).is_file() and not _is_damaged_without_state(model_dir):
            raise self._unknown_model(name)
        with FileLock(model_dir / ".lock"):
            if create and not (model_dir / STATE_FILE).exists() and not _is_damaged_without_state(model_dir):
                state: State = codecs.new_state(name, time.time())
            else:
                state = self._read_state(name)
            history_path = model_dir / history_log.FILENAME
            _finish_renames(model_dir / "versions", state.pop(RENAMES, None))
            history_log.complete(history_path, state.get("journal"))
            repairs = [
                self._recovered_registration(name, n, state)
                for n in self._version_numbers(name)
                if str(n) not in state["versions"]
            ]
            entries: list[HistoryEntry] = []
            yield state, entries
            if entries or force:
                if entries:
                    state["updated"] = entries[-1].time
                state["journal"] = history_log.journal(history_path, repairs + entries)
                write_json_atomic(model_dir / STATE_FILE, state)
                _finish_renames(model_dir / "versions", state.get(RENAMES))
                history_log.append_journal(history_path, state["journal"])

    def _recovered_registration(self, name: str, n: int, state: State) -> HistoryEntry:
        """The history entry of a version whose registering process died before recording it."""
        state["versions"][str(n)] = _new_version_state()
        try:
            facts = codecs.read_version(self._model_dir(name) / "versions" / str(n) / VERSION_FILE)
            when, user, host = float(facts["registered_at"]), facts["registered_by"], facts["host"]
            source = facts.get("source_run_id")
        except (OSError, CorruptFileError):
            when, user, host, source = time.time(), "unknown", "unknown", None
        note = "recorded late: the registering process stopped before writing the history"
        return HistoryEntry(when, user, host, "register", n, source, DEVELOPMENT, note)

    def _entry(
        self,
        action: str,
        version: int | None,
        from_value: Any,
        to_value: Any,
        reason: str | None,
        key: str | None = None,
    ) -> HistoryEntry:
        def text(value: Any) -> str | None:
            return value if value is None or isinstance(value, str) else str(value)

        reason = _optional_text(reason, "reason")
        return HistoryEntry(
            time=time.time(),
            user=environment.username(),
            host=environment.hostname(),
            action=action,
            version=version,
            from_value=text(from_value),
            to_value=text(to_value),
            reason=reason,
            key=key,
        )

    def _set_stage(
        self, state: State, name: str, n: int, stage: str, archive_others: bool, reason: str | None
    ) -> list[HistoryEntry]:
        """Move version ``n`` to ``stage`` (archiving the others in that stage if asked)."""
        entries: list[HistoryEntry] = []
        states = self._version_states(name, state)
        if states[n]["stage"] == stage:
            return entries
        if archive_others:
            for other, other_state in states.items():
                if other != n and other_state["stage"] == stage and not other_state.get("deleted"):
                    other_state["stage"] = ARCHIVED
                    entries.append(self._entry("stage", other, stage, ARCHIVED, reason or f"v{n} moved to {stage}"))
        entries.append(self._entry("stage", n, states[n]["stage"], stage, reason))
        states[n]["stage"] = stage
        return entries

    def merge_model(self, source: Registry, name: str) -> MergeResult:
        """Bring model ``name`` of ``source`` (another store's registry) into this one, journaled.

        See :mod:`tracker_core.registry.merge`; rerunning after a kill ends as one uninterrupted run.
        """
        from .merge import merge_model

        return merge_model(self, source, name)

    # ------------------------------------------------------------------ reading
    def _summary(self, name: str) -> RegisteredModel:
        state = self._read_state(name)
        states = self._version_states(name, state)
        live = {n: s for n, s in states.items() if not s.get("deleted")}
        production = [n for n, s in live.items() if s["stage"] == PRODUCTION]
        return RegisteredModel(
            name=name,
            description=state.get("description"),
            tags=dict(state["tags"]),
            created=float(state.get("created", 0.0)),
            latest_version=max(live, default=None),
            production_version=max(production, default=None),
            aliases={a: int(v) for a, v in sorted(state["aliases"].items())},
            version_count=len(live),
            staging_versions=[n for n, s in live.items() if s["stage"] == STAGING],
            updated=state.get("updated"),
            deleted=bool(state.get("deleted", False)),
        )

    def list_models(self, include_deleted: bool = False) -> list[RegisteredModel]:
        """Every model sorted by name; one whose files cannot be read is listed with ``error`` set."""
        found = []
        for name in self._model_names():
            model_dir = self.models_dir / name
            if not os.path.lexists(model_dir / STATE_FILE) and not _is_damaged_without_state(model_dir):
                continue  # created by a registration that has not finished
            try:
                model = self._summary(name)
            except (CorruptFileError, ValidationError) as exc:
                found.append(RegisteredModel(name, None, {}, 0.0, None, None, error=str(exc)))
                continue
            if include_deleted or not model.deleted:
                found.append(model)
        return found

    def get_model(self, name: str) -> RegisteredModel:
        """One model's summary; :class:`CorruptFileError` names its file if it is damaged."""
        return self._summary(name)

    def _version(self, name: str, n: int, vstate: State, aliases: dict[str, Any]) -> ModelVersion:
        vdir = self._model_dir(name) / "versions" / str(n)
        common: dict[str, Any] = {
            "model": name,
            "version": n,
            "stage": vstate["stage"],
            "aliases": sorted(a for a, v in aliases.items() if v == n),
            "description": vstate.get("description"),
            "tags": dict(vstate.get("tags") or {}),
            "deleted": bool(vstate.get("deleted", False)),
        }
        try:
            facts = codecs.read_version(vdir / VERSION_FILE)
        except FileNotFoundError:
            raise CorruptFileError(vdir / VERSION_FILE, "the version record is missing") from None
        return ModelVersion(
            **common,
            source_run_id=facts.get("source_run_id"),
            metrics=dict(facts.get("metrics") or {}),
            params=dict(facts.get("params") or {}),
            registered_by=facts["registered_by"],
            host=facts["host"],
            registered_at=float(facts["registered_at"]),
            sha256=facts["sha256"],
            size=facts["size"],
            path=vdir / facts.get("file", MODEL_FILE),
            source_artifact=facts.get("source_artifact"),
            model_class=(facts.get("model_info") or {}).get("class"),
        )

    def _broken_version(self, name: str, n: int, vstate: State, error: str) -> ModelVersion:
        return ModelVersion(
            model=name,
            version=n,
            stage=vstate["stage"],
            aliases=[],
            source_run_id=None,
            metrics={},
            params={},
            registered_by="",
            host="",
            registered_at=0.0,
            sha256="",
            size=0,
            description=vstate.get("description"),
            tags={},
            deleted=bool(vstate.get("deleted", False)),
            path=self._model_dir(name) / "versions" / str(n) / MODEL_FILE,
            error=error,
        )

    def list_versions(self, name: str, include_deleted: bool = False) -> list[ModelVersion]:
        """A model's versions, oldest first; an unreadable one is listed with ``error`` set."""
        state = self._read_state(name)
        out = []
        for n, vstate in self._version_states(name, state).items():
            if vstate.get("deleted") and not include_deleted:
                continue
            try:
                out.append(self._version(name, n, vstate, state["aliases"]))
            except CorruptFileError as exc:
                out.append(self._broken_version(name, n, vstate, str(exc)))
        return out

    def get_version(self, name: str, version: int | str) -> ModelVersion:
        """One version (deleted ones too: check ``deleted``)."""
        state = self._read_state(name)
        n = _version_number(version)
        states = self._version_states(name, state)
        if n not in states:
            raise self._unknown_version(name, n, states)
        return self._version(name, n, states[n], state["aliases"])

    def history(self, name: str) -> list[HistoryEntry]:
        """The model's audit trail, oldest first (readable even when ``model.json`` is damaged).

        A damaged line is kept in its place as an entry with action ``unreadable`` and
        ``error`` saying which line and why; the others read normally.
        """
        model_dir = self._model_dir(name)
        path = model_dir / history_log.FILENAME
        if not os.path.lexists(path) and not os.path.lexists(model_dir / STATE_FILE):
            raise self._unknown_model(name)
        entries = history_log.read_lenient(path)
        try:
            journal = codecs.read_state(model_dir / STATE_FILE).get("journal")
        except (OSError, CorruptFileError):
            return entries
        return entries + history_log.pending(path, journal)

    # ------------------------------------------------------------- registering
    def register(
        self,
        name: str,
        run_id: str,
        artifact: str = "model",
        *,
        description: str | None = None,
        tags: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> ModelVersion:
        """Register the model a run logged with ``Run.log_model(model, artifact)`` as a new version.

        The registry keeps its own copy (checked against the sha256 recorded when it was
        logged), the run id, the run's latest metrics and params, and who/where/when.
        """
        name = validate_model_name(name)
        run = self.store.get_run(run_id)
        artifact = artifact_relpath(artifact)
        try:
            sidecar = self.store.model_info(run.id, artifact)
            source_dir = self.store.artifact_path(run.id, artifact)
        except NotFoundError:
            models = sorted(
                a.path.rpartition("/")[0] or "."
                for a in self.store.list_artifacts(run.id)
                if a.path.rpartition("/")[2] == SIDECAR_FILE
            )
            raise NotFoundError(
                f"run {run.id[:8]} ({run.name}) has no logged model {artifact!r}; "
                f"models logged on it: {', '.join(models) or 'none (log one with run.log_model(model, name))'}"
            ) from None
        source = source_dir / str(sidecar.get("file", MODEL_FILE))
        facts = {
            "source_run_id": run.id,
            "source_artifact": artifact,
            "experiment_id": run.experiment_id,
            "metrics": {k: m.last for k, m in run.metrics.items()},
            "params": dict(run.params),
            "model_info": {k: sidecar[k] for k in ("class", "params", "versions", "serializer") if k in sidecar},
        }

        def fill(target: Path) -> tuple[str, int]:
            digest, size = _copy_hashed(source, target)
            if sidecar.get("sha256") and digest != sidecar["sha256"]:
                raise CorruptFileError(
                    source, "sha256 differs from the one recorded when the model was logged; the file changed"
                )
            return digest, size

        return self._add_version(name, fill, facts, DEVELOPMENT, description, tags, reason)

    def register_file(
        self,
        name: str,
        path: str | os.PathLike[str],
        *,
        metrics: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        source_run_id: str | None = None,
        stage: str = DEVELOPMENT,
        description: str | None = None,
        tags: dict[str, Any] | None = None,
        reason: str | None = None,
        registered_at: float | None = None,
    ) -> ModelVersion:
        """Register a joblib file that was not logged on a run (imports, hand-made models).

        ``registered_at`` keeps an imported version's original registration time (default: now).
        """
        name = validate_model_name(name)
        source = Path(path)
        if not source.is_file():
            raise NotFoundError(f"cannot register {source}: no such file")
        facts = _facts(metrics, params, source_run_id, {"serializer": "joblib", "source_file": str(source.resolve())})
        return self._add_version(
            name, lambda target: _copy_hashed(source, target), facts, stage, description, tags, reason, registered_at
        )

    def register_object(
        self,
        name: str,
        model: Any,
        *,
        metrics: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        source_run_id: str | None = None,
        stage: str = DEVELOPMENT,
        description: str | None = None,
        tags: dict[str, Any] | None = None,
        reason: str | None = None,
        registered_at: float | None = None,
    ) -> ModelVersion:
        """Save a model object with joblib straight into the registry as a new version."""
        from .. import model_io

        name = validate_model_name(name)
        facts = _facts(metrics, params, source_run_id, {"serializer": "joblib", **model_io.describe(model)})

        def fill(target: Path) -> tuple[str, int]:
            import joblib

            joblib.dump(model, target)
            with open(target, "rb+") as fh:
                os.fsync(fh.fileno())
            return sha256_file(target), target.stat().st_size

        return self._add_version(name, fill, facts, stage, description, tags, reason, registered_at)

    def _add_version(
        self,
        name: str,
        fill: Callable[[Path], tuple[str, int]],
        facts: dict[str, Any],
        stage: str,
        description: str | None,
        tags: dict[str, Any] | None,
        reason: str | None,
        registered_at: float | None = None,
    ) -> ModelVersion:
        stage = normalize_stage(stage)
        description = _optional_text(description, "description")
        _optional_text(reason, "reason")
        if tags is not None and not isinstance(tags, dict):
            raise ValidationError(f"tags must be a dict of key -> value, got {type(tags).__name__}: {tags!r:.60}")
        tags = {validate_key(k, "tag"): json_value(v) for k, v in (tags or {}).items()}
        versions_dir = self._model_dir(name) / "versions"
        self.store.ensure_created()
        versions_dir.mkdir(parents=True, exist_ok=True)
        _remove_abandoned_copies(versions_dir)
        incoming = versions_dir / f"{_INCOMING}{uuid.uuid4().hex}"
        incoming.mkdir()
        try:
            digest, size = fill(incoming / MODEL_FILE)  # the slow part, done before taking the lock
            with self._changing(name, create=True) as (state, entries):
                n = max(self._version_numbers(name), default=0) + 1
                now = time.time()
                record = {
                    "model": name,
                    "version": n,
                    **facts,
                    "registered_by": environment.username(),
                    "host": environment.hostname(),
                    "registered_at": now if registered_at is None else float(registered_at),
                    "sha256": digest,
                    "size": size,
                    "file": MODEL_FILE,
                }
                write_json_atomic(incoming / VERSION_FILE, record)
                os.rename(incoming, versions_dir / str(n))
                state["versions"][str(n)] = {**_new_version_state(), "description": description, "tags": tags}
                entries.append(self._entry("register", n, facts.get("source_run_id"), DEVELOPMENT, reason))
                if stage != DEVELOPMENT:
                    entries.extend(self._set_stage(state, name, n, stage, stage == PRODUCTION, reason))
                return self._version(name, n, state["versions"][str(n)], state["aliases"])
        finally:
            if incoming.exists():
                shutil.rmtree(incoming, ignore_errors=True)

    # ------------------------------------------------------------------- stages
    def promote(
        self,
        name: str,
        version: int | str,
        stage: str,
        *,
        archive_existing: bool | None = None,
        reason: str | None = None,
        expect_stage: str | Unset = UNSET,
        expect_current: int | str | Unset | None = UNSET,
    ) -> list[HistoryEntry]:
        """Move a version to ``stage``; return the transitions made (empty if it was there already).

        Production holds one version: the one there before is archived. For other stages the
        versions already there stay unless ``archive_existing`` is true.

        ``expect_stage`` is the stage the caller believes ``version`` has now; ``expect_current``
        the version it believes holds ``stage`` now (None: none; for a stage holding several, the
        highest, the one ``models:/<name>/<stage>`` resolves to), for production the version that
        will be archived. When the store no longer matches, nothing changes and
        :class:`~tracker_core.errors.StateChangedError` (a ``ConflictError``) says what it holds.
        """
        stage = normalize_stage(stage)
        if stage == PRODUCTION and archive_existing is False:
            raise ValidationError(
                "production holds one version at a time: promoting to production always archives "
                "the previous one (use staging to keep several candidates)"
            )
        want_stage = None if expect_stage is UNSET else normalize_stage(expect_stage)
        want_current = UNSET if expect_current is UNSET else _expected_version(expect_current, "expect_current")
        with self._changing(name) as (state, entries):
            n, vstate = self._live(name, state, version)
            _check_stage(name, n, vstate["stage"], want_stage)
            if want_current is not UNSET:
                holders = [
                    v
                    for v, s in self._version_states(name, state).items()
                    if s["stage"] == stage and not s.get("deleted")
                ]
                current = max(holders, default=None)
                if current != want_current:
                    raise StateChangedError(
                        f"model {name!r}: {stage} holds {_held(current)} now, not {_held(want_current)} as "
                        "expected (it changed meanwhile); look at the model again and retry",
                        expected=want_current,
                        actual=current,
                    )
            entries.extend(
                self._set_stage(state, name, n, stage, stage == PRODUCTION or bool(archive_existing), reason)
            )
        return entries

    # ------------------------------------------------------------------ aliases
    def set_alias(
        self,
        name: str,
        alias: str,
        version: int | str,
        *,
        reason: str | None = None,
        expect_current: int | str | Unset | None = UNSET,
    ) -> HistoryEntry:
        """Point ``alias`` at a version (moving it if it pointed elsewhere).

        If it already pointed there, nothing is recorded and the returned entry has equal from/to.
        ``latest`` and ``v<digits>`` are reserved (MLflow's). ``expect_current`` is the version the
        caller believes the alias points at now (None: not set); see :meth:`promote`.
        """
        alias = validate_alias(alias)
        want = UNSET if expect_current is UNSET else _expected_version(expect_current, "expect_current")
        with self._changing(name) as (state, entries):
            n, _ = self._live(name, state, version)
            previous = state["aliases"].get(alias)
            _check_alias(name, alias, previous, want)
            entry = self._entry("alias_set", n, previous, n, reason, alias)
            if previous != n:
                state["aliases"][alias] = n
                entries.append(entry)
        return entry

    def delete_alias(
        self,
        name: str,
        alias: str,
        *,
        reason: str | None = None,
        expect_current: int | str | Unset | None = UNSET,
    ) -> HistoryEntry:
        """Remove an alias; an unknown one is an error listing the model's aliases.

        ``expect_current`` is the version the caller believes the alias points at now.
        """
        alias = validate_alias(alias, existing=True)
        want = UNSET if expect_current is UNSET else _expected_version(expect_current, "expect_current")
        with self._changing(name) as (state, entries):
            _check_alias(name, alias, state["aliases"].get(alias), want)
            if alias not in state["aliases"]:
                known = ", ".join(f"{a} (v{v})" for a, v in sorted(state["aliases"].items())) or "none"
                raise NotFoundError(f"model {name!r} has no alias {alias!r}; aliases: {known}")
            previous = state["aliases"].pop(alias)
            entries.append(self._entry("alias_delete", previous, previous, None, reason, alias))
        return entries[0]

    # ----------------------------------------------------------------- deletion
    def delete_version(
        self,
        name: str,
        version: int | str,
        *,
        reason: str | None = None,
        expect_stage: str | Unset = UNSET,
    ) -> list[HistoryEntry]:
        """Soft-delete a version: hidden unless asked, files kept, restorable.

        A version in production or staging is archived first and its aliases are removed, each
        change recorded. Deleting a deleted version does nothing. ``expect_stage`` is the stage
        the caller believes the version has now; see :meth:`promote`.
        """
        n = _version_number(version)
        want_stage = None if expect_stage is UNSET else normalize_stage(expect_stage)
        with self._changing(name) as (state, entries):
            states = self._version_states(name, state)
            if n not in states:
                raise self._unknown_version(name, n, states)
            _check_stage(name, n, states[n]["stage"], want_stage)
            if states[n].get("deleted"):
                return []
            if states[n]["stage"] in (PRODUCTION, STAGING):
                entries.extend(self._set_stage(state, name, n, ARCHIVED, False, reason or "version deleted"))
            for alias in sorted(a for a, v in state["aliases"].items() if v == n):
                del state["aliases"][alias]
                entries.append(self._entry("alias_delete", n, n, None, reason or "version deleted", alias))
            states[n]["deleted"] = True
            entries.append(self._entry("delete", n, None, None, reason))
        return entries

    def restore_version(self, name: str, version: int | str, *, reason: str | None = None) -> list[HistoryEntry]:
        """Undo :meth:`delete_version` (the version comes back in the stage it was left in)."""
        with self._changing(name) as (state, entries):
            n = _version_number(version)
            states = self._version_states(name, state)
            if n not in states:
                raise self._unknown_version(name, n, states)
            if states[n].get("deleted"):
                states[n]["deleted"] = False
                entries.append(self._entry("restore", n, None, None, reason))
        return entries

    def delete_model(self, name: str, *, reason: str | None = None) -> list[HistoryEntry]:
        """Soft-delete a whole model: hidden from :meth:`list_models` unless asked, restorable."""
        return self._set_model_field(name, "deleted", True, "delete", reason)

    def restore_model(self, name: str, *, reason: str | None = None) -> list[HistoryEntry]:
        """Undo :meth:`delete_model`."""
        return self._set_model_field(name, "deleted", False, "restore", reason)

    # --------------------------------------------------- descriptions and tags
    def _set_model_field(self, name: str, key: str, value: Any, action: str, reason: str | None) -> list[HistoryEntry]:
        with self._changing(name) as (state, entries):
            if state.get(key) != value:
                entries.append(self._entry(action, None, _shown(state.get(key)), _shown(value), reason))
                state[key] = value
        return entries

    def set_model_description(self, name: str, text: str | None, *, reason: str | None = None) -> None:
        text = _optional_text(text, "description")
        self._set_model_field(name, "description", text, "description", reason)

    def set_model_tag(self, name: str, key: str, value: Any, *, reason: str | None = None) -> None:
        key, value = validate_key(key, "tag"), json_value(value)
        with self._changing(name) as (state, entries):
            if key not in state["tags"] or state["tags"][key] != value:
                entries.append(self._entry("tag", None, _shown(state["tags"].get(key)), _shown(value), reason, key))
                state["tags"][key] = value

    def set_version_description(
        self, name: str, version: int | str, text: str | None, *, reason: str | None = None
    ) -> None:
        text = _optional_text(text, "description")
        with self._changing(name) as (state, entries):
            n, vstate = self._live(name, state, version)
            if vstate.get("description") != text:
                entries.append(self._entry("description", n, vstate.get("description"), text, reason))
                vstate["description"] = text

    def set_version_tag(
        self, name: str, version: int | str, key: str, value: Any, *, reason: str | None = None
    ) -> None:
        key, value = validate_key(key, "tag"), json_value(value)
        with self._changing(name) as (state, entries):
            n, vstate = self._live(name, state, version)
            vtags = vstate.setdefault("tags", {})
            if key not in vtags or vtags[key] != value:
                entries.append(self._entry("tag", n, _shown(vtags.get(key)), _shown(value), reason, key))
                vtags[key] = value

    # -------------------------------------------------------- resolving, loading
    def resolve(
        self,
        uri_or_name: str,
        *,
        version: int | str | None = None,
        stage: str | None = None,
        alias: str | None = None,
    ) -> ModelVersion:
        """The version a URI or a name plus one selector points at (the latest when none is given).

        ``models:/churn/3``, ``models:/churn/production``, ``models:/churn/latest``,
        ``models:/churn@champion``; or ``resolve("churn", stage="production")``. Among several
        versions in a stage the highest wins. Deleted versions are never resolved.
        """
        given = [s for s in (version, stage, alias) if s is not None]
        if is_model_uri(uri_or_name):
            if given:
                raise ValidationError("give either a models:/ URI or a name with version/stage/alias, not both")
            ref = parse_model_uri(uri_or_name)
        else:
            if len(given) > 1:
                raise ValidationError("give at most one of version, stage and alias")
            ref = ModelRef(
                validate_model_name(uri_or_name),
                None if version is None else _version_number(version),
                None if stage is None else normalize_stage(stage),
                None if alias is None else validate_alias(alias),
            )
        state = self._read_state(ref.name)
        states = self._version_states(ref.name, state)
        live = {n: s for n, s in states.items() if not s.get("deleted")}
        if ref.version is not None:
            n, _ = self._live(ref.name, state, ref.version)
        elif ref.alias is not None:
            if ref.alias not in state["aliases"]:
                known = ", ".join(f"{a} (v{v})" for a, v in sorted(state["aliases"].items())) or "none"
                raise NotFoundError(f"model {ref.name!r} has no alias {ref.alias!r}; aliases: {known}")
            n = int(state["aliases"][ref.alias])
        elif ref.stage is not None:
            in_stage = [v for v, s in live.items() if s["stage"] == ref.stage]
            if not in_stage:
                where = ", ".join(f"v{v} {s['stage']}" for v, s in live.items()) or "no versions"
                raise NotFoundError(f"model {ref.name!r} has no version in {ref.stage}; versions: {where}")
            n = max(in_stage)
        else:
            if not live:
                raise NotFoundError(f"model {ref.name!r} has no versions (deleted ones are not resolved)")
            n = max(live)
        return self._version(ref.name, n, states[n], state["aliases"])

    def load(
        self,
        uri_or_name: str,
        *,
        version: int | str | None = None,
        stage: str | None = None,
        alias: str | None = None,
    ) -> Any:
        """Unpickle the version :meth:`resolve` finds, after checking the file's sha256."""
        import joblib

        mv = self.resolve(uri_or_name, version=version, stage=stage, alias=alias)
        try:
            actual = sha256_file(mv.path)
        except FileNotFoundError:
            raise CorruptFileError(mv.path, "the registered model file is missing") from None
        if actual != mv.sha256:
            raise CorruptFileError(
                mv.path,
                f"sha256 is {actual[:12]}..., registered as {mv.sha256[:12]}...; the file changed after "
                "registration, refusing to unpickle it",
            )
        return joblib.load(mv.path)


def _check_alias(name: str, alias: str, current: object, expected: int | Unset | None) -> None:
    held = None if current is None else int(str(current))
    if expected is not UNSET and held != expected:
        now = "is not set" if held is None else f"points at v{held}"
        was = "not set" if expected is None else f"at v{expected}"
        raise StateChangedError(
            f"model {name!r}: alias {alias!r} {now} now, not {was} as expected (it changed meanwhile); "
            "look at the model again and retry",
            expected=expected,
            actual=held,
        )


def _remove_abandoned_copies(versions_dir: Path) -> None:
    """Delete copies left by registrations killed mid-copy (untouched for a day: no live copy is that slow)."""
    cutoff = time.time() - ABANDONED_AFTER
    with os.scandir(versions_dir) as entries:
        for entry in entries:
            try:
                if entry.name.startswith(_INCOMING) and entry.stat().st_mtime < cutoff:
                    shutil.rmtree(entry.path, ignore_errors=True)
            except FileNotFoundError:
                continue


def _finish_renames(versions_dir: Path, renames: object) -> None:
    """Rename journaled copies into place (those already done or gone are skipped)."""
    if not isinstance(renames, list):
        return
    for item in renames:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            continue
        incoming, n = item
        if not incoming.startswith(MERGE_INCOMING) or "/" in incoming or isinstance(n, bool) or not isinstance(n, int):
            continue
        source, target = versions_dir / incoming, versions_dir / str(n)
        if n > 0 and source.is_dir() and not os.path.lexists(target):
            os.rename(source, target)


def _new_version_state() -> State:
    return codecs.new_version_state()


def _is_damaged_without_state(model_dir: Path) -> bool:
    """A model folder without ``model.json`` that had one: its history was written (after the state)."""
    return os.path.lexists(model_dir / history_log.FILENAME)


def _shown(value: Any) -> str | None:
    """A value as history text (JSON for anything but strings and None)."""
    return value if value is None or isinstance(value, str) else dumps(value)


def _facts(
    metrics: dict[str, Any] | None, params: dict[str, Any] | None, source_run_id: str | None, model_info: dict[str, Any]
) -> dict[str, Any]:
    return {
        "source_run_id": source_run_id,
        "source_artifact": None,
        "metrics": {validate_key(k, "metric"): metric_value(k, v) for k, v in (metrics or {}).items()},
        "params": {validate_key(k, "param"): json_value(v) for k, v in (params or {}).items()},
        "model_info": json_value(model_info),
    }
