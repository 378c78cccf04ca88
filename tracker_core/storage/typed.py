"""Typed schemas of the common shape of ``run.json`` and summary-cache lines, checked at C speed.

Listings decode thousands of these files. :mod:`msgspec` parses and type-checks one against
the schemas below in a single pass, integers exact whatever their size, faster than parsing it
into dicts and checking them field by field. The schemas accept only a subset of what the
checked decoders of :mod:`.codecs` accept (the shape every writer of this version produces):
anything else (tagged non-finite floats, older files, damage of any kind) raises
:class:`msgspec.MsgspecError`, and :mod:`.codecs` then decodes the same bytes the checked way,
which accepts it or names what is wrong. The field rules themselves are those of :mod:`.codecs`.

Imported only by listings: ``msgspec`` costs a training script nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from ..records import END_STATUSES, RUNNING

_RUN_STATUSES = (RUNNING, *END_STATUSES)

Time = Annotated[float, msgspec.Meta(ge=0, lt=1e15)]
Count = Annotated[int, msgspec.Meta(ge=1)]
NonNegative = Annotated[int, msgspec.Meta(ge=0)]
RunStatus = Literal[_RUN_STATUSES]  # type: ignore[valid-type]
EndStatus = Literal[END_STATUSES]  # type: ignore[valid-type]
MsgspecError = msgspec.MsgspecError


class Metric(msgspec.Struct):
    """One metric summary of ``run.json`` as this version writes it (every field present)."""

    last: float
    min: float
    max: float
    step: int
    count: Count
    t: float
    sum: float
    first: float
    first_step: int


class RunFile(msgspec.Struct):
    """The fields of ``run.json`` a listing uses (``env`` is only checked to be an object)."""

    status: RunStatus
    name: str | None = None
    start_time: Time | None = None
    end_time: Time | None = None
    parent_id: str | None = None
    user: str | None = None
    host: str | None = None
    pid: NonNegative | None = None
    params: dict[str, Any] = {}
    tags: dict[str, Any] = {}
    metrics: dict[str, Metric] = {}
    metrics_offset: NonNegative = 0
    env: msgspec.Raw = msgspec.Raw(b"{}")
    events: list[Any] = []
    error: str | None = None


class CacheMetric(msgspec.Struct, array_like=True, forbid_unknown_fields=True):
    """One metric of a summary-cache line: nine values in :class:`~tracker_core.records.MetricSummary` order."""

    last: float
    min: float
    max: float
    step: int
    count: Count
    t: float
    sum: float | None
    first: float | None
    first_step: int | None


class CacheLine(msgspec.Struct, array_like=True, forbid_unknown_fields=True):
    """One summary-cache line: a run id, its ``run.json`` stamp, then its summary positionally."""

    run_id: Annotated[str, msgspec.Meta(min_length=1)]
    ino: NonNegative
    size: NonNegative
    mtime: NonNegative
    name: str
    status: EndStatus
    start_time: Time | None
    end_time: Time | None
    parent_id: str | None
    user: str | None
    host: str | None
    pid: NonNegative | None
    params: dict[str, Any]
    tags: dict[str, Any]
    metrics: dict[str, CacheMetric]
    error: str | None


decode_run_file = msgspec.json.Decoder(RunFile).decode
decode_cache_line = msgspec.json.Decoder(CacheLine).decode
