"""Inter-process locks on files, built on ``fcntl.lockf`` so that they also work on NFS.

``flock`` (what most lock libraries use on Unix) is not honoured across NFS clients, while
POSIX record locks taken through ``fcntl`` are. POSIX locks belong to a process, not to a file
descriptor, and closing *any* descriptor of the file drops them; so this module keeps one
descriptor and one depth count per path for the whole process, and a per-path thread lock
serializes the threads of the process.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from types import TracebackType

from .errors import LockTimeoutError
from .storage.layout import writer_lock_file


class _PathState:
    __slots__ = ("depth", "fd", "rlock")

    def __init__(self) -> None:
        self.rlock = threading.RLock()
        self.fd: int | None = None
        self.depth = 0


_states: dict[str, _PathState] = {}
_states_guard = threading.Lock()


def _state(path: str) -> _PathState:
    with _states_guard:
        state = _states.get(path)
        if state is None:
            state = _states[path] = _PathState()
        return state


class FileLock:
    """Exclusive lock held on ``path`` for the duration of a ``with`` block.

    Waits up to ``timeout`` seconds, then raises :class:`LockTimeoutError` naming the file.
    Re-entrant within one thread, including through several ``FileLock`` objects on one path.
    """

    def __init__(self, path: str | os.PathLike[str], timeout: float = 30.0) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self.timeout = timeout

    def acquire(self) -> None:
        deadline = time.monotonic() + self.timeout
        state = _state(self.path)
        if not state.rlock.acquire(timeout=self.timeout):
            raise LockTimeoutError(self._timeout_message())
        if state.depth:
            state.depth += 1
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except BaseException:
            state.rlock.release()
            raise
        delay = 0.001
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    state.rlock.release()
                    raise LockTimeoutError(self._timeout_message()) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        state.fd = fd
        state.depth = 1

    def release(self) -> None:
        state = _state(self.path)
        state.depth -= 1
        if state.depth == 0 and state.fd is not None:
            try:
                fcntl.lockf(state.fd, fcntl.LOCK_UN)
            finally:
                os.close(state.fd)
                state.fd = None
        state.rlock.release()

    def _timeout_message(self) -> str:
        return (
            f"could not lock {self.path} within {self.timeout:g} s: another process holds it. "
            "Retry in a moment; if it persists, look for a hung process holding it (lsof or fuser on "
            "that file) or, on NFS, check that the server's lock manager is running."
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


class WriterLock:
    """The lock a run's writer holds for the run's whole life (``.writer.lock`` in its directory).

    Another process that finds it held knows the writer is alive, wherever it runs; one that
    can take it knows the writer is gone. Never probe a run this process writes: closing a
    second descriptor of the file would drop this process's lock (see the module docstring).
    """

    def __init__(self, run_dir: str | os.PathLike[str]) -> None:
        self.path = writer_lock_file(run_dir)
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock without waiting; False when another process holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None


def writer_alive(run_dir: str | os.PathLike[str]) -> bool | None:
    """Whether another process holds the run's writer lock: True, False, or None when unknown.

    None means there is no lock file (an older or imported run) or the filesystem refuses
    locks; callers then fall back to the pid and the heartbeat.
    """
    try:
        fd = os.open(writer_lock_file(run_dir), os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except (BlockingIOError, PermissionError):
        return True
    except OSError:
        return None  # ENOLCK: an NFS mount without locking
    finally:
        os.close(fd)
    return False


def _after_fork_in_child() -> None:
    # Locks held by the parent are not the child's: start from a clean slate.
    global _states_guard
    _states_guard = threading.Lock()
    _states.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)
