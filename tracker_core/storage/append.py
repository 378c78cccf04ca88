"""Durable appends to line files, and reading them back past a torn tail.

Every append-only file of the store (metric histories, the registry's history, history
indexes) is UTF-8 JSON Lines written only through this module:

- :class:`Appender` / :func:`append_bytes` write whole batches of ``\\n``-terminated lines and
  flush them to disk (``fdatasync``/``fsync``) before returning. A batch that fails half-way
  is cut back off, so no torn line is left for the next append to glue onto.
- :func:`read_complete` returns the complete lines from a byte offset and the offset just past
  them. A last line without its newline is torn (a killed writer) or still being written:
  it is never returned and never consumed, so a reader polling from the returned offset
  picks it up once it is complete.
- :func:`repair_torn_tail` cuts a torn last line; only the single writer of a file calls it,
  before it resumes appending.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["Appender", "append_bytes", "complete_end", "read_complete", "repair_torn_tail", "split_lines", "write_all"]

PathLike = str | os.PathLike[str]

_TAIL_WINDOW = 65536


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def complete_end(data: bytes) -> int:
    """Length of the prefix of ``data`` made of complete (newline-terminated) lines."""
    return data.rfind(b"\n") + 1


def split_lines(data: bytes) -> list[bytes]:
    """The complete, non-blank lines of ``data`` (a torn last line is left out)."""
    return [line for line in data[: complete_end(data)].split(b"\n") if line.strip()]


def read_complete(path: PathLike, offset: int = 0) -> tuple[bytes, int]:
    """The complete lines of ``path`` from byte ``offset`` on, and the offset just past them.

    A missing file reads as empty (``offset`` is returned unchanged). A torn last line is
    neither returned nor consumed. Other ``OSError`` s propagate to the caller.
    """
    try:
        with open(path, "rb") as fh:
            if offset:
                fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return b"", offset
    end = complete_end(data)
    return data[:end], offset + end


def append_bytes(path: PathLike, data: bytes, *, fsync: bool = True) -> int:
    """Append ``data`` (whole lines) to ``path`` durably, creating it if needed.

    On failure the file is cut back to its size before the call. Returns the new size.
    """
    with Appender(path) as appender:
        return appender.append(data, fsync=fsync)


def repair_torn_tail(path: PathLike) -> int:
    """Cut a torn last line (left by a killed writer) so appends start on a fresh line.

    Only the file's single writer may call this, before it appends. Returns the resulting
    size (0 for a missing file).
    """
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        return 0
    if size == 0:
        return 0
    with open(path, "rb+") as fh:
        start = max(0, size - _TAIL_WINDOW)
        fh.seek(start)
        tail = fh.read()
        if tail.endswith(b"\n"):
            return size
        cut = tail.rfind(b"\n")
        if cut >= 0:
            new_size = start + cut + 1
        elif start == 0:
            new_size = 0
        else:  # no newline in the last 64 KiB: look further back
            fh.seek(0)
            new_size = complete_end(fh.read(size))
        fh.truncate(new_size)
        os.fsync(fh.fileno())
        return new_size


class Appender:
    """An open append handle on one line file, for a writer that appends many batches.

    ``offset`` is the file size as this writer knows it: the end of the last batch it appended
    (or the size found when it opened the file). Not thread-safe: the caller serialises.
    """

    def __init__(self, path: PathLike, *, offset: int | None = None) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self.offset = offset if offset is not None else _size(self.path)

    def append(self, data: bytes, *, fsync: bool = True) -> int:
        """Write ``data`` and flush it to disk; on failure cut the file back. Returns the new offset."""
        if not data:
            return self.offset
        fd = self._fd
        if fd is None:
            fd = self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            write_all(fd, data)
            if fsync:
                os.fdatasync(fd)
        except BaseException:
            try:  # never leave half a batch (a torn line) behind
                os.ftruncate(fd, self.offset)
            except OSError:
                pass
            raise
        self.offset += len(data)
        return self.offset

    def close(self) -> None:
        """Close the file handle (appending again reopens it)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> Appender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _size(path: Path) -> int:
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0
