"""Pre-emption and requeue: ``start_run(resume="auto")`` continues the run with the same run key.

The run key names one logical run across restarts of its job. It is ``run_key=`` when given,
else the scheduler's job identity: ``SLURM_JOB_ID`` (with ``_SLURM_ARRAY_TASK_ID`` for an array
task; a requeued Slurm job keeps its id), ``TORCHELASTIC_RUN_ID``, or ``TUI_TRACK_RUN_KEY``.
The key is stored as the run's ``run_key`` tag; the newest run of the experiment with that tag
is resumed (steps continue where the history stops), and without one a new run starts.

Each resumption appends to the run's ``events`` (in ``run.json``): an ``interrupted`` event
for how the previous writer stopped (killed by a signal, or gone without a word: ``crashed``)
and a ``resumed`` event with the new process's pid and host.
"""

from __future__ import annotations

import os
import time
from typing import Any

from .errors import ValidationError
from .validation import shown

RUN_KEY_TAG = "run_key"
RESUME_MODES = ("never", "auto")
ENV_RUN_KEY = "TUI_TRACK_RUN_KEY"


def check_resume(resume: str | None, run_key: str | None, run_id: str | None) -> str:
    """The checked resume mode ("never" or "auto")."""
    mode = "never" if resume is None else resume
    if mode not in RESUME_MODES or type(mode) is not str:
        raise ValidationError(f"resume must be one of {', '.join(RESUME_MODES)} or None, got {shown(resume)}")
    if run_key is not None and (type(run_key) is not str or not run_key.strip()):
        raise ValidationError(f"run_key must be a non-empty string, got {shown(run_key)}")
    if run_key is not None and mode != "auto":
        raise ValidationError('run_key is used with resume="auto"; pass both')
    if mode == "auto" and run_id is not None:
        raise ValidationError('give either run_id (resume that run) or resume="auto" (find it by run key), not both')
    return mode


def run_key_from_env(environ: dict[str, str] | None = None) -> str | None:
    """The scheduler's job identity (see the module docstring), or None outside a scheduler."""
    env = os.environ if environ is None else environ
    job = env.get("SLURM_JOB_ID")
    if job:
        task = env.get("SLURM_ARRAY_TASK_ID")
        return f"slurm-{job}" + (f"-{task}" if task else "")
    elastic = env.get("TORCHELASTIC_RUN_ID")
    if elastic:
        return f"torchelastic-{elastic}"
    return env.get(ENV_RUN_KEY) or None


def resume_events(previous: dict[str, Any], pid: int, host: str) -> list[dict[str, Any]]:
    """The events a resumption adds, from the ``run.json`` the previous writer left."""
    now = time.time()
    events: list[dict[str, Any]] = []
    status = previous.get("status")
    if status == "running":  # the writer died without ending the run (kill -9, node failure)
        when = previous.get("last_write") or previous.get("start_time") or now
        events.append({"time": when, "event": "interrupted", "status": "crashed", "reason": "the writer stopped"})
    elif status == "killed":
        when = previous.get("end_time") or now
        events.append({"time": when, "event": "interrupted", "status": "killed", "reason": previous.get("error")})
    events.append({"time": now, "event": "resumed", "pid": pid, "host": host, "after": status})
    return events
