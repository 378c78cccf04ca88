"""``python -m sample_runs --store PATH [--workers N] [--seed 42] [--quick]``: build the sample store."""

from __future__ import annotations

import argparse
import json
import sys

from tracker_core.errors import TrackerError

from .build import build, summarize
from .data import DEFAULT_SEED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sample_runs",
        description="Fill a new store with the kata's runs, its registry steps and a hyperparameter sweep.",
    )
    parser.add_argument("--store", required=True, metavar="PATH", help="a new or empty directory")
    parser.add_argument("--workers", type=int, default=2, help="parallel worker processes (default 2)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"data and model seed (default {DEFAULT_SEED})")
    parser.add_argument("--quick", action="store_true", help="a reduced sweep (for tests)")
    args = parser.parse_args(argv)

    def show(done: int, total: int, label: str) -> None:
        print(f"[{done:>2}/{total}] {label}", file=sys.stderr, flush=True)

    try:
        result = build(args.store, workers=args.workers, seed=args.seed, quick=args.quick, progress=show)
    except TrackerError as exc:
        print(f"sample_runs: error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(summarize(result), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
