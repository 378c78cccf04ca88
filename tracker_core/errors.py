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


class StoreNotFoundError(StoreError, NotFoundError):
    """No store exists at the path a reader opened (readers never create one)."""


class FileSystemError(StoreError, OSError):
    """The file system refused an operation on the store; ``path`` and ``cause`` say where and why.

    Also an :class:`OSError` (with the original ``errno``), so code catching OSError still does.
    """

    advice = "check the path and the file system"

    def __init__(self, path: object, cause: OSError) -> None:
        import errno as errno_module

        name = errno_module.errorcode.get(cause.errno or 0, "error")
        text = f"{path}: {cause.strerror or cause} [{name}]; {self.advice}"
        OSError.__init__(self, cause.errno, text)
        self.path = path
        self.cause = cause

    def __str__(self) -> str:
        return str(self.args[1]) if len(self.args) > 1 else super().__str__()


class DiskFullError(FileSystemError):
    """ENOSPC/EDQUOT: the disk (or quota) is full."""

    advice = "free some space; what was written before is intact"


class ReadOnlyStoreError(FileSystemError):
    """EROFS: the store is on a read-only file system."""

    advice = "open it read-only (list, show) or copy the store somewhere writable"


class StorePermissionError(FileSystemError):
    """EACCES/EPERM: this user may not read or write that path."""

    advice = "fix the permissions or run as the store's owner"


class PathTooLongError(FileSystemError):
    """ENAMETOOLONG: a file name or path is longer than the file system allows."""

    advice = "choose a shorter name or a store closer to the root"


def fs_error(exc: OSError, path: object = None) -> OSError:
    """``exc`` as a :class:`FileSystemError` subclass when it is one of the errors a user can act on.

    Other OS errors (and errors already translated) are returned unchanged.
    """
    import errno

    if isinstance(exc, TrackerError):
        return exc
    kind = {
        errno.ENOSPC: DiskFullError,
        errno.EDQUOT: DiskFullError,
        errno.EROFS: ReadOnlyStoreError,
        errno.EACCES: StorePermissionError,
        errno.EPERM: StorePermissionError,
        errno.ENAMETOOLONG: PathTooLongError,
    }.get(exc.errno or 0)
    if kind is None:
        return exc
    return kind(exc.filename or path, exc)


class fs_errors:
    """Translate OS errors raised in the block with :func:`fs_error`; ``path`` names the place if the error does not."""

    def __init__(self, path: object) -> None:
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, OSError) and not isinstance(exc, TrackerError):
            translated = fs_error(exc, self.path)
            if translated is not exc:
                raise translated from exc
