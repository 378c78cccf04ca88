"""One exception family for everything the library refuses, each message saying what to do."""

from __future__ import annotations


class TrackerError(Exception):
    """Base class of every error raised by tracker_core."""


class StoreError(TrackerError):
    """The store cannot be opened or created (missing, foreign or of an unknown format)."""


class CorruptFileError(TrackerError):
    """A file of the store cannot be parsed; the message names the file and the reason."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ValidationError(TrackerError, ValueError):
    """A key, value or name given by the caller is not acceptable."""


class NotFoundError(TrackerError, LookupError):
    """An experiment, run, model, version or artifact does not exist."""


class AmbiguousIdError(NotFoundError):
    """A run id prefix matches more than one run."""


class ConflictError(TrackerError):
    """The operation contradicts what the store already holds (e.g. a param re-logged)."""


class StateChangedError(ConflictError):
    """A change was asked for with an expectation (``expect_stage``, ``expect_current``) the store no longer meets.

    ``expected`` and ``actual`` say what the caller believed and what the store holds now.
    """

    def __init__(self, message: str, *, expected: object, actual: object) -> None:
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class LockTimeoutError(TrackerError, TimeoutError):
    """A store lock could not be taken in time."""


class RunStateError(TrackerError):
    """The run is not in a state that allows the operation (e.g. logging to an ended run)."""


class StoreFullError(StoreError, OSError):
    """The file system holding the store is full (ENOSPC, EDQUOT); free space and log again."""


class StoreReadOnlyError(StoreError, OSError):
    """The store lies on a read-only file system (EROFS)."""


class StorePermissionError(StoreError, PermissionError):
    """The store (or one of its files) may not be read or written by this user (EACCES, EPERM)."""


class PathTooLongError(StoreError, ValidationError):
    """A name or path is longer than the file system allows (ENAMETOOLONG)."""


def fs_error(exc: OSError, path: object, doing: str) -> StoreError:
    """The :class:`StoreError` subclass for a file-system error, naming ``path``, the cause and what to do."""
    import errno

    cause = exc.strerror or str(exc)
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return StoreFullError(f"cannot {doing} {path}: {cause}; free space on that disk and try again")
    if code == errno.EROFS:
        return StoreReadOnlyError(f"cannot {doing} {path}: {cause}; the store's file system is mounted read-only")
    if code in (errno.EACCES, errno.EPERM):
        return StorePermissionError(f"cannot {doing} {path}: {cause}; check the permissions of that path")
    if code == errno.ENAMETOOLONG:
        return PathTooLongError(f"cannot {doing} {path}: {cause}; use a shorter name")
    return StoreError(f"cannot {doing} {path}: {cause}")


class RemoteError(StoreError):
    """A remote store (``s3://bucket/prefix``, a remote directory) cannot be reached or refused a request."""


class RemoteConflictError(ConflictError):
    """A conditional write on a remote lost a race (someone else changed the object first); read again and retry."""


class StoreNotFoundError(StoreError, NotFoundError):
    """No store exists at the path a reader opened (readers never create one)."""


_FS_ERRNOS = frozenset({"ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM", "ENAMETOOLONG"})


def is_fs_error(exc: BaseException) -> bool:
    """Whether ``exc`` is an OS error a user can act on (full, read-only, denied, name too long)."""
    import errno

    return (
        isinstance(exc, OSError)
        and not isinstance(exc, TrackerError)
        and errno.errorcode.get(exc.errno or 0) in _FS_ERRNOS
    )


class fs_errors:
    """Raise :func:`fs_error` for the actionable OS errors of the block; others pass unchanged."""

    def __init__(self, path: object, doing: str) -> None:
        self.path = path
        self.doing = doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if exc is not None and is_fs_error(exc):
            assert isinstance(exc, OSError)
            raise fs_error(exc, exc.filename or self.path, self.doing) from exc
