"""Order-by: ``"metrics.auc_roc DESC, params.max_depth"`` parsed into keys, and a stable sort.

Missing values and NaN always sort last, whatever the direction. Numbers (and text that spells a
number) sort numerically before other text, a number before the text that spells it (``100`` before
``"100"``); text sorts case-insensitively, ties broken by case; then booleans, then lists and objects.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, NamedTuple

from ..records import RunSummary
from .keys import getter_for, key_from_tokens
from .lexer import QueryError, Token, tokenize
from .literals import as_number


class OrderKey(NamedTuple):
    """One sort key: a column key and its direction."""

    key: str
    descending: bool = False


def parse_order_by(text: str | Sequence[str] | None) -> list[OrderKey]:
    """``"metrics.auc_roc DESC, params.max_depth"`` (or a list of such items) as :class:`OrderKey` s.

    Each item is a key followed by ``ASC`` (default) or ``DESC``; a leading ``-`` also means descending.
    An empty text means no ordering. Raises :class:`QueryError` naming the column of a bad item.
    """
    if text is None:
        return []
    if not isinstance(text, str):
        return [k for item in text for k in parse_order_by(item)]
    # A '-' opening an item means DESC; blank it out (same length, so columns stay right).
    minus_at = {m.end() - 1 for m in _MINUS_RE.finditer(text)}
    chars = "".join(" " if i in minus_at else ch for i, ch in enumerate(text))
    tokens = tokenize(chars)
    if tokens[0].kind == "end":
        return []
    keys: list[OrderKey] = []
    group: list[Token] = []
    for tok in tokens:
        if tok.kind in ("comma", "end"):
            keys.append(_order_key(text, group, tok, minus_at))
            group = []
        else:
            group.append(tok)
    return keys


_MINUS_RE = re.compile(r"(?:^|,)\s*-")


def _order_key(text: str, group: list[Token], stop: Token, minus_at: set[int]) -> OrderKey:
    if not group:
        raise QueryError(f"expected a key to sort by at column {stop.start + 1}", text, stop.start)
    descending = any(i < group[0].start and text[i + 1 : group[0].start].strip() == "" for i in minus_at)
    body = group
    last = group[-1]
    if last.kind == "keyword" and last.value in ("ASC", "DESC") and len(group) > 1:
        descending = last.value == "DESC"
        body = group[:-1]
    for prev, tok in itertools.pairwise(body):
        if tok.start != prev.end:
            raise QueryError(
                f"expected ASC, DESC or ',' at column {tok.start + 1}, found {tok.shown()}", text, tok.start
            )
    key_from_tokens(body, text)
    return OrderKey(text[body[0].start : body[-1].end], descending)


_NUMERIC_OR_NONE = frozenset({float, int, type(None)})


def _rank(value: Any) -> tuple[int, Any, str]:
    """A total order over mixed values: numbers, then text, then booleans, then the rest.

    The third field breaks ties between a number and text spelling it (``""`` sorts first).
    """
    t = type(value)
    if t is float or t is int:
        return (0, value, "")
    if t is str:
        number = as_number(value)
        if number is not None:
            return (0, number, value or " ")
        return (1, value.casefold(), value)
    if t is bool:
        return (2, value, "")
    return (3, repr(value), "")


def sort_runs(runs: Iterable[RunSummary], keys: Sequence[OrderKey] | str | None) -> list[RunSummary]:
    """A new list of ``runs`` sorted by ``keys``; stable, missing values and NaN last in every direction."""
    result = list(runs)
    order = parse_order_by(keys) if isinstance(keys, str) or keys is None else keys
    columns = [(partial(_mapped, getter_for(key), result), descending) for key, descending in order]
    index = sorted_positions(len(result), columns)
    return list(map(result.__getitem__, index))


def _mapped(get: Callable[[RunSummary], Any], runs: list[RunSummary]) -> list[Any]:
    return list(map(get, runs))


def sorted_positions(count: int, columns: Sequence[tuple[Callable[[], list[Any]], bool]]) -> list[int]:
    """Positions ``0..count-1`` ordered by ``columns``: (a function giving the column's values, descending).

    The first column decides first; stable; None and NaN last in every direction; mixed values in
    the order of the module docstring. Each column's values are asked for only when it is sorted on.
    """
    # One stable pass per column, last column first, over positions: no per-item tuples for the
    # garbage collector, and the items themselves are reordered once by the caller.
    index: Sequence[int] = range(count)
    for values_of, descending in reversed(columns):
        values = values_of()
        present = [i for i in index if (v := values[i]) is not None and v == v]  # NaN != NaN
        missing = [] if len(present) == len(index) else [i for i in index if (v := values[i]) is None or v != v]
        if set(map(type, values)) <= _NUMERIC_OR_NONE:
            present.sort(key=values.__getitem__, reverse=descending)
        else:
            ranks = list(map(_rank, values))
            present.sort(key=ranks.__getitem__, reverse=descending)
        index = present + missing
    return list(index)
