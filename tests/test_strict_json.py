"""Every file the store writes is strict JSON that jq (or any strict parser) reads."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import tracker_core as tc
from tracker_core import jsonio


def _strict_load(text: str) -> object:
    def refuse(name: str) -> None:
        raise AssertionError(f"non-standard constant {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 0.1, -0.0, 1e308, 5e-324])
def test_floats_round_trip_exactly(value: float) -> None:
    text = jsonio.dumps({"v": value, "nested": [value, {"x": value}]})
    _strict_load(text)
    back = jsonio.loads(text)
    for got in (back["v"], back["nested"][0], back["nested"][1]["x"]):
        assert (math.isnan(got) and math.isnan(value)) or (
            got == value and math.copysign(1, got) == math.copysign(1, value)
        )


def test_store_files_are_strict_json(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    with store.start_run("e") as run:
        run.log_params({"nan": math.nan, "inf": math.inf})
        run.log_metric("m", math.nan)
        run.log_metric("m", -math.inf)
        run.log_dict({"x": math.inf}, "d.json")
    files = [p for p in store.root.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl")]
    assert len(files) >= 4
    for path in files:
        for line in path.read_text().splitlines() if path.suffix == ".jsonl" else [path.read_text()]:
            _strict_load(line)
    if shutil.which("jq"):
        run_json = store.experiments_dir / run.experiment_id / "runs" / run.id / "run.json"
        out = subprocess.run(["jq", "-c", ".params"], input=run_json.read_text(), capture_output=True, text=True)
        assert out.stdout.strip() == '{"nan":{"$float":"NaN"},"inf":{"$float":"Infinity"}}'


def test_big_integers_survive(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    with store.start_run("e") as run:
        run.log_param("seed", 2**70)
    assert store.get_run(run.id).params["seed"] == 2**70


def test_a_failed_atomic_write_names_the_target_and_leaves_no_temp_file(tmp_path: Path) -> None:
    taken = tmp_path / "taken.json"
    (taken / "inside").mkdir(parents=True)  # a folder where the file should go: the rename fails
    with pytest.raises(IsADirectoryError) as caught:
        jsonio.write_json_atomic(taken, {"a": 1})
    assert str(caught.value) == f"[Errno 21] Is a directory: '{taken}'"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.json"]
    with pytest.raises(FileNotFoundError, match=re.escape(f"'{tmp_path / 'gone' / 'x.json'}'")):
        jsonio.write_json_atomic(tmp_path / "gone" / "x.json", [])
