"""``python -m sample_runs.crash --store PATH``: start a run, train a little, then die by SIGKILL."""

from __future__ import annotations

import argparse

import tracker_core as tc

from .data import DEFAULT_SEED
from .sweep import crash_mid_training


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", required=True)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()
    crash_mid_training(tc.Store(args.store), args.seed, args.epochs)


if __name__ == "__main__":
    main()
