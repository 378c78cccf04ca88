"""Column keys (``metrics.loss.min``, ``params.lr``, ``attributes.status``...) and how to read them from a run.

A key is a section and a name. Sections, with their short forms:

- ``metrics.<key>`` (``metric.``): the last value; ``.last``, ``.min``, ``.max``, ``.mean``, ``.first``
  or ``.count`` (its number of points) picks an aggregate. A metric whose own name ends in ``.min``
  wins over the aggregate reading. ``mean`` and ``first`` are missing for metrics logged more than
  once by older versions (see :class:`~tracker_core.records.MetricSummary`).
- ``params.<key>`` (``param.``), ``tags.<key>`` (``tag.``): the value as logged (JSON types kept).
- ``attributes.<name>`` (``attribute.``, ``attr.``, ``run.``, or the bare name): see :data:`ATTRIBUTES`.
- ``env.<path>``: the run's environment record, nested keys joined by dots (``env.git.commit``).

Parts with spaces or other characters go in backticks or double quotes: ``metrics.`f1 score```.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from typing import Any

from ..records import AGGREGATE_FIELDS, RunSummary
from .lexer import QueryError, Token, tokenize

Getter = Callable[[RunSummary], Any]

SECTIONS = {
    "metrics": "metrics",
    "metric": "metrics",
    "params": "params",
    "param": "params",
    "tags": "tags",
    "tag": "tags",
    "attributes": "attributes",
    "attribute": "attributes",
    "attr": "attributes",
    "run": "attributes",
    "env": "env",
}
ATTRIBUTES = (
    "id",
    "name",
    "status",
    "start_time",
    "end_time",
    "duration",
    "user",
    "host",
    "parent_id",
    "experiment_id",
    "error",
)
"""Attribute names, in the order tables show them."""
ATTRIBUTE_ALIASES = {
    "run_id": "id",
    "run_name": "name",
    "user_id": "user",
    "created": "start_time",
    "start": "start_time",
    "end": "end_time",
}
TIME_ATTRIBUTES = frozenset({"start_time", "end_time"})
AGGREGATES = tuple(AGGREGATE_FIELDS)
"""Metric aggregates a key may end in: last, min, max, mean, first, count."""


@dataclass(frozen=True, slots=True)
class Key:
    """A resolved column key. ``name`` is the metric/param/tag key, attribute name or env path;
    ``aggregate`` is set for metrics; ``fallback`` is the metric read if ``name`` was never logged
    (``metrics.loss.min`` reads metric ``loss.min`` if it exists, else the ``min`` of ``loss``)."""

    section: str
    name: str
    aggregate: str | None = None
    fallback: tuple[str, str] | None = None

    @property
    def canonical(self) -> str:
        """The key written in full (``metrics.loss.min``, ``attributes.status``)."""
        if self.section == "metrics" and self.aggregate != "last":
            return f"metrics.{quote_part(self.name, always=True)}.{self.aggregate}"
        return f"{self.section}.{quote_part(self.name)}"

    def getter(self) -> Getter:
        """A fast function reading this key from a run (None where the run lacks it)."""
        return _getter(self)


def _attribute_getter(name: str) -> Getter:
    if name == "duration":
        return lambda run: run.duration
    # Plain fields of RunSummary: an attrgetter-like closure without the import.
    return lambda run: getattr(run, name)


def _getter(key: Key) -> Getter:
    name = key.name
    section = key.section
    if section == "params":
        return lambda run: run.params.get(name)
    if section == "tags":
        return lambda run: run.tags.get(name)
    if section == "attributes":
        return _attribute_getter(name)
    if section == "env":
        path = tuple(name.split("."))
        return lambda run: _dig(run.env, path)
    pick = attrgetter(AGGREGATE_FIELDS[key.aggregate or "last"])
    if key.fallback is None:

        def metric(run: RunSummary) -> Any:
            m = run.metrics.get(name)
            return None if m is None else pick(m)

        return metric
    base, pick_base = key.fallback[0], attrgetter(AGGREGATE_FIELDS[key.fallback[1]])

    def metric_or_aggregate(run: RunSummary) -> Any:
        m = run.metrics.get(name)
        if m is not None:
            return pick(m)
        m = run.metrics.get(base)
        return None if m is None else pick_base(m)

    return metric_or_aggregate


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _segments(tokens: Sequence[Token]) -> list[tuple[str, bool]]:
    """(text, quoted) parts of a key: bare words split on dots, quoted parts kept whole."""
    parts: list[tuple[str, bool]] = []
    for tok in tokens:
        if tok.kind == "quoted":
            parts.append((tok.value, True))
        else:
            parts.extend((p, False) for p in tok.text.split(".") if p)
    return parts


def resolve_key(tokens: Sequence[Token], text: str) -> Key:
    """The key spelled by adjacent word/quoted ``tokens`` of ``text``; QueryError if it names nothing."""
    start = tokens[0].start
    shown = text[start : tokens[-1].end]
    parts = _segments(tokens)
    if len(parts) == 1 and parts[0][1] and "." in parts[0][0]:
        # "metrics.f1 score" quoted as a whole: split off the section.
        prefix, remainder = parts[0][0].split(".", 1)
        if prefix.lower() in SECTIONS:
            parts = [(prefix, False), (remainder, True)]
    if not parts:
        raise QueryError(f"empty key at column {start + 1}", text, start)
    head, head_quoted = parts[0]
    section = None if head_quoted else SECTIONS.get(head.lower())
    if section is None:
        if len(parts) == 1 and not head_quoted:
            attribute = _attribute_name(head)
            if attribute is not None:
                return Key("attributes", attribute)
        raise QueryError(
            f"unknown key {shown!r} at column {start + 1}: start it with metrics., params., tags. or attributes.",
            text,
            start,
        )
    rest = parts[1:]
    if not rest:
        raise QueryError(f"expected a key name after {shown!r} at column {start + 1}", text, start)
    name = ".".join(p for p, _ in rest)
    if section == "attributes":
        attribute = _attribute_name(name)
        if attribute is None:
            raise QueryError(
                f"unknown attribute {name!r} at column {start + 1}; attributes are {', '.join(ATTRIBUTES)}",
                text,
                start,
            )
        return Key("attributes", attribute)
    if section != "metrics":
        return Key(section, name)
    last, last_quoted = rest[-1]
    if len(rest) > 1 and not last_quoted and last.lower() in AGGREGATES:
        base = ".".join(p for p, _ in rest[:-1])
        if any(quoted for _, quoted in rest[:-1]):  # metrics.`loss`.min: surely the aggregate
            return Key("metrics", base, last.lower())
        return Key("metrics", name, "last", fallback=(base, last.lower()))
    return Key("metrics", name, "last")


def _attribute_name(name: str) -> str | None:
    lowered = name.lower()
    if lowered in ATTRIBUTES:
        return lowered
    return ATTRIBUTE_ALIASES.get(lowered)


def key_from_tokens(tokens: Sequence[Token], text: str) -> Key:
    """The key spelled by ``tokens`` of ``text``, which must be adjacent words or quoted parts."""
    for prev, tok in itertools.pairwise(tokens):
        if tok.start != prev.end or tok.kind not in ("word", "quoted"):
            raise QueryError(f"unexpected {tok.shown()} after a key at column {tok.start + 1}", text, tok.start)
    first = tokens[0]
    if first.kind not in ("word", "quoted"):
        raise QueryError(f"expected a key at column {first.start + 1}, found {first.shown()}", text, first.start)
    return resolve_key(tokens, text)


@lru_cache(maxsize=1024)
def parse_key(key: str) -> Key:
    """Resolve a key given as text (``"metrics.loss.min"``, ``"params.lr"``, ``"status"``)."""
    body = tokenize(key)[:-1]
    if not body:
        raise QueryError("empty key", key, 0)
    return key_from_tokens(body, key)


@lru_cache(maxsize=1024)
def getter_for(key: str) -> Getter:
    """A fast function reading ``key`` from a run: use it in loops instead of :func:`value_of`."""
    return parse_key(key).getter()


def value_of(run: RunSummary, key: str) -> Any:
    """The value of a column key for one run, None if the run lacks it.

    >>> value_of(run, "metrics.loss.min"), value_of(run, "params.lr"), value_of(run, "attributes.status")
    """
    return getter_for(key)(run)


def columns_of(runs: Iterable[RunSummary]) -> list[str]:
    """Every column key these runs have: attributes, then ``metrics.*``, ``params.*``, ``tags.*`` sorted."""
    metrics: set[str] = set()
    params: set[str] = set()
    tags: set[str] = set()
    for run in runs:
        metrics.update(run.metrics)
        params.update(run.params)
        tags.update(run.tags)
    return (
        [f"attributes.{a}" for a in ATTRIBUTES]
        + [f"metrics.{quote_part(k)}" for k in sorted(metrics)]
        + [f"params.{quote_part(k)}" for k in sorted(params)]
        + [f"tags.{quote_part(k)}" for k in sorted(tags)]
    )


def quote_part(name: str, *, always: bool = False) -> str:
    """``name`` as it must be written after a section prefix (backticks if it needs them or ``always``)."""
    if not always:
        try:
            tokens = tokenize(name)
        except QueryError:
            tokens = []
        plain = len(tokens) == 2 and tokens[0].kind == "word" and tokens[0].text == name
        if plain and ".." not in name and not name.endswith("."):
            return name
    return f"`{name}`" if "`" not in name else '"' + name.replace('"', '""') + '"'
