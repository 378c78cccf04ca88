"""Process-wide care of open runs: the flush/heartbeat thread, SIGTERM, interpreter exit, fork.

One daemon thread per process flushes each open run every ``flush_interval`` and touches its
heartbeat at least every :data:`HEARTBEAT_INTERVAL` seconds.

SIGTERM (what batch schedulers send): the handler does no I/O and takes no lock (it may have
interrupted the logging thread inside one). It restores the default disposition and raises a
flag; the thread then ends every open run as killed, flushing its buffer, and sends SIGTERM
again, so the process still dies of the signal. At interpreter exit open runs end as finished,
or failed (killed for Ctrl-C) when an uncaught exception is ending the program. A forked child
inherits none of its parent's runs: they refuse to log there.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
import time
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .run import Run

HEARTBEAT_INTERVAL = 5.0
"""Seconds between heartbeats; readers call a run crashed after STALE_AFTER (30 s) without one."""
TICK = 0.1
"""Seconds between the thread's checks (flushes still happen only every flush_interval)."""

_lock = threading.Lock()
_runs: dict[int, Run] = {}
_thread: threading.Thread | None = None
_hooks_installed = False
_sigterm_installed = False
_previous_sigterm: Any = None
_terminating = False
_uncaught: tuple[type[BaseException], BaseException, TracebackType | None] | None = None
_flush_requested = False
_flush_signals: dict[int, Any] = {}


def open_runs() -> list[Run]:
    """Runs of this process that have not ended, oldest first."""
    with _lock:
        return list(_runs.values())


def is_open_here(run_id: str) -> bool:
    """Whether this process is the writer of ``run_id`` right now."""
    return any(r.id == run_id for r in open_runs())


def terminating() -> bool:
    """True once SIGTERM arrived: open runs are being ended and the process will exit."""
    return _terminating


def register(run: Run) -> None:
    global _thread
    with _lock:
        _runs[id(run)] = run
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_loop, name="tracker_core-flusher", daemon=True)
            _thread.start()
    _install_hooks()


def unregister(run: Run) -> None:
    with _lock:
        _runs.pop(id(run), None)


def _loop() -> None:
    # Lives as long as the process once started: a sleeping daemon thread costs nothing, and a
    # SIGTERM must always find it to end the runs.
    while True:
        time.sleep(TICK)
        if _terminating:
            _terminate()
            return
        global _flush_requested
        flush_all, _flush_requested = _flush_requested, False
        now = time.monotonic()
        for run in open_runs():
            try:
                if flush_all:
                    run.flush()
                run.tick(now)
            except Exception as exc:  # a full disk must not kill the thread silently
                print(f"tracker_core: could not flush run {run.id}: {exc}", file=sys.stderr)


def end_all(status: str, error: str | None = None) -> None:
    """End every open run of this process (newest first, so children end before parents)."""
    for run in reversed(open_runs()):
        try:
            run.end(status, error=error)
        except Exception as exc:
            print(f"tracker_core: could not end run {run.id}: {exc}", file=sys.stderr)


def _terminate() -> None:
    end_all("killed", error="terminated by SIGTERM")
    os.kill(os.getpid(), signal.SIGTERM)  # the default disposition is back: the process dies of it


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    global _terminating
    _terminating = True
    previous = _previous_sigterm
    if callable(previous):
        previous(signum, frame)  # the program's own handler decides; exit ends the runs as killed
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if not _runs:  # nothing to save: die now, as without tracker_core
        os.kill(os.getpid(), signal.SIGTERM)


def install_flush_signal(signum: int | None = None) -> bool:
    """Make ``signum`` (SIGUSR1 by default: Slurm's ``--signal`` warning) flush every open run within a tick.

    Only from the main thread (else False). A handler the program set is still called after the
    flag is raised; the signal's default action (for SIGUSR1: terminate) is replaced by the flush.
    """
    sig = signal.SIGUSR1 if signum is None else signum
    if sig in _flush_signals:
        return True
    if threading.current_thread() is not threading.main_thread():
        return False
    current = signal.getsignal(sig)
    if current is signal.SIG_IGN:
        return False
    _flush_signals[sig] = current if callable(current) else None
    signal.signal(sig, _on_flush_signal)
    return True


def _on_flush_signal(signum: int, frame: FrameType | None) -> None:
    global _flush_requested
    _flush_requested = True  # no I/O here: the flusher thread writes within TICK
    previous = _flush_signals.get(signum)
    if previous is not None:
        previous(signum, frame)


def _excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    global _uncaught
    _uncaught = (exc_type, exc, tb)
    _previous_excepthook(exc_type, exc, tb)


_previous_excepthook = sys.excepthook


def _at_exit() -> None:
    if _terminating:
        end_all("killed", error="terminated by SIGTERM")
    elif _uncaught is not None:
        from .run import failure_summary

        kind = "killed" if issubclass(_uncaught[0], KeyboardInterrupt) else "failed"
        end_all(kind, error=failure_summary(*_uncaught))
    else:
        end_all("finished")


def _install_hooks() -> None:
    global _hooks_installed, _sigterm_installed, _previous_sigterm, _previous_excepthook
    if not _hooks_installed:
        _hooks_installed = True
        atexit.register(_at_exit)
        _previous_excepthook = sys.excepthook
        sys.excepthook = _excepthook
    # Signal handlers can only be set from the main thread: retried until a run starts there.
    if not _sigterm_installed and threading.current_thread() is threading.main_thread():
        _sigterm_installed = True
        current = signal.getsignal(signal.SIGTERM)
        if current is not signal.SIG_IGN and current is not None:
            _previous_sigterm = current if callable(current) else None
            signal.signal(signal.SIGTERM, _on_sigterm)


def _after_fork_in_child() -> None:
    # The child owns none of its parent's runs: they refuse to log here, and nothing of theirs
    # (buffers, files) is written by the child. The child starts its own thread when it needs one.
    global _thread, _lock
    _lock = threading.Lock()
    for run in _runs.values():
        run.disown()
    _runs.clear()
    _thread = None


os.register_at_fork(after_in_child=_after_fork_in_child)
