"""A training script that a scheduler pre-empts: python resume_worker.py STORE STEPS [FLUSH_INTERVAL].

Starts (or resumes) its run with resume="auto" (the key from TUI_TRACK_RUN_KEY), logs STEPS more
points of "loss" (steps continue by themselves), printing each step, then ends; STEPS=0 logs forever.
"""

from __future__ import annotations

import sys
import time

import tracker_core as tc

store, steps = sys.argv[1], int(sys.argv[2])
flush = float(sys.argv[3]) if len(sys.argv) > 3 else 0.2
with tc.start_run("train", store=store, resume="auto", flush_interval=flush, system_metrics=False) as run:
    print(f"run {run.id}", flush=True)
    i = 0
    while steps == 0 or i < steps:
        run.log_metric("loss", 1.0 / (i + 1))
        print(f"step {i}", flush=True)
        i += 1
        time.sleep(0.01)
