"""Metric histories of many MLflow runs at once, read straight from SQLite and file stores.

MLflow's client fetches one metric of one run per call (a query or an HTTP request each), which
dominates an import. For the two local backends, the tables and files have had the same shape
for years, so they are read directly: one query per batch of runs for SQLite, the metric files
for a file store. Anything else (servers, other databases) returns None: the caller uses the API.
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..records import MetricPoint
from .mlflow_common import metric_from_mlflow

BATCH = 200


def prefetch(uri: str, runs: Sequence[tuple[str, str]]) -> dict[str, list[MetricPoint]] | None:
    """``{run_id: points}`` for ``(experiment_id, run_id)`` pairs, or None when the backend is not local."""
    try:
        if uri.startswith("sqlite:///"):
            return _from_sqlite(uri[len("sqlite:///") :], [run_id for _, run_id in runs])
        if uri.startswith("file:"):
            root = Path(unquote(urlparse(uri).path))
            return {run_id: _from_files(_experiment_dir(root, exp_id) / run_id / "metrics") for exp_id, run_id in runs}
    except (sqlite3.Error, OSError, ValueError):
        return None  # an unexpected layout: the API still works
    return None


TRASH = ".trash"
"""Where MLflow's file store moves a deleted experiment's directory (runs, metrics, artifacts)."""


def _experiment_dir(root: Path, experiment_id: str) -> Path:
    live = root / experiment_id
    return live if live.is_dir() else root / TRASH / experiment_id


def in_trash(uri: str, path: Path) -> Path | None:
    """The place ``path`` (inside the file store ``uri``) moved to when its experiment was deleted."""
    if not uri.startswith("file:"):
        return None
    root = Path(unquote(urlparse(uri).path))
    try:
        moved = root / TRASH / path.relative_to(root)
    except ValueError:
        return None
    return moved if moved.exists() else None


def _from_sqlite(path: str, run_ids: list[str]) -> dict[str, list[MetricPoint]]:
    out: dict[str, list[MetricPoint]] = {run_id: [] for run_id in run_ids}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        for i in range(0, len(run_ids), BATCH):
            chunk = run_ids[i : i + BATCH]
            rows = db.execute(
                "SELECT run_uuid, key, value, timestamp, step, is_nan FROM metrics "
                f"WHERE run_uuid IN ({','.join('?' * len(chunk))}) ORDER BY run_uuid, key, timestamp, step, value",
                chunk,
            )
            for run_id, key, value, ts, step, is_nan in rows:
                v = math.nan if is_nan else metric_from_mlflow(value)
                out[run_id].append(MetricPoint(key, v, int(step), ts / 1000.0))
    return out


def _from_files(metrics_dir: Path) -> list[MetricPoint]:
    points: list[MetricPoint] = []
    if not metrics_dir.is_dir():
        return points
    for dirpath, _, filenames in os.walk(metrics_dir):
        for name in filenames:
            key = os.path.relpath(os.path.join(dirpath, name), metrics_dir).replace(os.sep, "/")
            with open(os.path.join(dirpath, name), encoding="utf-8") as fh:
                for line in fh:
                    parts = line.split()
                    if len(parts) < 2:
                        continue
                    step = int(parts[2]) if len(parts) >= 3 else 0
                    points.append(MetricPoint(key, metric_from_mlflow(float(parts[1])), step, int(parts[0]) / 1000.0))
    return points
