"""The one small interface every remote implements: list, read (from an offset), conditional write, delete."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Final, NamedTuple


class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY: Final = _Any()
"""``write(..., expect=ANY)``: write whatever the remote holds now (an unconditional write)."""


class Entry(NamedTuple):
    """One object on a remote: its size and an opaque tag that changes whenever its bytes do."""

    size: int
    etag: str


class Blob(NamedTuple):
    """Bytes read from a remote (possibly from an offset on) and the tag of the object they came from."""

    data: bytes
    etag: str


class Remote(ABC):
    """Objects under keys (``/``-separated relative paths). Every write is atomic for readers."""

    url: str

    @abstractmethod
    def list(self, prefix: str = "") -> dict[str, Entry]:
        """Every object whose key starts with ``prefix``."""

    @abstractmethod
    def read(self, key: str, start: int = 0) -> Blob | None:
        """The object's bytes from ``start`` on (a ranged read), or None if there is no such object."""

    @abstractmethod
    def write(self, key: str, data: bytes, *, expect: str | _Any | None = ANY) -> str:
        """Store ``data`` under ``key`` and return its new tag.

        ``expect=None`` creates only (``If-None-Match: *``); ``expect=<tag>`` replaces only that version
        (``If-Match``); a lost race raises :class:`~tracker_core.errors.RemoteConflictError`.
        """

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object (no error if it is already gone)."""
