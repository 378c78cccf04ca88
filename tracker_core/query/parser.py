"""The filter grammar, parsed by recursive descent into a small tree.

::

    filter     := or_expr
    or_expr    := and_expr (OR and_expr)*
    and_expr   := not_expr (AND not_expr)*          AND binds tighter than OR
    not_expr   := NOT not_expr | '(' or_expr ')' | condition
    condition  := key op value
                | key [NOT] (LIKE | ILIKE | RLIKE) value
                | key [NOT] IN '(' value (',' value)* ')'
                | key IS [NOT] NULL
    op         := = | == | != | <> | < | <= | > | >=
    value      := 'text' | "text" | number | TRUE | FALSE | NAN | INF

Keywords are case-insensitive.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from .keys import Key, resolve_key
from .lexer import QueryError, Token, tokenize

OPERATORS = "=, !=, <, <=, >, >=, LIKE, ILIKE, RLIKE, IN, NOT IN, IS NULL or IS NOT NULL"
_WORD_VALUES: dict[str, Any] = {
    "true": True,
    "false": False,
    "nan": float("nan"),
    "inf": float("inf"),
    "infinity": float("inf"),
}


@dataclass(frozen=True, slots=True)
class Literal:
    """A value written in a filter: ``value`` is str, float or bool; ``raw`` is its text as typed."""

    value: Any
    raw: str
    start: int


@dataclass(frozen=True, slots=True)
class Condition:
    """``key op values``; ``op`` is one of ``= != < <= > >= LIKE ILIKE RLIKE IN IS NULL`` and
    ``negated`` turns LIKE/ILIKE/RLIKE/IN/IS NULL into their NOT forms."""

    key: Key
    op: str
    values: tuple[Literal, ...]
    negated: bool
    start: int


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


Node: TypeAlias = Condition | And | Or | Not


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    # ------------------------------------------------------------------ helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "end":
            self.i += 1
        return tok

    def at_keyword(self, *words: str) -> bool:
        return self.tok.kind == "keyword" and self.tok.value in words

    def fail(self, expected: str, tail: str = "", *, found: bool = True) -> QueryError:
        tok = self.tok
        shown = f", found {tok.shown()}" if found and tok.kind != "end" else ""
        return QueryError(f"{expected} at column {tok.start + 1}{shown}{tail}", self.text, tok.start)

    # ------------------------------------------------------------------ grammar
    def parse(self) -> Node | None:
        if self.tok.kind == "end":
            return None
        node = self.or_expr()
        if self.tok.kind != "end":
            if self.tok.kind == "rparen":
                raise self.fail("unmatched ')'", found=False)
            raise self.fail("expected AND, OR or the end of the filter")
        return node

    def or_expr(self) -> Node:
        return self.chain("OR", self.and_expr, Or)

    def and_expr(self) -> Node:
        return self.chain("AND", self.not_expr, And)

    def chain(self, keyword: str, operand: Callable[[], Node], combine: type[And] | type[Or]) -> Node:
        """``operand (keyword operand)*``, one node when there is no keyword."""
        items = [operand()]
        while self.at_keyword(keyword):
            self.advance()
            items.append(operand())
        return items[0] if len(items) == 1 else combine(tuple(items))

    def not_expr(self) -> Node:
        if self.at_keyword("NOT"):
            self.advance()
            return Not(self.not_expr())
        if self.tok.kind == "lparen":
            opening = self.advance()
            node = self.or_expr()
            if self.tok.kind != "rparen":
                raise self.fail("expected ')'", f" (to close the '(' at column {opening.start + 1})")
            self.advance()
            return node
        return self.condition()

    def key(self) -> tuple[Key, Token]:
        first = self.tok
        if first.kind not in ("word", "quoted"):
            what = "a condition such as metrics.accuracy > 0.9"
            if first.kind == "end" and self.i > 0:
                raise self.fail(f"expected {what} after {self.tokens[self.i - 1].shown()}")
            raise self.fail(f"expected {what}")
        parts = [self.advance()]
        while self.tok.kind in ("word", "quoted") and self.tok.start == parts[-1].end:
            parts.append(self.advance())
        return resolve_key(parts, self.text), first

    def condition(self) -> Condition:
        key, first = self.key()
        tok = self.tok
        if tok.kind == "op":
            self.advance()
            return Condition(key, tok.value, (self.value(tok),), False, first.start)
        negated = False
        if self.at_keyword("NOT"):
            self.advance()
            negated = True
            if not self.at_keyword("IN", "LIKE", "ILIKE", "RLIKE"):
                raise self.fail("expected IN, LIKE, ILIKE or RLIKE after NOT")
        if self.at_keyword("LIKE", "ILIKE", "RLIKE"):
            op_tok = self.advance()
            value = self.value(op_tok)
            if not isinstance(value.value, str):
                raise QueryError(
                    f"{op_tok.value} needs a quoted pattern such as '%rf%' at column {value.start + 1}",
                    self.text,
                    value.start,
                )
            return Condition(key, op_tok.value, (value,), negated, first.start)
        if self.at_keyword("IN"):
            self.advance()
            return Condition(key, "IN", self.value_list(), negated, first.start)
        if self.at_keyword("IS"):
            self.advance()
            if self.at_keyword("NOT"):
                self.advance()
                negated = True
            if not self.at_keyword("NULL"):
                raise self.fail("expected NULL or NOT NULL after IS")
            self.advance()
            return Condition(key, "IS NULL", (), negated, first.start)
        shown = self.text[first.start : self.tokens[self.i - 1].end]
        raise self.fail(f"expected an operator after {shown!r}", f" (one of {OPERATORS})")

    def value(self, after: Token) -> Literal:
        tok = self.tok
        if tok.kind in ("string", "quoted"):
            self.advance()
            return Literal(tok.value, tok.text, tok.start)
        if tok.kind == "number":
            number = float(tok.value)
            if not math.isfinite(number):
                raise self.fail("number out of range", " (numbers are finite 64-bit floats, at most about 1.8e308)")
            self.advance()
            return Literal(number, tok.text, tok.start)
        if tok.kind == "word" and tok.text.lower() in _WORD_VALUES:
            self.advance()
            return Literal(_WORD_VALUES[tok.text.lower()], tok.text, tok.start)
        if tok.kind == "keyword" and tok.value == "NULL":
            raise self.fail(f"expected a value after {after.shown()}", " (write IS NULL to find missing values)")
        hint = f" (quote text: '{tok.text}')" if tok.kind == "word" else ""
        raise self.fail(f"expected a value after {after.shown()}", hint)

    def value_list(self) -> tuple[Literal, ...]:
        if self.tok.kind != "lparen":
            raise self.fail("expected '(' after IN, as in IN ('a', 'b')")
        opening = self.advance()
        values = [self.value(opening)]
        while self.tok.kind == "comma":
            comma = self.advance()
            values.append(self.value(comma))
        if self.tok.kind != "rparen":
            raise self.fail("expected ',' or ')'", f" (to close the list opened at column {opening.start + 1})")
        self.advance()
        return tuple(values)


def parse_filter(text: str | None) -> Node | None:
    """The tree of a filter; None for an empty filter. Raises :class:`QueryError` with the position."""
    if text is None:
        return None
    return _Parser(text).parse()
