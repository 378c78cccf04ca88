"""An inter-process lock on a file, built on ``fcntl.lockf`` so that it also works on NFS.

``flock`` (what most lock libraries use on Unix) is not honoured across NFS clients, while
POSIX record locks taken through ``fcntl`` are. POSIX locks belong to a process, not to a
file descriptor, so a per-path thread lock serializes threads of the same process too.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from types import TracebackType

from .errors import LockTimeoutError

_thread_locks: dict[str, threading.RLock] = {}
_thread_locks_guard = threading.Lock()


def _thread_lock(path: str) -> threading.RLock:
    with _thread_locks_guard:
        lock = _thread_locks.get(path)
        if lock is None:
            lock = _thread_locks[path] = threading.RLock()
        return lock


class FileLock:
    """Exclusive lock held on ``path`` for the duration of a ``with`` block.

    Waits up to ``timeout`` seconds, then raises :class:`LockTimeoutError` naming the file.
    Re-entrant within one thread.
    """

    def __init__(self, path: str | os.PathLike[str], timeout: float = 30.0) -> None:
        self.path = str(path)
        self.timeout = timeout
        self._fd: int | None = None
        self._depth = 0
        self._tlock = _thread_lock(os.path.abspath(self.path))

    def acquire(self) -> None:
        deadline = time.monotonic() + self.timeout
        if not self._tlock.acquire(timeout=self.timeout):
            raise LockTimeoutError(self._timeout_message())
        if self._depth:
            self._depth += 1
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except BaseException:
            self._tlock.release()
            raise
        delay = 0.001
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    self._tlock.release()
                    raise LockTimeoutError(self._timeout_message()) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        self._fd = fd
        self._depth = 1

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            try:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None
        self._tlock.release()

    def _timeout_message(self) -> str:
        return (
            f"could not lock {self.path} within {self.timeout:g} s; another process holds it. "
            "If no tui-track process is running, the lock is stale only on a broken NFS server."
        )

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
