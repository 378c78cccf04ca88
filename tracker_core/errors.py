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
