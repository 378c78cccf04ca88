"""Search runs: a filter language (MLflow's search syntax plus OR, NOT and parentheses), order-by, limit.

>>> from tracker_core.query import search_runs
>>> search_runs(store, "churn", filter="metrics.auc_roc > 0.9 AND params.model_type LIKE 'Random%'",
...             order_by="metrics.auc_roc DESC", limit=10)

Keys: ``metrics.<key>`` (last value; ``.min``/``.max``/``.mean``/``.first``/``.last``/``.count`` for aggregates),
``params.<key>``, ``tags.<key>``, ``attributes.<name>`` (short forms ``metric.``, ``param.``, ``tag.``,
``attr.``, ``run.``), ``env.<path>``. Operators: ``= != < <= > >=``, ``[NOT] LIKE``/``ILIKE``/``RLIKE`` (regex)
(``%`` and ``_``), ``[NOT] IN (...)``, ``IS [NOT] NULL``; combined with ``AND``, ``OR``, ``NOT`` and
parentheses. See :mod:`tracker_core.query.compiler` for how values compare.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..errors import ValidationError
from ..records import RunSummary
from .compiler import Predicate, always, compile_tree
from .keys import ATTRIBUTES, Key, columns_of, getter_for, parse_key, quote_part, value_of
from .lexer import QueryError
from .order import OrderKey, parse_order_by, sort_runs
from .parser import Condition, Node, parse_filter

if TYPE_CHECKING:
    from ..store import Store

__all__ = [
    "ATTRIBUTES",
    "Key",
    "OrderKey",
    "Predicate",
    "QueryError",
    "columns_of",
    "compile_filter",
    "filter_keys",
    "getter_for",
    "parse_filter",
    "parse_key",
    "parse_order_by",
    "quote_part",
    "search_runs",
    "sort_runs",
    "value_of",
]


def compile_filter(text: str | None, *, now: float | None = None) -> Predicate:
    """A predicate over :class:`RunSummary` for a filter text; ``""`` or None accepts every run.

    Raises :class:`QueryError` (a ``ValidationError``) whose message names the column and what was
    expected. ``now`` (unix seconds) anchors relative times such as ``'today'`` and ``'2h ago'``.
    """
    if text is None or not text.strip():
        return always
    return compile_tree(parse_filter(text), text, now)


def filter_keys(text: str | None) -> list[str]:
    """The column keys a filter mentions, in order, without repeats (for showing them as columns)."""
    found: list[str] = []

    def walk(node: Node | None) -> None:
        if node is None:
            return
        if isinstance(node, Condition):
            if node.key.canonical not in found:
                found.append(node.key.canonical)
        elif hasattr(node, "items"):
            for item in node.items:
                walk(item)
        else:
            walk(node.item)

    walk(parse_filter(text) if text else None)
    return found


def search_runs(
    store: Store | None,
    experiment: str | Sequence[str] | None = None,
    *,
    filter: str | Callable[[RunSummary], bool] | None = None,
    order_by: str | Sequence[str] | Sequence[OrderKey] | None = None,
    limit: int | None = None,
    offset: int = 0,
    runs: Sequence[RunSummary] | None = None,
) -> list[RunSummary]:
    """Runs of ``experiment`` (name or id; several, or every experiment when None) that match ``filter``,
    sorted by ``order_by`` (else newest first), then ``offset`` skipped and at most ``limit`` kept.

    Pass ``runs`` to search summaries already loaded (the store is then not read).
    """
    if limit is not None and limit < 0:
        raise ValidationError(f"limit must be zero or more, got {limit}")
    if offset < 0:
        raise ValidationError(f"offset must be zero or more, got {offset}")
    predicate = filter if callable(filter) else compile_filter(filter)
    keys = _order_keys(order_by)
    if runs is None:
        if store is None:
            raise ValidationError("search_runs needs a store or a list of runs")
        if experiment is None or isinstance(experiment, str):
            runs = store.list_runs(experiment)
        else:
            runs = [run for name in experiment for run in store.list_runs(name)]
    matched = runs if predicate is always else [run for run in runs if predicate(run)]
    ordered = sort_runs(matched, keys) if keys else list(matched)
    end = None if limit is None else offset + limit
    return ordered[offset:end]


def _order_keys(order_by: str | Sequence[str] | Sequence[OrderKey] | None) -> list[OrderKey]:
    if order_by is None or isinstance(order_by, str):
        return parse_order_by(order_by)
    keys: list[OrderKey] = []
    for item in order_by:
        if isinstance(item, OrderKey):
            parse_key(item.key)
            keys.append(item)
        else:
            keys.extend(parse_order_by(item))
    return keys
