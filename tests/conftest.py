"""Shared fixtures: small stores with fixed timestamps, so screens and snapshots are stable."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

import tracker_core as tc
from tracker_core.jsonio import read_json, write_json_atomic

# Background recorders (tracker_core/system_metrics.py, reproduce.py) are on by default for users; the
# suite's other tests compare exact metric keys and artifact lists, so they run without them. The
# tests of those features turn them on (tests/test_system_metrics.py, test_reproduce.py, test_resume.py).
os.environ.setdefault("TUI_TRACK_SYSTEM_METRICS", "0")
os.environ.setdefault("TUI_TRACK_REPRODUCE", "0")

FIXED_START = 1_790_000_000.0  # 2026-09-21 (UTC), a fixed "when" for every demo run
DEAD_PID = 2**22 + 12345  # above Linux's pid_max default: never a live process


def set_run_times(store: tc.Store, run_id: str, start: float, end: float | None) -> None:
    """Rewrite a run's times (fixtures only: makes listings and snapshots independent of the clock)."""
    run_dir = store.experiments_dir / store.get_run(run_id).experiment_id / "runs" / run_id
    data = read_json(run_dir / "run.json")
    data["start_time"], data["end_time"] = start, end
    data["last_write"] = end or start  # a crashed run's end is its last flush or point, whichever is later
    write_json_atomic(run_dir / "run.json", data)
    os.utime(run_dir / "heartbeat", (end or start, end or start))


def make_crashed(store: tc.Store, run_id: str) -> None:
    """Turn a run into one whose writer died: status running, dead pid, old heartbeat."""
    run_dir = store.experiments_dir / store.get_run(run_id).experiment_id / "runs" / run_id
    data = read_json(run_dir / "run.json")
    data.update(status="running", end_time=None, pid=DEAD_PID)
    write_json_atomic(run_dir / "run.json", data)


def build_demo_store(root: Path) -> tc.Store:
    """Two experiments with varied runs: params, histories, tags, artifacts, a model, a failure and a crash."""
    from sklearn.linear_model import LogisticRegression

    store = tc.Store(root)
    t0 = FIXED_START
    specs = [
        ("logreg", {"model_type": "LogisticRegression", "C": 1.0, "max_iter": 100}, 0.82, 0.88),
        ("rf_small", {"model_type": "RandomForest", "n_estimators": 50, "max_depth": 5}, 0.86, 0.91),
        ("rf_large", {"model_type": "RandomForest", "n_estimators": 200, "max_depth": 15}, 0.88, 0.93),
        ("gbm", {"model_type": "GradientBoosting", "n_estimators": 100, "max_depth": 3}, 0.90, 0.95),
    ]
    for i, (name, params, acc, auc) in enumerate(specs):
        with store.start_run("churn_prediction", name, tags={"team": "growth", "family": params["model_type"]}) as run:
            run.log_params(params)
            for step in range(20):
                loss = (1.0 - acc) + 0.5 * math.exp(-step / (3 + i))
                run.log_metric("loss", loss, step=step, timestamp=t0 + 60 * i + step)
            run.log_metrics({"accuracy": acc, "auc_roc": auc, "f1": acc - 0.03}, timestamp=t0 + 60 * i + 30)
            run.log_text(f"{name}: accuracy {acc}\n", "notes/summary.txt")
            run.log_dict({"name": name, "params": params, "auc": auc}, "report.json")
            run.log_text("label,predicted,count\n0,0,90\n0,1,10\n1,0,8\n1,1,92\n", "confusion.csv")
            if name == "logreg":
                model = LogisticRegression(C=1.0, max_iter=100).fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
                run.log_model(model, "model")
        set_run_times(store, run.id, t0 + 60 * i, t0 + 60 * i + 42 + i)
    try:
        with store.start_run("churn_prediction", "broken_features") as run:
            run.log_param("model_type", "SVC")
            run.log_metric("loss", 0.9, step=0, timestamp=t0 + 400)
            raise ValueError("feature matrix has NaN in column 7")
    except ValueError:
        pass
    set_run_times(store, run.id, t0 + 400, t0 + 401)
    crashed = store.start_run("churn_prediction", "oom_sweep")
    crashed.log_params({"model_type": "MLP", "hidden": 512})
    for step in range(5):
        crashed.log_metric("loss", 1.0 / (step + 1), step=step, timestamp=t0 + 500 + step)
    crashed.flush()
    crashed.end()  # release it in this process, then make it look like its writer died
    set_run_times(store, crashed.id, t0 + 500, None)
    make_crashed(store, crashed.id)
    for j in range(3):
        with store.start_run("mnist_mlp", f"lr_{j}") as run:
            run.log_params({"lr": 10.0 ** -(j + 2), "epochs": 5})
            for epoch in range(5):
                run.log_metrics(
                    {"train_loss": 1.0 / (epoch + 1 + j), "val_acc": 0.9 + 0.01 * epoch},
                    step=epoch,
                    timestamp=t0 + 1000 + 100 * j + epoch,
                )
        set_run_times(store, run.id, t0 + 1000 + 100 * j, t0 + 1000 + 100 * j + 50)
    return store


@pytest.fixture
def demo_store(tmp_path: Path) -> tc.Store:
    """A small store with fixed timestamps (see :func:`build_demo_store`)."""
    return build_demo_store(tmp_path / "store")


@pytest.fixture
def empty_store_path(tmp_path: Path) -> Path:
    """A path where no store exists yet."""
    return tmp_path / "no-store-here"


def read_lines(path: Path) -> list[dict[str, object]]:
    """Parse a JSON Lines file (test helper)."""
    return [json.loads(line) for line in path.read_text().splitlines() if line]


@pytest.fixture(autouse=True)
def _private_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own XDG_STATE_HOME: the app's saved views never leak between tests or into ~."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real SeaweedFS S3 server on loopback (one per test session), the AWS environment pointing at it."""
    import seaweed_server

    for server in seaweed_server.session(tmp_path_factory.mktemp("seaweed")):
        server.client().create_bucket(Bucket=seaweed_server.BUCKET)
        yield server


@pytest.fixture
def s3_url(seaweed) -> str:  # type: ignore[no-untyped-def]
    """A fresh ``s3://bucket/prefix`` on the session's SeaweedFS server."""
    import uuid

    import seaweed_server

    return f"s3://{seaweed_server.BUCKET}/{uuid.uuid4().hex[:12]}"
