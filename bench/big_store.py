"""Build large stores for benchmarks: real runs through the API, then cloned run directories.

Creating 100,000 runs through the API costs minutes of fsyncs; cloning the directories of
1,000 real runs under fresh uuid4 ids gives the same files in seconds. Every run keeps the
exact on-disk format (the ``id`` inside ``run.json`` matches its directory).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
import uuid
from pathlib import Path

import tracker_core as tc


def build(root: Path, n_runs: int, *, experiment: str = "bench", seed: int = 0, steps: int = 20) -> tc.Store:
    """A store at ``root`` with ``n_runs`` finished runs (10 params, 5 metrics, 2 tags) in one experiment."""
    if root.exists() and any(root.iterdir()):
        raise SystemExit(f"{root} exists and is not empty; give a new directory")
    rng = random.Random(seed)
    store = tc.Store(root)
    templates = min(n_runs, 1000)
    for i in range(templates):
        with store.start_run(experiment, f"run-{i}", flush_interval=60) as run:
            run.log_params({f"p{j}": rng.choice([1, 2, 4, 8, 16]) * (j + 1) for j in range(8)})
            run.log_params({"model": rng.choice(["rf", "gbm", "mlp"]), "lr": rng.choice([0.1, 0.01, 0.001])})
            run.set_tags({"team": rng.choice(["a", "b"]), "seed": i})
            for step in range(steps):
                run.log_metrics({f"m{k}": rng.random() for k in range(5)}, step=step)
    exp_id = store.get_experiment(experiment).id
    runs_dir = store.experiments_dir / exp_id / "runs"
    sources = [p for p in runs_dir.iterdir() if not p.name.startswith(".")]
    for i in range(n_runs - templates):
        src = sources[i % len(sources)]
        run_id = uuid.UUID(int=rng.getrandbits(128), version=4).hex
        dst = runs_dir / run_id
        dst.mkdir()
        data = json.loads((src / "run.json").read_text())
        data["id"] = run_id
        data["name"] = f"run-{templates + i}"
        data["start_time"] = data["start_time"] + i * 0.001
        for m in data["metrics"].values():
            m["last"] = rng.random()
        (dst / "run.json").write_text(json.dumps(data))
        shutil.copyfile(src / "metrics.jsonl", dst / "metrics.jsonl")
        (dst / "heartbeat").touch()
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("runs", type=int)
    args = parser.parse_args()
    t0 = time.perf_counter()
    build(args.root, args.runs)
    print(f"built {args.runs} runs at {args.root} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
