"""One codec per store file kind: what each file holds, checked field by field on the way in.

A decoder gets parsed JSON and returns typed records, or raises :class:`~tracker_core.errors.
CorruptFileError` whose reason names the field and what it holds. A file that parses but holds
a wrong-typed or out-of-range field is therefore unreadable exactly like a truncated one, and
listings show it as such (with that reason) while everything around it lists normally.

The rules (format v1):

- marker: an object with ``"format": "tui-track"`` and an integer ``version``;
- ``experiment.json``: ``id`` (the folder's name), ``name`` (a non-empty string), ``created``
  (a number), ``tags`` (an object), ``deleted`` (a boolean);
- ``run.json``: ``status`` (running, finished, failed, killed); ``name``, ``parent_id``,
  ``user``, ``host``, ``error``: a string or null; ``start_time``/``end_time``: a finite number
  >= 0 or null; ``pid``: an integer >= 0 or null; ``params``, ``tags``, ``env``: objects;
  ``metrics``: an object of metric summaries (``last``/``min``/``max``: numbers, ``step``: an
  integer, ``count``: an integer >= 1, ``t``: a number; optional ``sum`` (a number) and ``first``
  (a number) with ``first_step`` (an integer): absent in files of older versions, where a metric
  logged once gets them from its one point); ``metrics_offset``: an integer >= 0;
  ``events`` (optional): a list of objects, each with ``time`` (a time) and ``event`` (a
  non-empty string) and any other JSON fields (see :mod:`tracker_core.resume`);
- a summary-cache line: the same fields, positionally (nine per metric; a line of an older version,
  six per metric, is a cache miss like any bad line);
- a metric history line: ``k`` a string, ``v`` a number, ``s`` an integer, ``t`` a number; a bad
  complete line is skipped (the file is append-only and its other lines stay good).

Integers and floats: ``bool`` is never accepted as a number. Non-finite floats use the tagged
form of :mod:`tracker_core.jsonio`.
"""

from __future__ import annotations

import math
import os
from typing import Any

from ..errors import CorruptFileError
from ..jsonio import FLOAT_TAG, all_finite, encode_float, parse_bytes, restore, restore_values, to_jsonable
from ..records import END_STATUSES, RUNNING, Experiment, MetricPoint, MetricSummary, RunSummary
from .layout import EXPERIMENT_FILE, MARKER_FILE, RUN_FILE

FORMAT_NAME = "tui-track"
FORMAT_VERSION = 1
RUN_STATUSES = (RUNNING, *END_STATUSES)
"""Statuses a ``run.json`` may hold (crashed and unreadable are what readers conclude)."""
SUMMARY_CACHE_VERSION = 1

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_NUMBER = (int, float)


class _Bad(Exception):
    """A field failed its check; the message says which and why."""


def _show(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40] + '...' if len(text) > 40 else text}"


def _number(value: Any, field: str) -> float:
    kind = type(value)
    if kind is float:
        return value  # type: ignore[no-any-return]
    if kind is int:
        try:
            return float(value)
        except OverflowError:
            pass  # beyond a float's range: not a number a metric can hold
    elif kind is dict and len(value) == 1 and value.get(FLOAT_TAG) in _NONFINITE:
        return _NONFINITE[value[FLOAT_TAG]]
    raise _Bad(f'field "{field}" must be a number, not {_show(value)}')


def _time(value: Any, field: str) -> float | None:
    if value is None:
        return None
    if (type(value) is float or type(value) is int) and 0 <= value < 1e15:
        return float(value)
    raise _Bad(f'field "{field}" must be a time (a number >= 0) or null, not {_show(value)}')


def _int(value: Any, field: str, minimum: int | None = None) -> int:
    if type(value) is not int or (minimum is not None and value < minimum):
        allowed = "an integer" if minimum is None else f"an integer >= {minimum}"
        raise _Bad(f'field "{field}" must be {allowed}, not {_show(value)}')
    return value


def _opt_str(value: Any, field: str) -> str | None:
    if value is None or type(value) is str:
        return value
    raise _Bad(f'field "{field}" must be a string or null, not {_show(value)}')


def _object(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if type(value) is dict:
        return value
    raise _Bad(f'field "{field}" must be an object, not {_show(value)}')


def _events(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if type(value) is not list:
        raise _Bad(f'field "events" must be a list, not {_show(value)}')
    for i, event in enumerate(value):
        if type(event) is not dict:
            raise _Bad(f'field "events[{i}]" must be an object, not {_show(event)}')
        if _time(event.get("time"), f"events[{i}].time") is None:
            raise _Bad(f'field "events[{i}].time" is missing')
        if type(event.get("event")) is not str or not event["event"]:
            raise _Bad(f'field "events[{i}].event" must be a non-empty string, not {_show(event.get("event"))}')
    return value


def _corrupt(path: str, exc: _Bad) -> CorruptFileError:
    return CorruptFileError(path, str(exc))


# ------------------------------------------------------------------ marker
def encode_marker(created: float) -> dict[str, Any]:
    """The marker of a new store."""
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "created": created}


def decode_marker(data: Any) -> int:
    """The format version a marker declares (the caller refuses versions it cannot read)."""
    if type(data) is not dict or data.get("format") != FORMAT_NAME:
        raise CorruptFileError(MARKER_FILE, f'not a tui-track store marker (needs "format": "{FORMAT_NAME}")')
    try:
        return _int(data.get("version"), "version", 1)
    except _Bad as exc:
        raise _corrupt(MARKER_FILE, exc) from None


# ------------------------------------------------------------------ experiment.json
def encode_experiment(exp_id: str, name: str, created: float, tags: dict[str, Any], deleted: bool) -> dict[str, Any]:
    """An ``experiment.json`` document."""
    return {"id": exp_id, "name": name, "created": created, "tags": dict(tags), "deleted": deleted}


def decode_experiment(data: Any, exp_id: str) -> Experiment:
    """An experiment from its parsed ``experiment.json`` in folder ``exp_id`` (counts left at zero)."""
    try:
        if type(data) is not dict:
            raise _Bad(f"not a JSON object but {type(data).__name__}")
        if data.get("id") != exp_id:
            raise _Bad(f'field "id" must be the folder name {exp_id!r}, not {_show(data.get("id"))}')
        name = data.get("name")
        if type(name) is not str or not name:
            raise _Bad(f'field "name" must be a non-empty string, not {_show(name)}')
        created = _time(data.get("created", 0.0), "created") or 0.0
        tags = restore_values(_object(data.get("tags"), "tags"))
        deleted = data.get("deleted", False)
        if type(deleted) is not bool:
            raise _Bad(f'field "deleted" must be true or false, not {_show(deleted)}')
    except _Bad as exc:
        raise _corrupt(EXPERIMENT_FILE, exc) from None
    return Experiment(id=exp_id, name=name, created=created, tags=tags, deleted=deleted)


# ------------------------------------------------------------------ run.json
def run_record(
    *,
    run_id: str,
    experiment_id: str,
    name: str,
    status: str,
    start_time: float | None,
    end_time: float | None = None,
    parent_id: str | None = None,
    user: str | None = None,
    host: str | None = None,
    pid: int | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    models: list[str] | None = None,
    env: dict[str, Any] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """A ``run.json`` document: the one schema of a run's file, for writers, imports and merges.

    ``pid`` is None for a run with no local writer (imported or merged).
    """
    return {
        "id": run_id,
        "experiment_id": experiment_id,
        "name": name,
        "status": status,
        "start_time": start_time,
        "end_time": end_time,
        "parent_id": parent_id,
        "user": user,
        "host": host,
        "pid": pid,
        "params": dict(params or {}),
        "tags": dict(tags or {}),
        "models": list(models or ()),
        "env": dict(env or {}),
        "error": error,
        "metrics": {},
        "metrics_offset": 0,
    }


def encode_run(data: dict[str, Any], summaries: dict[str, MetricSummary], metrics_offset: int) -> dict[str, Any]:
    """``data`` (a :func:`run_record`) with its metric summaries and history offset filled in."""
    data["metrics"] = summaries_to_json(summaries)
    data["metrics_offset"] = metrics_offset
    return data


def summaries_to_json(summaries: dict[str, MetricSummary]) -> dict[str, dict[str, Any]]:
    """The ``metrics`` field of ``run.json``: each metric's last, min, max, step, count, time, sum and first."""
    out: dict[str, dict[str, Any]] = {}
    for k, s in summaries.items():
        m: dict[str, Any] = {
            "last": s.last,
            "min": s.min,
            "max": s.max,
            "step": s.step,
            "count": s.count,
            "t": s.timestamp,
        }
        if s.sum is not None:
            m["sum"] = s.sum
        if s.first_step is not None:
            m["first"], m["first_step"] = s.first_value, s.first_step
        out[k] = m
    return out


def summaries_from_json(metrics: Any) -> dict[str, MetricSummary]:
    """Inverse of :func:`summaries_to_json`, checked (raises :class:`CorruptFileError`)."""
    try:
        return _summaries(metrics)
    except _Bad as exc:
        raise _corrupt(RUN_FILE, exc) from None


def _summaries(metrics: Any) -> dict[str, MetricSummary]:
    out: dict[str, MetricSummary] = {}
    for k, m in _object(metrics, "metrics").items():
        if type(m) is not dict:
            raise _Bad(f'metric "{k}" must be an object, not {_show(m)}')
        get = m.get
        last, low, high, step, count, t = get("last"), get("min"), get("max"), get("step"), get("count"), get("t")
        total, first, first_step = get("sum"), get("first"), get("first_step")
        if (  # the shape every writer produces, checked without building field names (hot in listings)
            type(last) is float and type(low) is float and type(high) is float and type(t) is float
            and type(step) is int and type(count) is int and count >= 1
            and type(total) is float and type(first) is float and type(first_step) is int
        ):  # fmt: skip
            out[k] = MetricSummary(last, low, high, step, count, t, total, first, first_step)
            continue
        field = f"metrics.{k}"
        try:
            summary = MetricSummary(
                _number(m["last"], f"{field}.last"),
                _number(m["min"], f"{field}.min"),
                _number(m["max"], f"{field}.max"),
                _int(m["step"], f"{field}.step"),
                _int(m["count"], f"{field}.count", 1),
                _number(m["t"], f"{field}.t"),
            )
        except KeyError as exc:
            raise _Bad(f'metric "{k}" lacks field {exc}') from None
        if total is not None:
            summary.sum = _number(total, f"{field}.sum")
        if (first is None) != (first_step is None):
            raise _Bad(f'metric "{k}" needs both "first" and "first_step" or neither')
        if first_step is not None:
            summary.first_value = _number(first, f"{field}.first")
            summary.first_step = _int(first_step, f"{field}.first_step")
        out[k] = _complete(summary)
    return out


def _complete(s: MetricSummary) -> MetricSummary:
    """A summary of an older file: a metric logged once has its sum and first value in ``last``."""
    if s.count == 1:
        if s.sum is None:
            s.sum = s.last
        if s.first_step is None:
            s.first_value, s.first_step = s.last, s.step
    return s


def metrics_offset(data: dict[str, Any]) -> int:
    """The checked ``metrics_offset`` of a decoded ``run.json`` (0 when absent)."""
    try:
        return _int(data.get("metrics_offset", 0), "metrics_offset", 0)
    except _Bad as exc:
        raise _corrupt(RUN_FILE, exc) from None


def decode_run(data: Any, run_id: str, exp_id: str, deleted: bool, *, with_env: bool = True) -> RunSummary:
    """A run as listed, from its parsed ``run.json`` (read raw: tagged floats still tagged)."""
    try:
        if type(data) is not dict:
            raise _Bad(f"not a JSON object but {type(data).__name__}")
        get = data.get
        status = get("status")
        if status is None:
            raise _Bad('field "status" is missing')
        if status not in RUN_STATUSES or type(status) is not str:
            raise _Bad(f'field "status" must be one of {", ".join(RUN_STATUSES)}, not {_show(status)}')
        name = _opt_str(get("name"), "name") or run_id[:8]
        pid = get("pid")
        if pid is not None:
            _int(pid, "pid", 0)
        _int(get("metrics_offset", 0), "metrics_offset", 0)
        env = _object(get("env"), "env")
        events = _events(get("events"))
        return RunSummary(
            id=run_id,
            experiment_id=exp_id,
            name=name,
            status=status,
            start_time=_time(get("start_time"), "start_time"),
            end_time=_time(get("end_time"), "end_time"),
            params=restore_values(_object(get("params"), "params")),
            tags=restore_values(_object(get("tags"), "tags")),
            metrics=_summaries(get("metrics")),
            parent_id=_opt_str(get("parent_id"), "parent_id"),
            user=_opt_str(get("user"), "user"),
            host=_opt_str(get("host"), "host"),
            pid=pid,
            env=restore(env) if with_env else {},
            error=_opt_str(get("error"), "error"),
            deleted=deleted,
            events=restore(events) if with_env else [],
        )
    except _Bad as exc:
        raise _corrupt(RUN_FILE, exc) from None


_TYPED: Any = None


def _load_typed() -> Any:
    """:mod:`.typed`, imported on first use (by a listing: msgspec costs a training script nothing)."""
    global _TYPED
    from . import typed

    _TYPED = typed
    return typed


def decode_run_bytes(raw: bytes, run_id: str, exp_id: str, deleted: bool, *, with_env: bool = True) -> RunSummary:
    """:func:`decode_run` from the bytes of a ``run.json``; raises :class:`CorruptFileError`.

    A listing (``with_env=False``) first tries the typed schema of :mod:`.typed`, which checks the
    shape every writer produces at C speed; bytes it refuses are decoded the checked way.
    """
    if not with_env:
        typed = _TYPED or _load_typed()
        try:
            doc = typed.decode_run_file(raw)
        except typed.MsgspecError:
            doc = None
        if doc is not None and not doc.events:
            env = bytes(doc.env)
            if env == b"null" or env.startswith(b"{"):
                return _typed_summary(doc, run_id, exp_id, doc.name or run_id[:8], deleted)
    return decode_run(parse_bytes(raw, RUN_FILE, raw=True), run_id, exp_id, deleted, with_env=with_env)


def _typed_summary(doc: Any, run_id: str, exp_id: str, name: str, deleted: bool = False) -> RunSummary:
    """A listed summary from a document of :mod:`.typed` (a run file or a cache line: same field names)."""
    return RunSummary(
        id=run_id,
        experiment_id=exp_id,
        name=name,
        status=doc.status,
        start_time=doc.start_time,
        end_time=doc.end_time,
        params=restore_values(doc.params),
        tags=restore_values(doc.tags),
        metrics={
            k: MetricSummary(m.last, m.min, m.max, m.step, m.count, m.t, m.sum, m.first, m.first_step)
            if m.first_step is not None
            else MetricSummary(m.last, m.min, m.max, m.step, m.count, m.t, m.sum)  # first unknown: none kept
            for k, m in doc.metrics.items()
        },
        parent_id=doc.parent_id,
        user=doc.user,
        host=doc.host,
        pid=doc.pid,
        error=doc.error,
        deleted=deleted,
    )


def decode_run_for_writer(data: Any, run_id: str, exp_id: str) -> dict[str, Any]:
    """A ``run.json`` a resuming writer continues: checked like :func:`decode_run`, summaries as objects."""
    decode_run(data, run_id, exp_id, False)
    data = restore(data)
    data["metrics"] = summaries_from_json(data.get("metrics"))
    data["metrics_offset"] = metrics_offset(data)
    for key in ("params", "tags", "env"):
        data[key] = data.get(key) or {}
    return data  # type: ignore[no-any-return]


# ------------------------------------------------------------------ summary cache lines
def encode_cache_header() -> dict[str, Any]:
    return {"version": SUMMARY_CACHE_VERSION}


def decode_cache_header(data: Any) -> bool:
    """Whether a parsed first line is the header this version writes."""
    return bool(data == {"version": SUMMARY_CACHE_VERSION})


Stamp = tuple[int, int, int]
"""inode, size, mtime_ns of a ``run.json``: the cache trusts an entry only while they match."""


def stamp_of(st: os.stat_result) -> Stamp:
    """The :data:`Stamp` of a ``run.json`` from its ``os.stat``."""
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def encode_cache_entry(run_id: str, summary: RunSummary, stamp: Stamp) -> list[Any]:
    """One summary-cache line (a JSON array), non-finite floats already tagged (for :func:`dumps_tagged_bytes`)."""
    metrics = {k: _cache_metric(m) for k, m in summary.metrics.items()}
    params = summary.params if all_finite(summary.params) else to_jsonable(summary.params)
    tags = summary.tags if all_finite(summary.tags) else to_jsonable(summary.tags)
    return [
        run_id, *stamp, summary.name, summary.status, summary.start_time, summary.end_time, summary.parent_id,
        summary.user, summary.host, summary.pid, params, tags, metrics, summary.error,
    ]  # fmt: skip


def _cache_metric(m: MetricSummary) -> list[Any]:
    last, low, high, total, first = m.last, m.min, m.max, m.sum, m.first_value
    if total is not None and first is not None and (x := last + low + high + total + first) - x == 0.0:
        return [last, low, high, m.step, m.count, m.timestamp, total, first, m.first_step]  # all finite: as they are
    return [
        encode_float(last), encode_float(low), encode_float(high), m.step, m.count, m.timestamp,
        None if total is None else encode_float(total), None if first is None else encode_float(first), m.first_step,
    ]  # fmt: skip


def decode_cache_line(line: bytes, exp_id: str) -> tuple[str, Stamp, RunSummary] | None:
    """A cached summary from one line of the cache file, or None when the line is not a valid entry.

    The typed schema of :mod:`.typed` decodes the usual line at C speed; a line it refuses (a
    tagged non-finite float, damage) is parsed and checked by :func:`decode_cache_entry`.
    """
    typed = _TYPED or _load_typed()
    try:
        c = typed.decode_cache_line(line)
    except typed.MsgspecError:
        c = None
    if c is not None and all(m.first_step is None or m.first is not None for m in c.metrics.values()):
        return c.run_id, (c.ino, c.size, c.mtime), _typed_summary(c, c.run_id, exp_id, c.name)
    try:
        return decode_cache_entry(parse_bytes(line, "summary cache", raw=True), exp_id)
    except CorruptFileError:
        return None


def decode_cache_entry(rec: Any, exp_id: str) -> tuple[str, Stamp, RunSummary] | None:
    """A cached summary from a parsed line, or None when the line is not a valid entry (a miss)."""
    try:
        if type(rec) is not list or len(rec) != 16:
            return None
        run_id, ino, size, mtime, name, status, start, end, parent, user, host, pid, params, tags, metrics, error = rec
        if type(run_id) is not str or not run_id or type(name) is not str or status not in END_STATUSES:
            return None
        stamp = (_int(ino, "ino", 0), _int(size, "size", 0), _int(mtime, "mtime", 0))
        if pid is not None:
            _int(pid, "pid", 0)
        if type(metrics) is not dict:
            return None
        summaries: dict[str, MetricSummary] = {}
        for k, m in metrics.items():
            if type(m) is not list or len(m) != 9:
                return None
            total, first, first_step = m[6], m[7], m[8]
            summaries[k] = MetricSummary(
                _number(m[0], k), _number(m[1], k), _number(m[2], k), _int(m[3], k), _int(m[4], k, 1), _number(m[5], k),
                None if total is None else _number(total, k),
                None if first_step is None else _number(first, k),
                None if first_step is None else _int(first_step, k),
            )  # fmt: skip
        summary = RunSummary(
            id=run_id,
            experiment_id=exp_id,
            name=name,
            status=status,
            start_time=_time(start, "start_time"),
            end_time=_time(end, "end_time"),
            params=restore_values(_object(params, "params")),
            tags=restore_values(_object(tags, "tags")),
            metrics=summaries,
            parent_id=_opt_str(parent, "parent_id"),
            user=_opt_str(user, "user"),
            host=_opt_str(host, "host"),
            pid=pid,
            error=_opt_str(error, "error"),
        )
    except (_Bad, TypeError, ValueError):
        return None
    return run_id, stamp, summary


# ------------------------------------------------------------------ metric history lines
def decode_point(rec: Any) -> MetricPoint | None:
    """A metric point from a parsed history line, or None when the line is not one."""
    if type(rec) is not dict:
        return None
    try:
        key, step, ts = rec["k"], rec["s"], rec["t"]
        if type(key) is not str or type(step) is not int or (type(ts) is not float and type(ts) is not int):
            return None
        return MetricPoint(key, _number(rec["v"], "v"), step, float(ts))
    except (KeyError, _Bad):
        return None
