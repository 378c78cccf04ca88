"""Turning a parsed filter into one Python closure per condition, fast enough for 100k runs.

Semantics, chosen to match what a user typing a filter expects:

- A run without the key fails every comparison (``=``, ``!=``, ``LIKE``, ``IN`` and their NOT forms),
  like SQL and MLflow; ``IS NULL`` finds it, and ``NOT (...)`` negates a whole condition.
- A number compares numerically with numbers and with text that spells a number (``'100'`` and ``100``
  match a param logged as ``100`` or ``"100"``). Other text compares as text, case-sensitively;
  ``ILIKE`` ignores case; ``RLIKE`` takes a Python regular expression found anywhere in the text.
  ``TRUE``/``FALSE`` match booleans and ``'true'``/``'false'``.
- ``metrics.x = NaN`` finds NaN values; any other comparison with a NaN value is false (``!=`` true).
- ``attributes.status`` values are checked against the known statuses, case-insensitively.
- ``attributes.start_time``/``end_time`` take ISO dates/times in local time, ``'today'``,
  ``'3d ago'`` or unix seconds; a bare date such as ``'2026-11-01'`` means its midnight for
  ``< <= > >=`` and the whole day for ``=``, ``!=`` and ``IN``.
- ``attributes.duration`` takes seconds or ``'90s'``, ``'5m'``, ``'1h30m'``.
"""

from __future__ import annotations

import json
import math
import operator
import re
import time
from collections.abc import Callable
from typing import Any

from ..records import STATUSES, RunSummary
from .keys import TIME_ATTRIBUTES, Getter, Key
from .lexer import QueryError
from .literals import DATE_HELP, DURATION_HELP, as_number, day_end, parse_duration, parse_time
from .parser import And, Condition, Literal, Node, Not

Predicate = Callable[[RunSummary], bool]
Test = Callable[[Any], bool]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_EQUALITY = ("=", "!=")
_BOOLS = {"true": True, "false": False}


def text_of(value: Any) -> str:
    """How a non-text value reads for LIKE and text comparisons."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def always(run: RunSummary) -> bool:
    """The predicate of an empty filter."""
    return True


class _Compiler:
    def __init__(self, text: str, now: float) -> None:
        self.text = text
        self.now = now

    def error(self, message: str, at: Literal | Condition, tail: str = "") -> QueryError:
        return QueryError(f"{message} at column {at.start + 1}{tail}", self.text, at.start)

    def node(self, node: Node) -> Predicate:
        if isinstance(node, Condition):
            return self.condition(node)
        if isinstance(node, Not):
            inner = self.node(node.item)
            return lambda run: not inner(run)
        preds = [self.node(item) for item in node.items]
        combined = preds[0]
        for pred in preds[1:]:
            combined = _and(combined, pred) if isinstance(node, And) else _or(combined, pred)
        return combined

    def condition(self, cond: Condition) -> Predicate:
        get = cond.key.getter()
        if cond.op == "IS NULL":
            if cond.negated:
                return lambda run: get(run) is not None
            return lambda run: get(run) is None
        if cond.op in ("LIKE", "ILIKE"):
            test = _like_test(cond.values[0].raw, cond.op == "ILIKE")
        elif cond.op == "RLIKE":
            test = self.regex_test(cond.values[0])
        elif cond.op == "IN":
            test = self.membership(cond.key, cond.values)
        else:
            test = self.comparison(cond.key, cond.op, cond.values[0])
        return _present_and(get, test, cond.negated)

    def comparison(self, key: Key, op: str, lit: Literal) -> Test:
        value = lit.value
        if key.section == "attributes" and key.name in TIME_ATTRIBUTES:
            return self.time_test(key, op, lit)
        if key.section == "attributes" and key.name == "duration":
            seconds = value if isinstance(value, float) else parse_duration(value) if isinstance(value, str) else None
            if seconds is None:
                raise self.error("expected a duration for attributes.duration", lit, f": {DURATION_HELP}")
            return _numeric_test(op, seconds)
        if key.section == "attributes" and key.name == "status" and op in _EQUALITY:
            status = str(value).lower()
            if status not in STATUSES:
                raise self.error(f"unknown status {lit.raw}", lit, f"; statuses are {', '.join(STATUSES)}")
            return _string_test(op, status)
        if key.section == "metrics" and isinstance(value, str) and as_number(value) is None:
            raise self.error(f"{key.canonical} is a number; expected a number", lit, f", found {lit.raw}")
        if isinstance(value, bool):
            if op not in _EQUALITY:
                raise self.error(f"{lit.raw} can only be compared with = or !=", lit)
            return _bool_test(op, value)
        if isinstance(value, float):
            if value != value and op not in _EQUALITY:
                raise self.error("NaN can only be compared with = or !=", lit)
            return _numeric_test(op, value)
        return _string_test(op, value)

    def regex_test(self, lit: Literal) -> Test:
        try:
            search = re.compile(lit.value).search
        except (re.error, OverflowError, RecursionError, ValueError) as exc:  # OverflowError: a{1,99999999999}
            raise self.error(f"bad regular expression {lit.raw}", lit, f": {exc}") from None
        return lambda v: search(v if type(v) is str else text_of(v)) is not None

    def membership(self, key: Key, values: tuple[Literal, ...]) -> Test:
        tests = [self.comparison(key, "=", lit) for lit in values]  # validates each value
        special = key.section == "attributes" and key.name in ("status", "duration", *TIME_ATTRIBUTES)
        if special or any(v.value != v.value for v in values):
            return tests[0] if len(tests) == 1 else _any(tests)
        return _in_test([lit.value for lit in values])

    def time_test(self, key: Key, op: str, lit: Literal) -> Test:
        value = lit.value
        if isinstance(value, float):
            parsed: tuple[float, bool] | None = (value, False)
        elif isinstance(value, str):
            parsed = parse_time(value, self.now)
        else:
            parsed = None
        if parsed is None or parsed[0] != parsed[0]:
            raise self.error(f"expected a time for {key.canonical}", lit, f": {DATE_HELP}")
        start, whole_day = parsed
        if whole_day and op in _EQUALITY:
            end = day_end(start)
            if end == math.inf:
                raise self.error(
                    f"date {lit.raw} out of range for {key.canonical}", lit, ": the last day is 9999-12-30"
                )
            if op == "=":
                return lambda v: start <= v < end
            return lambda v: not start <= v < end
        return _numeric_test(op, start)


def _and(a: Predicate, b: Predicate) -> Predicate:
    return lambda run: a(run) and b(run)


def _or(a: Predicate, b: Predicate) -> Predicate:
    return lambda run: a(run) or b(run)


def _any(tests: list[Test]) -> Test:
    return lambda v: any(t(v) for t in tests)


def _present_and(get: Getter, test: Test, negated: bool) -> Predicate:
    if negated:

        def absent_or_not(run: RunSummary) -> bool:
            v = get(run)
            return v is not None and not test(v)

        return absent_or_not

    def present_and(run: RunSummary) -> bool:
        v = get(run)
        return v is not None and test(v)

    return present_and


def _in_test(values: list[Any]) -> Test:
    """``= v1 OR = v2 ...`` with sets, with the same matching rules as :func:`_string_test` and friends."""
    texts = {v for v in values if isinstance(v, str)}
    numbers = {v for v in values if type(v) is float}
    numbers_any = numbers | {n for n in map(as_number, texts) if n is not None}
    bools = {v for v in values if type(v) is bool} | {_BOOLS[t.lower()] for t in texts if t.lower() in _BOOLS}

    def test(v: Any) -> bool:
        t = type(v)
        if t is str:
            return v in texts or (bool(numbers) and as_number(v) in numbers)
        if t is float or t is int:
            return v in numbers_any
        if t is bool:
            return v in bools
        return text_of(v) in texts

    return test


def _numeric_test(op: str, x: float) -> Test:
    if x != x:  # NaN: "= nan" finds NaN values
        if op == "=":
            return lambda v: type(v) is float and v != v
        return lambda v: not (type(v) is float and v != v)
    cmp = _COMPARE[op]
    differs = op == "!="

    def test(v: Any) -> bool:
        t = type(v)
        if t is float or t is int:
            return cmp(v, x)
        if t is str:
            number = as_number(v)
            return differs if number is None else cmp(number, x)
        return differs

    return test


def _string_test(op: str, s: str) -> Test:
    cmp = _COMPARE[op]
    number = as_number(s)
    boolean = _BOOLS.get(s.lower()) if op in _EQUALITY else None
    equality = op in _EQUALITY

    def test(v: Any) -> bool:
        t = type(v)
        if t is str:
            return cmp(v, s)
        if (t is float or t is int) and number is not None:
            return cmp(v, number)
        if t is bool and boolean is not None:
            return cmp(v, boolean)
        return cmp(text_of(v), s) if equality else False

    return test


def _bool_test(op: str, b: bool) -> Test:
    cmp = _COMPARE[op]
    word = "true" if b else "false"

    def test(v: Any) -> bool:
        if type(v) is bool:
            return cmp(v, b)
        if type(v) is str:
            return cmp(v.lower(), word)
        if type(v) is int or type(v) is float:
            return cmp(v, float(b))
        return op == "!="

    return test


def like_matcher(pattern: str, ignore_case: bool = False) -> Callable[[str], bool]:
    """SQL LIKE: ``%`` any run of characters, ``_`` one character, ``\\%``/``\\_`` literal.

    Linear in practice and never exponential: the pattern is cut at each ``%`` into fixed-length
    pieces; the first must match at the start, the last at the end, and each one between is taken
    at its leftmost place after the previous one (leftmost is always safe with ``%`` between).
    """
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    pieces: list[list[str]] = [[]]
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            pieces[-1].append(re.escape(next(chars, "\\")))
        elif ch == "%":
            pieces.append([])
        elif ch == "_":
            pieces[-1].append(".")
        else:
            pieces[-1].append(re.escape(ch))
    if len(pieces) == 1:
        whole = re.compile("".join(pieces[0]), flags).fullmatch
        return lambda text: whole(text) is not None
    first, *middle, last = [(re.compile("".join(p), flags), len(p)) for p in pieces]
    middle = [(regex, size) for regex, size in middle if size]

    def match(text: str) -> bool:
        if first[1] and first[0].match(text) is None:
            return False
        pos = first[1]
        for regex, _size in middle:
            found = regex.search(text, pos)
            if found is None:
                return False
            pos = found.end()
        start = len(text) - last[1]
        return start >= pos and (not last[1] or last[0].fullmatch(text, start) is not None)

    return match


def _like_test(raw: str, ignore_case: bool) -> Test:
    quote, body = raw[0], raw[1:-1]
    if quote != "`":
        body = body.replace(quote * 2, quote)
    match = like_matcher(body, ignore_case)

    def test(v: Any) -> bool:
        return match(v if type(v) is str else text_of(v))

    return test


def compile_tree(node: Node | None, text: str, now: float | None = None) -> Predicate:
    """The predicate of a parsed filter (``now`` anchors ``'today'`` and ``'3d ago'``)."""
    if node is None:
        return always
    return _Compiler(text, time.time() if now is None else now).node(node)
