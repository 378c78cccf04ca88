"""``tui-track history RUN KEY``: whole, every Nth, downsampled; text, CSV and strict JSON; clear errors."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

import tracker_core as tc
from tui_track.cli import main


@pytest.fixture
def logged(tmp_path: Path) -> tuple[tc.Store, str]:
    store = tc.Store(tmp_path / "s")
    with store.start_run("e", "r") as run:
        for i in range(1000):
            run.log_metric("loss", math.nan if i == 7 else (math.inf if i == 8 else 1.0 / (i + 1)), step=i)
        run.log_metric("other", 1.0, step=0)
    return store, run.id


def invoke(store: tc.Store, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--store", str(store.root), "history", *args])
    return result.exit_code, result.stdout, result.stderr


def test_whole_history_as_text_csv_and_json(logged: tuple[tc.Store, str]) -> None:
    store, run_id = logged
    code, out, _ = invoke(store, run_id[:6], "loss")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "step\tvalue\ttime" and len(lines) == 1001
    assert lines[8].split("\t")[:2] == ["7", "nan"]
    code, out, _ = invoke(store, run_id, "loss", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    history = store.metric_history(run_id, "loss")
    assert [int(r["step"]) for r in rows] == [p.step for p in history]
    assert [float(r["time"]) for r in rows] == [p.timestamp for p in history]
    code, out, _ = invoke(store, run_id, "loss", "--json")
    data = json.loads(out)  # strict JSON: non-finite values tagged
    assert data[7]["value"] == {"$float": "NaN"} and data[8]["value"] == {"$float": "Infinity"}
    assert [d["step"] for d in data] == list(range(1000)) and data[0]["value"] == 1.0


def test_every_and_points(logged: tuple[tc.Store, str]) -> None:
    store, run_id = logged
    _, out, _ = invoke(store, run_id, "loss", "--json", "--every", "100")
    assert [d["step"] for d in json.loads(out)] == list(range(0, 1000, 100))
    _, out, _ = invoke(store, run_id, "loss", "--json", "--points", "10")
    data = json.loads(out)
    assert 10 <= len(data) <= 30 and data[-1]["step"] == 999
    assert {"step": 8, "value": {"$float": "Infinity"}} in data_sv(data)  # bucket 0 keeps its spike


def test_errors_name_the_problem(logged: tuple[tc.Store, str]) -> None:
    store, run_id = logged
    code, out, err = invoke(store, run_id, "nope")
    assert code == 1 and out == "" and "no metric 'nope'" in err and "loss" in err
    code, _, err = invoke(store, run_id, "loss", "--every", "2", "--points", "3")
    assert code == 2 and "not both" in err
    code, _, err = invoke(store, run_id, "loss", "--every", "0")
    assert code == 2
    code, _, err = invoke(store, "ffffffff", "loss")
    assert code == 1 and "no run" in err


def data_sv(data: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{"step": d["step"], "value": d["value"]} for d in data]
