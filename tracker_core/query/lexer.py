"""Tokens of the filter and order-by languages, and the error that points at a column."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ValidationError

KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE", "RLIKE", "ASC", "DESC"})


class QueryError(ValidationError):
    """A filter or order-by text that cannot be understood.

    ``position`` is the 0-based offset of the problem in ``text``, ``column`` the same 1-based,
    as the message says (``expected a value after '>' at column 17``).
    """

    def __init__(self, message: str, text: str = "", position: int = 0) -> None:
        super().__init__(message)
        self.text = text
        self.position = position

    @property
    def column(self) -> int:
        return self.position + 1

    def pointer(self) -> str:
        """The text with a caret line under the problem, for a terminal."""
        return f"{self.text}\n{' ' * self.position}^"


@dataclass(frozen=True, slots=True)
class Token:
    """One token. ``kind``: word, keyword, number, string (single quotes), quoted (double quotes or
    backticks: a key or a value by context), op, lparen, rparen, comma, end."""

    kind: str
    text: str
    value: str
    start: int
    end: int

    def shown(self) -> str:
        """How the token is named in messages."""
        return "the end of the filter" if self.kind == "end" else repr(self.text)


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![\w.]))
  | (?P<word>(?:[A-Za-z_]|\.[A-Za-z_]|\d+[A-Za-z_])[\w\-/:]*(?:\.[\w\-/:]*)*)
  | (?P<string>'(?:[^'\\]|\\.|'')*')
  | (?P<quoted>"(?:[^"\\]|\\.|"")*"|`[^`]*`)
  | (?P<op>==|!=|<>|<=|>=|=|<|>)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
    """,
    re.VERBOSE,
)
_ESCAPE_RE = re.compile(r"\\(.)")
_HINTS = {"&": " (write AND)", "|": " (write OR)", "!": " (write NOT or !=)", ";": " (combine conditions with AND)"}


def _unquote(text: str) -> str:
    quote, body = text[0], text[1:-1]
    if quote == "`":
        return body
    return _ESCAPE_RE.sub(r"\1", body.replace(quote * 2, quote))


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens ending with an ``end`` token; raise :class:`QueryError` on a stray character."""
    tokens: list[Token] = []
    pos, size = 0, len(text)
    while pos < size:
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            ch = text[pos]
            if ch in "'\"`":
                raise QueryError(f"unclosed {ch} quote starting at column {pos + 1}", text, pos)
            hint = _HINTS.get(ch, "")
            raise QueryError(f"unexpected character {ch!r} at column {pos + 1}{hint}", text, pos)
        kind = m.lastgroup or ""
        raw = m.group()
        if kind != "ws":
            value = raw
            if kind == "word" and raw.upper() in KEYWORDS:
                kind, value = "keyword", raw.upper()
            elif kind in ("string", "quoted"):
                value = _unquote(raw)
            elif kind == "op":
                value = {"==": "=", "<>": "!="}.get(raw, raw)
            tokens.append(Token(kind, raw, value, pos, m.end()))
        pos = m.end()
    tokens.append(Token("end", "", "", size, size))
    return tokens
