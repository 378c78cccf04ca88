"""The one place a failed worker is reported: every screen that runs workers mixes this in.

Workers run with ``exit_on_error=False`` so one failure does not end the app; Textual then only
marks the worker as failed (its ``StateChanged`` message does not bubble), so each screen forwards
it here and the user sees a toast naming what failed and why. Live refresh timers keep running.
"""

from __future__ import annotations

from textual.app import App
from textual.worker import Worker, WorkerState

from tracker_core.errors import TrackerError

DIALOG_GROUP = "dialog"
"""The worker group of a key's dialog chain (``push_screen_wait``): it waits on the user, not the disk."""

WORK_NAMES = {
    "load_store": "reading the store",
    "load_runs": "refreshing the runs",
    "load_details": "reading the run's details",
    "refresh_remote": "pulling the remote",
    "group_runs": "grouping the runs",
}


def worker_error_text(worker: Worker[object]) -> str:
    """What failed, in words: the work's name and the error (a library error's message as is)."""
    what = WORK_NAMES.get(worker.name, worker.name.replace("_", " ") or "background work")
    error = worker.error
    reason = str(error) if isinstance(error, (TrackerError, OSError)) else f"{type(error).__name__}: {error}"
    return f"{what} failed: {reason}"


def report_worker_error(app: App[object], worker: Worker[object]) -> None:
    """Show a failed worker's error as a toast (kept long enough to read)."""
    app.notify(worker_error_text(worker), title="Error", severity="error", timeout=10, markup=False)


class ReportsWorkerErrors:
    """Mixin for screens and widgets: a worker of theirs that fails is reported, never lost."""

    app: App[object]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            report_worker_error(self.app, event.worker)
