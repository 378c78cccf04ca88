"""MLflow-style example scripts run unchanged (imports rewritten) against ``tracker_core.mlflow``, and the store
they leave equals, value for value, what the same scripts leave in real MLflow after ``tui-track import mlflow``.

The scripts live in tests/data/mlflow_examples/ (each says which MLflow example it follows and what differs).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import tracker_core as tc
from tracker_core.interop.mlflow_import import import_mlflow

pytest.importorskip("mlflow", reason="the mlflow extra (pip install 'tui-track[mlflow]') is a test dependency")

EXAMPLES = Path(__file__).parent / "data" / "mlflow_examples"
ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))


def rewrite_imports(source: str) -> str:
    """What a user changes in a script written for MLflow: its imports, and nothing else."""
    source = re.sub(r"^import mlflow$", "import tracker_core.mlflow as mlflow", source, flags=re.M)
    source = re.sub(r"^import mlflow\.(\w+)$", r"import tracker_core.mlflow.\1", source, flags=re.M)
    return re.sub(r"^from mlflow(\.[\w.]+)? import", r"from tracker_core.mlflow\1 import", source, flags=re.M)


def run_script(script: Path, workdir: Path, tracking_uri: str) -> str:
    workdir.mkdir(parents=True)
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": tracking_uri,
        "MLFLOW_ALLOW_FILE_STORE": "true",
        "PYTHONPATH": str(ROOT),
        "TUI_TRACK_STORE": str(workdir / "unused-default-store"),
    }
    done = subprocess.run(
        [sys.executable, str(script)], cwd=workdir, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{script.name} failed:\n{done.stdout}\n{done.stderr[-4000:]}"
    assert not (workdir / "unused-default-store").exists()
    return done.stdout


def model_dirs(store: tc.Store, run: tc.RunSummary) -> set[str]:
    """Top-level artifact folders that hold a model (MLflow's ``MLmodel`` or tui-track's sidecar)."""
    return {
        a.path.split("/")[0]
        for a in store.list_artifacts(run.id)
        if a.path.endswith(("/MLmodel", "/model.json")) and a.path.count("/") == 1
    }


def content(store: tc.Store, run: tc.RunSummary) -> dict[str, Any]:
    """Everything a script logged on a run, in a form two stores can be compared by."""
    models = model_dirs(store, run)
    histories = {
        key: [(p.step, p.value) for p in points] for key, points in sorted(store.metric_histories(run.id).items())
    }
    inputs = run.tags.get("mlflow.inputs")
    return {
        "status": run.status,
        "params": run.params,
        "tags": {k: v for k, v in run.tags.items() if not k.startswith(("mlflow.", "tui_track."))},
        "inputs": sorted((i["name"], i.get("context")) for i in inputs) if isinstance(inputs, list) else None,
        "metrics": histories,
        "models": sorted(models),
        "files": {
            a.path: comparable(a.path, store.artifact_path(run.id, a.path).read_bytes())
            for a in store.list_artifacts(run.id)
            if not a.is_dir and a.path.split("/")[0] not in models
        },
    }


def comparable(path: str, data: bytes) -> bytes:
    """A file's bytes; plotly's HTML with its random div id made fixed (it differs between two saves anyway)."""
    if path.endswith(".html"):
        return re.sub(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", b"<id>", data)
    return data


def runs_of(store: tc.Store) -> dict[str, list[dict[str, Any]]]:
    """Experiment -> its runs' contents, in start order, with parents as positions."""
    out: dict[str, list[dict[str, Any]]] = {}
    for exp in store.list_experiments():
        runs = sorted(store.list_runs(exp.name), key=lambda r: (r.start_time or 0.0, r.name))
        position = {r.id: i for i, r in enumerate(runs)}
        out[exp.name] = [
            {**content(store, r), "parent": position.get(r.parent_id) if r.parent_id else None} for r in runs
        ]
    return {name: runs for name, runs in out.items() if runs}


@pytest.mark.parametrize("name", SCRIPTS)
def test_example_runs_unchanged_and_logs_what_mlflow_logs(name: str, tmp_path: Path):
    source = (EXAMPLES / name).read_text(encoding="utf-8")
    ours = tmp_path / "ours" / name
    ours.parent.mkdir()
    ours.write_text(rewrite_imports(source), encoding="utf-8")
    assert "import mlflow" not in ours.read_text() and "from mlflow" not in ours.read_text()
    theirs = tmp_path / "theirs" / name
    theirs.parent.mkdir()
    shutil.copyfile(EXAMPLES / name, theirs)

    store_dir = tmp_path / "store"
    run_script(ours, tmp_path / "run-ours", str(store_dir))
    mlruns = tmp_path / "mlruns"
    run_script(theirs, tmp_path / "run-theirs", mlruns.as_uri())

    imported = tc.Store(tmp_path / "imported")
    report = import_mlflow(imported, mlruns)
    assert report.warnings == []
    logged = runs_of(tc.Store(store_dir))
    assert logged, "the script logged nothing"
    assert logged == runs_of(imported)


def test_importing_the_drop_in_does_not_import_mlflow():
    code = (
        "import sys, tracker_core.mlflow as m, tracker_core.mlflow.sklearn, tracker_core.mlflow.models, "
        "tracker_core.mlflow.tracking, tracker_core.mlflow.entities; "
        "print(sorted(k for k in sys.modules if k == 'mlflow' or k.startswith('mlflow.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
