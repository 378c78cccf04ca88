"""``tui-track runs EXP --group-by KEYS`` (table, --csv, --json) and aggregate columns (``-c metrics.loss.min``)."""

from __future__ import annotations

import csv
import io
import json
import statistics
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import tracker_core as tc
from tui_track.cli import main

LOSSES = {(0.1, 2): [0.5, 0.7, 0.9], (0.1, 3): [0.3, 0.4], (0.01, 2): [0.2, 0.6], (0.01, 3): [0.8]}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> tc.Store:
    """Seeds of a small grid: loss curves ending at LOSSES, acc logged by all but one run."""
    store = tc.Store(tmp_path_factory.mktemp("group-cli") / "store")
    for (lr, depth), finals in LOSSES.items():
        for seed, final in enumerate(finals):
            with store.start_run("sweep", f"lr{lr}-d{depth}-s{seed}") as run:
                run.log_params({"lr": lr, "depth": depth, "seed": seed})
                run.set_tags({"team": "a"})
                for step, value in enumerate([1.0, final + 0.5, final]):
                    run.log_metric("loss", value, step=step)
                if (lr, depth, seed) != (0.1, 2, 2):
                    run.log_metric("acc", 1 - final)
    return store


def run_cli(store: tc.Store, *args: str) -> Result:
    return CliRunner().invoke(main, ["--store", str(store.root), *args])


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_group_by_two_params_csv_matches_statistics(sweep: tc.Store) -> None:
    result = run_cli(sweep, "runs", "sweep", "--group-by", "params.lr,params.depth", "-c", "loss,acc", "--csv")
    assert result.exit_code == 0, result.output
    rows = csv_rows(result.stdout)
    assert [(r["params.lr"], r["params.depth"], r["runs"]) for r in rows] == [
        ("0.01", "2", "2"), ("0.01", "3", "1"), ("0.1", "2", "3"), ("0.1", "3", "2"),
    ]  # fmt: skip
    by = {(float(r["params.lr"]), int(r["params.depth"])): r for r in rows}
    for key, finals in LOSSES.items():
        row = by[key]
        assert float(row["loss mean"]) == pytest.approx(statistics.mean(finals), rel=1e-5)
        assert row["loss std"] == ("" if len(finals) == 1 else row["loss std"])
        if len(finals) > 1:
            assert float(row["loss std"]) == pytest.approx(statistics.stdev(finals), rel=1e-5)
        assert (float(row["loss min"]), float(row["loss max"])) == (min(finals), max(finals))
    assert by[(0.1, 2)]["acc n"] == "2" and by[(0.1, 2)]["loss n"] == "3"  # one run lacks acc


def test_group_table_shows_mean_std_and_partial_counts(sweep: tc.Store) -> None:
    result = run_cli(sweep, "runs", "sweep", "-g", "lr", "-c", "loss,acc", "--min-max", "--plain")
    assert result.exit_code == 0, result.output
    header, *lines = result.stdout.splitlines()
    assert header.split()[:3] == ["lr", "runs", "loss"] and "(mean ± std)" in header and "loss min" in header
    assert len(lines) == 2
    finals = LOSSES[(0.1, 2)] + LOSSES[(0.1, 3)]
    mean, std = statistics.mean(finals), statistics.stdev(finals)
    assert lines[1].startswith("0.1 ") and f"{mean:.6g} ± {std:.6g}" in lines[1]
    assert "(n=4)" in lines[1]  # acc: four of the five runs


def test_group_json_sort_and_limit(sweep: tc.Store) -> None:
    result = run_cli(sweep, "runs", "sweep", "-g", "depth", "-c", "loss.min", "-o", "count DESC", "--json")
    groups = json.loads(result.stdout)
    assert [(g["by"], g["count"]) for g in groups] == [({"params.depth": 2}, 5), ({"params.depth": 3}, 3)]
    stats = groups[0]["metrics"]["metrics.loss.min"]
    assert set(stats) == {"count", "missing", "nan", "mean", "std", "min", "max"} and stats["missing"] == 0
    assert len(groups[0]["run_ids"]) == 5
    by_mean = run_cli(sweep, "runs", "sweep", "-g", "lr,depth", "-c", "loss", "-o", "metrics.loss DESC", "--json")
    means = [g["metrics"]["metrics.loss"]["mean"] for g in json.loads(by_mean.stdout)]
    assert means == sorted(means, reverse=True)
    limited = run_cli(sweep, "runs", "sweep", "-g", "lr,depth", "-n", "1", "--plain")
    assert len(limited.stdout.splitlines()) == 2 and "showing 1 of 4 groups" in limited.stderr
    filtered = run_cli(sweep, "runs", "sweep", "-g", "lr", "-f", "params.depth = 3", "--json")
    assert sorted(g["count"] for g in json.loads(filtered.stdout)) == [1, 2]
    assert "metrics.loss" in json.loads(filtered.stdout)[0]["metrics"]  # the default: metrics most runs have


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-g", "nope"], "tui-track: error: no param or tag 'nope' in these runs"),
        (["-g", "metrics.loss"], "tui-track: error: cannot group by 'metrics.loss'"),
        (["-g", "lr", "-c", "params.depth"], "tui-track: error: --columns with --group-by takes metric keys"),
        (["-g", "lr", "-o", "zzz"], "tui-track: error: cannot sort groups by 'zzz'"),
        (["--min-max"], "tui-track: error: --min-max goes with --group-by"),
    ],
)
def test_group_errors_are_one_line(sweep: tc.Store, args: list[str], message: str) -> None:
    result = run_cli(sweep, "runs", "sweep", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message), result.stderr
    assert "Traceback" not in result.output


def test_aggregate_columns_without_grouping(sweep: tc.Store, tmp_path: Path) -> None:
    keys = "name,metrics.loss.min,metrics.loss.mean,metrics.loss.first,metrics.loss.count"
    result = run_cli(sweep, "runs", "sweep", "-c", keys, "-f", "attributes.name = 'lr0.1-d2-s0'", "--csv")
    (row,) = csv_rows(result.stdout)
    assert row["metrics.loss.min"] == "0.5" and row["metrics.loss.first"] == "1"
    assert float(row["metrics.loss.mean"]) == pytest.approx((1.0 + 1.0 + 0.5) / 3)
    assert row["metrics.loss.count"] == "3"
    ordered = run_cli(sweep, "runs", "sweep", "-o", "metrics.loss.mean", "-c", "name,metrics.loss.mean", "--json")
    means = [r["metrics.loss.mean"] for r in json.loads(ordered.stdout)]
    assert means == sorted(means)
