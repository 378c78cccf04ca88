"""Background push of one run to a remote while it trains (``start_run(..., remote="s3://...")``).

A daemon thread pushes the run (and its experiment) every ``push_interval`` seconds, and once more
when the run ends. It reads only the run's files, which the writer keeps valid at every moment, so
logging never waits for it; a failed push is remembered and retried at the next interval.
"""

from __future__ import annotations

import threading
import warnings
from typing import TYPE_CHECKING

from ..errors import TrackerError, ValidationError

if TYPE_CHECKING:
    from ..run import Run

DEFAULT_PUSH_INTERVAL = 30.0


def push_interval_arg(value: object) -> float:
    """Check a ``push_interval`` (seconds, > 0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value != value:
        raise ValidationError(f"push_interval must be a positive number of seconds, not {value!r}")
    return float(value)


class RunPusher:
    """Pushes ``run`` to ``url`` every ``interval`` seconds until :meth:`finish`."""

    def __init__(self, run: Run, url: str, interval: float = DEFAULT_PUSH_INTERVAL) -> None:
        from . import open_remote

        self.url = url
        self.interval = push_interval_arg(interval)
        self.remote = open_remote(url)
        self.pushes = 0
        self.last_error: str | None = None
        self._root = run.store.root
        self._units = {f"experiments/{run.experiment_id}", f"experiments/{run.experiment_id}/runs/{run.id}"}
        self._run = run
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name=f"tui-track-push-{run.id[:8]}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.push_now()

    def push_now(self) -> bool:
        """Push once; False (and ``last_error`` set) if it failed."""
        from .sync import push

        with self._lock:
            try:
                push(self._root, self.remote, only=self._units, registry=False)
            except (TrackerError, OSError) as e:
                self.last_error = str(e)
                return False
            self.last_error = None
            self.pushes += 1
            return True

    def finish(self) -> None:
        """Stop the thread and push a last time (the run has ended); a failure is a warning, never lost data."""
        self._stop.set()
        self._thread.join()
        if not self.push_now():
            warnings.warn(
                f"could not push run {self._run.id[:8]} to {self.url}: {self.last_error}; "
                f"it is safe in the local store: run `tui-track sync {self._root} {self.url}`",
                stacklevel=3,
            )


def check_remote_args(remote: object, interval: object) -> None:
    """Refuse a bad ``remote`` or ``push_interval`` before a run is created."""
    if interval is not None:
        push_interval_arg(interval)
    if remote is not None and (not isinstance(remote, str) or not remote.startswith("s3://")):
        raise ValidationError(f"remote must be an s3://bucket/prefix URL, not {remote!r}")
    if isinstance(remote, str):
        from .s3 import parse_url

        parse_url(remote)


def start_pusher(run: Run, remote: str | None, interval: float | None) -> RunPusher | None:
    """Attach a pusher to ``run`` from the arguments or the ``remote``/``push_interval`` config keys."""
    from ..config import load_settings

    settings = load_settings()
    url = remote if remote is not None else settings.get("remote")
    if not url:
        if interval is not None:
            push_interval_arg(interval)
        return None
    if not isinstance(url, str):
        raise ValidationError(f"remote must be a URL such as s3://bucket/prefix, not {url!r}")
    chosen = interval if interval is not None else settings.get("push_interval", DEFAULT_PUSH_INTERVAL)
    pusher = RunPusher(run, url, push_interval_arg(chosen))
    run._pusher = pusher  # type: ignore[attr-defined]
    return pusher
