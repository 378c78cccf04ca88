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
        from .sync import experiment_unit, run_unit

        self.url = url
        self.interval = push_interval_arg(interval)
        self.remote = open_remote(url)
        self.pushes = 0
        self.last_error: str | None = None
        self._root = run.store.root
        self._units = {experiment_unit(run.experiment_id), run_unit(run.experiment_id, run.id)}
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


def push_settings(remote: object, interval: object) -> tuple[str, float] | None:
    """Where and how often a new run is pushed: the arguments, else the ``remote``/``push_interval`` config keys.

    None if no remote is set. Checked before the run is created: a bad value (named with its config file)
    leaves no run behind.
    """
    from ..config import load_settings

    settings = load_settings()
    if interval is not None:
        push_interval_arg(interval)
    url = remote if remote is not None else settings.get("remote")
    where = "" if remote is not None else f"{settings.sources.get('remote')}: "
    if url is None or url == "":
        return None
    if not isinstance(url, str) or not url.startswith("s3://"):
        raise ValidationError(f"{where}remote must be an s3://bucket/prefix URL, not {url!r}")
    from .s3 import parse_url

    parse_url(url)
    if interval is None and "push_interval" in settings.values:
        try:
            return url, push_interval_arg(settings.get("push_interval"))
        except ValidationError as e:
            raise ValidationError(f"{settings.sources['push_interval']}: {e}") from None
    return url, push_interval_arg(DEFAULT_PUSH_INTERVAL if interval is None else interval)


def start_pusher(run: Run, url: str, interval: float) -> RunPusher:
    """Attach a pusher to ``run`` (its end pushes a last time and stops it)."""
    pusher = RunPusher(run, url, interval)
    run._pusher = pusher  # type: ignore[attr-defined]
    return pusher
