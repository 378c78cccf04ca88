"""Datasets a run recorded (``mlflow.log_input``) are shown by ``tui-track show`` and on the run screen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from click.testing import CliRunner
from textual.widgets import DataTable

import tracker_core as tc
import tracker_core.mlflow as mlflow
from tui_track.cli import main
from tui_track.screens.run import RunScreen


def _run_with_a_dataset(root: Path) -> str:
    mlflow.set_tracking_uri(str(root))
    frame = pd.DataFrame({"x": [1.0, 2.0], "label": [0, 1]})
    with mlflow.start_run(run_name="with-data") as active:
        mlflow.log_input(mlflow.data.from_pandas(frame, source="/data/train.csv", name="train"), context="training")
        run_id = str(active.info.run_id)
    mlflow.set_tracking_uri(None)
    return run_id


def test_show_lists_the_datasets_of_a_run(tmp_path: Path) -> None:
    run_id = _run_with_a_dataset(tmp_path / "store")
    digest = tc.Store(tmp_path / "store").get_run(run_id).tags["mlflow.inputs"][0]["digest"]
    result = CliRunner().invoke(main, ["--store", str(tmp_path / "store"), "show", run_id], catch_exceptions=False)
    assert result.exit_code == 0
    section = result.output[result.output.index("datasets") :]
    for text in ("train", digest, "training", "/data/train.csv", "2 columns: x:float64, label:int64"):
        assert text in section, text
    as_json = CliRunner().invoke(main, ["--store", str(tmp_path / "store"), "show", run_id, "--json"])
    assert json.loads(as_json.output)["tags"]["mlflow.inputs"][0]["name"] == "train"


async def test_run_screen_shows_the_datasets(tmp_path: Path, open_screen: Any) -> None:
    run_id = _run_with_a_dataset(tmp_path / "store")
    store = tc.Store(tmp_path / "store")
    async with open_screen(store, lambda: RunScreen(store, run_id), size=(120, 40)) as pilot:
        table = pilot.app.screen.query_one("#run-attributes", DataTable)
        found = {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert (
            found["dataset"].startswith("train ") and "(training) from /data/train.csv: 2 columns" in found["dataset"]
        )
