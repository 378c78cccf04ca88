"""Process-wide care of open runs: the flush/heartbeat thread, SIGTERM and interpreter exit.

One daemon thread per process flushes every open run and touches its heartbeat each
``flush_interval``. On SIGTERM (what batch schedulers send) open runs end as killed, then
the signal's previous disposition takes over. At interpreter exit open runs end as finished,
or failed if an uncaught exception is ending the program.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .run import Run

_lock = threading.Lock()
_runs: dict[int, Run] = {}
_wake = threading.Event()
_thread: threading.Thread | None = None
_installed = False
_previous_sigterm: Any = None
_uncaught: tuple[type[BaseException], BaseException, TracebackType | None] | None = None


def open_runs() -> list[Run]:
    """Runs of this process that have not ended, oldest first."""
    with _lock:
        return list(_runs.values())


def register(run: Run) -> None:
    global _thread
    with _lock:
        _runs[id(run)] = run
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_loop, name="tracker_core-flusher", daemon=True)
            _thread.start()
    _install_hooks()
    _wake.set()


def unregister(run: Run) -> None:
    with _lock:
        _runs.pop(id(run), None)


def _loop() -> None:
    while True:
        runs = open_runs()
        interval = min((r.flush_interval for r in runs), default=1.0)
        _wake.wait(interval)
        _wake.clear()
        for run in open_runs():
            try:
                run.tick()
            except Exception as exc:  # a full disk must not kill the thread silently
                print(f"tracker_core: could not flush run {run.id}: {exc}", file=sys.stderr)


def end_all(status: str, error: str | None = None) -> None:
    """End every open run of this process (newest first, so children end before parents)."""
    for run in reversed(open_runs()):
        try:
            run.end(status, error=error)
        except Exception as exc:
            print(f"tracker_core: could not end run {run.id}: {exc}", file=sys.stderr)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    end_all("killed", error="terminated by SIGTERM")
    previous = _previous_sigterm
    if callable(previous):
        previous(signum, frame)
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    global _uncaught
    _uncaught = (exc_type, exc, tb)
    _previous_excepthook(exc_type, exc, tb)


_previous_excepthook = sys.excepthook


def _at_exit() -> None:
    if _uncaught is not None:
        from .run import failure_summary

        kind = "killed" if issubclass(_uncaught[0], KeyboardInterrupt) else "failed"
        end_all(kind, error=failure_summary(*_uncaught))
    else:
        end_all("finished")


def _install_hooks() -> None:
    global _installed, _previous_sigterm, _previous_excepthook
    if _installed:
        return
    _installed = True
    atexit.register(_at_exit)
    _previous_excepthook = sys.excepthook
    sys.excepthook = _excepthook
    if threading.current_thread() is threading.main_thread():
        current = signal.getsignal(signal.SIGTERM)
        if current is not signal.SIG_IGN and current is not None:
            _previous_sigterm = current if callable(current) else None
            signal.signal(signal.SIGTERM, _on_sigterm)


def _after_fork_in_child() -> None:
    # The child owns none of its parent's runs; it starts its own thread when it needs one.
    global _thread, _lock
    _lock = threading.Lock()
    _runs.clear()
    _thread = None


os.register_at_fork(after_in_child=_after_fork_in_child)
