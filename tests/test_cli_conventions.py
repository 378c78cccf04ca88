"""Command-line conventions every subcommand follows: usage errors, closed pipes, options anywhere,
ISO-8601 times in machine output, and the guards of ``compare`` and ``best``."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import build_demo_store

import tracker_core as tc
from tui_track.cli import main

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> tc.Store:
    """The demo store plus a model ``churn`` (v1 registered and promoted) for the registry commands."""
    store = build_demo_store(tmp_path_factory.mktemp("cli-conventions") / "store")
    with store.start_run("models", "trained") as run:
        run.log_metrics({"accuracy": 0.8})
        run.log_model({"depth": 3}, "model")
    reg = tc.Registry(store)
    reg.register("churn", run.id)
    reg.promote("churn", 1, "staging", reason="checked")
    return store


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def ids(store: tc.Store) -> dict[str, str]:
    return {r.name: r.id for r in store.list_runs()}


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (["runs", "--bogus"], "tui-track runs: error: No such option '--bogus'"),
        (["--bogus"], "tui-track: error: No such option '--bogus'"),
        (["show"], "tui-track show: error: Missing argument 'RUN'"),
        (["compare", "zzzz"], "tui-track compare: error: give at least two runs"),
        (["best", "churn_prediction", "-m", "loss", "--max", "--min"], "tui-track best: error: --min and --max"),
        (["best", "churn_prediction"], "tui-track best: error: Missing option '--metric'"),
        (["models", "promote", "m"], "tui-track models promote: error: Missing argument"),
        (["runs", "--limit", "-3"], "tui-track runs: error: Invalid value for '--limit'"),
    ],
)
def test_usage_errors_print_one_line_and_exit_2(demo_store: tc.Store, args: list[str], start: str) -> None:
    result = cli("--store", str(demo_store.root), *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(start), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""


def test_store_and_json_are_accepted_anywhere(demo_store: tc.Store) -> None:
    root = str(demo_store.root)
    outputs = [
        cli("--store", root, "runs", "--json"),
        cli("runs", "--store", root, "--json"),
        cli("runs", "--json", "-s", root),
        cli("--json", "runs", f"--store={root}"),
        cli(root, "--json", "runs"),
    ]
    for result in outputs:
        assert result.exit_code == 0, result.output
    names = [sorted(r["name"] for r in json.loads(result.stdout)) for result in outputs]
    assert names[0] == sorted(ids(demo_store)) and all(n == names[0] for n in names)
    nested = cli("--json", "models", "list", "--store", root)
    assert nested.exit_code == 0, nested.output
    assert [m["name"] for m in json.loads(nested.stdout)] == ["churn"]


def _times_in(value: object, key: str = "") -> list[tuple[str, object]]:
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _times_in(v, k)]
    if isinstance(value, list):
        return [t for v in value for t in _times_in(v, key)]
    wanted = key.endswith("_time") or key in {"time", "created", "updated", "last_activity", "registered_at"}
    return [(key, value)] if wanted and value is not None else []


def test_machine_output_times_are_iso_8601_with_offset(demo_store: tc.Store, tmp_path: Path) -> None:
    root = str(demo_store.root)
    run_id = ids(demo_store)["gbm"]
    json_commands = [
        ["experiments", "--json"],
        ["runs", "--json"],
        ["runs", "--json", "-c", "name,start_time,end_time"],
        ["show", run_id, "--json"],
        ["compare", run_id, ids(demo_store)["rf_small"], "--json"],
        ["best", "churn_prediction", "-m", "auc_roc", "--json"],
        ["export", "churn_prediction", "--format", "json"],
        ["models", "list", "--json"],
        ["models", "show", "churn", "--json"],
        ["models", "history", "churn", "--json"],
    ]
    seen = 0
    for args in json_commands:
        result = cli("--store", root, *args)
        assert result.exit_code == 0, (args, result.output)
        times = _times_in(json.loads(result.stdout))
        for key, value in times:
            assert isinstance(value, str) and ISO.match(value), (args, key, value)
        seen += len(times)
    assert seen > 30
    csv_commands = [
        ["experiments", "--csv"],
        ["runs", "--csv"],
        ["show", run_id, "--csv"],
        ["best", "churn_prediction", "-m", "auc_roc", "--csv"],
        ["export", "churn_prediction"],
        ["models", "list", "--csv"],
        ["models", "show", "churn", "--csv"],
        ["models", "history", "churn", "--csv"],
    ]
    for args in csv_commands:
        result = cli("--store", root, *args)
        assert result.exit_code == 0, (args, result.output)
        rows = list(csv.reader(io.StringIO(result.stdout)))
        header, body = rows[0], rows[1:]
        time_columns = [
            i
            for i, h in enumerate(header)
            if h
            in {
                "started",
                "ended",
                "start_time",
                "end_time",
                "time",
                "registered",
                "updated",
                "created",
                "last activity",
            }
        ]
        if args[0] == "show":  # one long table: section, key, value
            values = [r[2] for r in body if r[1] in ("started", "ended")]
        else:
            values = [r[i] for r in body for i in time_columns if r[i]]
        assert values, args
        for value in values:
            assert ISO.match(value), (args, value)


def test_compare_refuses_the_same_run_twice(demo_store: tc.Store) -> None:
    run_id = ids(demo_store)["gbm"]
    result = cli("--store", str(demo_store.root), "compare", run_id[:6], run_id)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"tui-track: error: '{run_id[:6]}' and '{run_id}' are the same run {run_id[:8]} (gbm); give each run once"
    )


def test_best_skips_crashed_and_failed_runs_unless_asked(demo_store: tc.Store) -> None:
    root = str(demo_store.root)
    # loss (lower is better): broken_features (failed) 0.9, oom_sweep (crashed) 0.2, gbm 0.121 the best finished.
    # --max picks the highest loss: the failed run, but only when failed runs are asked for.
    finished = cli("--store", root, "best", "churn_prediction", "-m", "loss", "--max", "-q")
    assert finished.stdout.strip() == ids(demo_store)["logreg"]
    widened = cli("--store", root, "best", "churn_prediction", "-m", "loss", "--max", "-q", "--status", "failed")
    assert widened.stdout.strip() == ids(demo_store)["broken_features"]
    none = cli("--store", root, "best", "churn_prediction", "-m", "loss", "--status", "running")
    assert none.exit_code == 1 and "with status running" in none.stderr


def test_a_plain_file_as_the_store_says_it_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    result = cli("--store", str(path), "runs")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"tui-track: error: {path} is a file, not a store directory"
    with pytest.raises(tc.StoreError) as started:
        tc.start_run(store=path)
    assert str(started.value) == f"{path} is a file, not a store directory"


@pytest.mark.parametrize("args", [["runs", "--all"], ["show", "gbm"], ["runs", "--json"], ["models", "list"]])
def test_a_closed_pipe_exits_0_quietly(demo_store: tc.Store, args: list[str]) -> None:
    if args[0] == "show":
        args = ["show", ids(demo_store)["gbm"]]
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    command = [sys.executable, "-c", "from tui_track.cli import main; main()", "--store", str(demo_store.root), *args]
    # `| head -1`, made certain: the reader closes the pipe before the writer writes anything.
    reader, writer = os.pipe()
    os.close(reader)
    proc = subprocess.run(command, stdout=writer, stderr=subprocess.PIPE, env=env, timeout=60)
    os.close(writer)
    assert (proc.returncode, proc.stderr.decode()) == (0, "")
    shell = subprocess.run(
        f"{shlex.join(command)} | head -1; echo \"rc=${{PIPESTATUS[0]}}\"",
        shell=True, executable="/bin/bash", capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert shell.stdout.splitlines()[-1] == "rc=0" and shell.stderr == ""


def test_user_data_named_like_a_time_field_is_kept_as_logged(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "store", create=True)
    with store.start_run("e", "r", params={"time": 3, "created": 1.5}, tags={"updated": 2}) as run:
        run.log_metric("time", 0.25)
    record = json.loads(cli("--store", str(store.root), "show", run.id, "--json").stdout)
    assert record["params"] == {"time": 3, "created": 1.5} and record["tags"] == {"updated": 2}
    assert record["metrics"]["time"]["last"] == 0.25 and ISO.match(record["start_time"])
