"""Sync to an S3 remote (SeaweedFS on loopback) next to ``tui-track sync`` over local paths, same run.

    python bench/bench_s3.py [--runs 10000] [--changed 100] [--repeat 3]

Prints medians of ``--repeat`` passes for: the first push of ``--runs`` runs, a push with
``--changed`` changed runs, a pull with that many changed, and a no-change pass; targets: the
last two (and the changed push) under 2 s. The local-path figures are ``tracker_core.sync.sync``
between two directories on the same disk, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import big_store
import seaweed_server

import tracker_core as tc
from tracker_core.remote import open_remote
from tracker_core.remote.sync import pull_into, push
from tracker_core.sync import sync

BUCKET = "bench"


REQUESTS: list[str] = []
"""Every S3 request the benchmark's remotes made (operation names), counted per pass."""


def _remote(url: str):  # type: ignore[no-untyped-def]
    remote = open_remote(url)
    remote.client.meta.events.register("before-call.s3", lambda model, **kw: REQUESTS.append(model.name))
    return remote


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    REQUESTS.clear()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _touch(store: tc.Store, n: int, round_: int) -> None:
    """Append a point to the history of ``n`` runs (as a live run would) and change their summary."""
    runs = sorted(store.experiments_dir.glob("*/runs/*"))[:n]
    for run_dir in runs:
        with open(run_dir / "metrics.jsonl", "ab") as f:
            f.write(b'{"key": "loss", "value": 0.5, "step": %d, "timestamp": 1790000000.0}\n' % (1000 + round_))
        data = (run_dir / "run.json").read_bytes()
        (run_dir / "run.json").write_bytes(data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--changed", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-s3-") as tmp_name:
        tmp = Path(tmp_name)
        gen = seaweed_server.session(tmp / "seaweed")
        server = next(gen)
        try:
            server.client().create_bucket(Bucket=BUCKET)
            t = time.perf_counter()
            store = big_store.build(tmp / "a", args.runs)
            print(f"built {args.runs} runs in {time.perf_counter() - t:.1f} s")
            url = f"s3://{BUCKET}/{uuid.uuid4().hex[:8]}"
            first = _timed(lambda: push(store.root, _remote(url)))
            local_first = _timed(lambda: sync(store.root, tmp / "local-copy"))
            pulled = tc.Store(tmp / "b")
            first_pull = _timed(lambda: pull_into(_remote(url), pulled))
            counts: dict[str, list[int]] = {}
            rows: dict[str, list[float]] = {
                k: []
                for k in (
                    "push changed",
                    "pull changed",
                    "no-change push",
                    "no-change pull",
                    "local changed",
                    "local no-change",
                )
            }
            passes = {
                "push changed": lambda: push(store.root, _remote(url)),
                "local changed": lambda: sync(store.root, tmp / "local-copy"),
                "pull changed": lambda: pull_into(_remote(url), pulled),
                "no-change push": lambda: push(store.root, _remote(url)),
                "no-change pull": lambda: pull_into(_remote(url), pulled),
                "local no-change": lambda: sync(store.root, tmp / "local-copy"),
            }
            for r in range(args.repeat):
                _touch(store, args.changed, r)
                for key, fn in passes.items():
                    rows[key].append(_timed(fn))
                    counts.setdefault(key, []).append(len(REQUESTS))
            print(f"first push of {args.runs} runs to S3:      {first:8.2f} s   (local-path sync: {local_first:.2f} s)")
            print(f"first pull of {args.runs} runs from S3:    {first_pull:8.2f} s")
            for key, values in rows.items():
                requests = statistics.median(counts[key]) if not key.startswith("local") else 0
                print(
                    f"{key:<28} median {statistics.median(values):6.3f} s  (of {len(values)})"
                    + (f"  {requests:.0f} S3 requests" if requests else "")
                )
        finally:
            gen.close()


if __name__ == "__main__":
    main()
