"""``tui-track experiments|runs|show|compare|best|export`` as a user and a script call them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from conftest import build_demo_store

import tracker_core as tc
from tracker_core.jsonio import loads
from tui_track.cli import main
from tui_track.commands import runs as runs_module
from tui_track.commands.runs import DefaultGroup, export_group


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> tc.Store:
    """One demo store for the module: these commands only read it."""
    return build_demo_store(tmp_path_factory.mktemp("cli-runs") / "store")


def run_cli(store: tc.Store | Path, *args: str) -> Result:
    root = store.root if isinstance(store, tc.Store) else store
    return CliRunner().invoke(main, ["--store", str(root), *args])


def ids(store: tc.Store) -> dict[str, str]:
    return {r.name: r.id for r in store.list_runs()}


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_experiments_lists_names_and_counts(demo_store: tc.Store) -> None:
    result = run_cli(demo_store, "experiments", "--csv")
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in csv_rows(result.stdout)}
    assert rows["churn_prediction"]["runs"] == "6" and rows["mnist_mlp"]["runs"] == "3"
    records = json.loads(run_cli(demo_store, "experiments", "--json").stdout)
    assert {r["name"] for r in records} == {"churn_prediction", "mnist_mlp"}


def test_runs_filter_sort_and_columns(demo_store: tc.Store) -> None:
    result = run_cli(
        demo_store,
        "runs",
        "churn_prediction",
        "--filter",
        "params.n_estimators >= 100 OR attributes.status = 'crashed'",
        "--sort",
        "metrics.auc_roc DESC",
        "--columns",
        "name,status,params.n_estimators,metrics.auc_roc",
        "--csv",
    )
    assert result.exit_code == 0, result.output
    rows = csv_rows(result.stdout)
    assert [r["name"] for r in rows] == ["gbm", "rf_large", "oom_sweep"]  # no auc_roc: last
    assert rows[0] == {"name": "gbm", "status": "finished", "params.n_estimators": "100", "metrics.auc_roc": "0.95"}


def test_runs_default_columns_add_sorted_and_filtered_keys(demo_store: tc.Store) -> None:
    result = run_cli(demo_store, "runs", "-f", "metrics.loss.min < 0.14", "-o", "-metrics.loss.min", "--plain")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = lines[0].split()
    assert header[:5] == ["id", "name", "status", "started", "duration"]
    assert "metrics.loss.min" in header
    assert [line.split()[1] for line in lines[1:]] == ["rf_large", "gbm"]


def test_runs_limit_says_what_it_hid(demo_store: tc.Store, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_cli(demo_store, "runs", "--limit", "2", "--csv")
    assert len(csv_rows(result.stdout)) == 2 and result.stderr == ""  # asked for 2: no note
    monkeypatch.setattr(runs_module, "DEFAULT_LIMIT", 3)
    result = run_cli(demo_store, "runs", "--csv")
    assert len(csv_rows(result.stdout)) == 3
    assert "showing 3 of 9 runs" in result.stderr
    everything = run_cli(demo_store, "runs", "--all", "--csv", "--limit", "2")
    assert len(csv_rows(everything.stdout)) == 9 and everything.stderr == ""


def test_runs_json_has_full_records(demo_store: tc.Store) -> None:
    records = json.loads(run_cli(demo_store, "runs", "mnist_mlp", "--json", "--sort", "params.lr").stdout)
    assert [r["name"] for r in records] == ["lr_2", "lr_1", "lr_0"]
    assert records[0]["metrics"]["val_acc"]["last"] == pytest.approx(0.94)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["runs", "-f", "metrics.acc >"], "tui-track: error: --filter: expected a value after '>' at column 14"),
        (["runs", "-o", "metrics.acc DESC DESC"], "tui-track: error: --sort: expected ASC, DESC or ','"),
        (["runs", "-c", "name,colour"], "tui-track: error: --columns 'colour': unknown key 'colour'"),
        (["runs", "nope"], "tui-track: error: no experiment named 'nope'"),
        (["show", "zzzz"], "tui-track: error: no run with id 'zzzz'"),
        (
            ["best", "churn_prediction", "-m", "nope"],
            "tui-track: error: no run with status finished in 'churn_prediction' has a value",
        ),
        (["best", "churn_prediction", "-m", "loss", "-f", "x ="], "tui-track: error: --filter: unknown key 'x'"),
    ],
)
def test_errors_print_one_line_and_exit_1(demo_store: tc.Store, args: list[str], message: str) -> None:
    result = run_cli(demo_store, *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_missing_store_is_an_error(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "nowhere", "runs")
    assert result.exit_code == 1 and "no tui-track store at" in result.stderr


def test_show_accepts_a_prefix(demo_store: tc.Store) -> None:
    run_id = ids(demo_store)["rf_small"]
    result = run_cli(demo_store, "show", run_id[:6], "--plain")
    assert result.exit_code == 0, result.output
    assert run_id in result.stdout and "n_estimators" in result.stdout and "report.json" in result.stdout
    record = json.loads(run_cli(demo_store, "show", run_id[:6], "--json").stdout)
    assert record["params"] == {"model_type": "RandomForest", "n_estimators": 50, "max_depth": 5}
    assert "notes/summary.txt" in [a["path"] for a in record["artifacts"]]
    flat = csv_rows(run_cli(demo_store, "show", run_id, "--csv").stdout)
    assert {"section": "metrics", "key": "loss.count", "value": "20"} in flat


def test_ambiguous_prefix_is_refused(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "store")
    for i in range(17):  # 17 hex ids: two must share a first character
        store.start_run("e", f"r{i}").end()
    first = [r.id[0] for r in store.list_runs()]
    shared = next(c for c in first if first.count(c) > 1)
    result = run_cli(store, "show", shared)
    assert result.exit_code == 1 and f"run id prefix '{shared}' matches" in result.stderr


def test_compare_marks_the_best_and_diff_hides_equal_rows(demo_store: tc.Store) -> None:
    by_name = ids(demo_store)
    small, large = by_name["rf_small"][:8], by_name["rf_large"][:8]
    result = run_cli(demo_store, "compare", small, large, "--plain")
    assert result.exit_code == 0, result.output
    lines = {tuple(line.split()[:2]): line.split()[2:] for line in result.stdout.splitlines()}
    assert lines[("metrics", "auc_roc")] == ["0.91", "0.93", "*"]
    assert lines[("metrics", "loss")][-1] == "*" and lines[("params", "model_type")] == ["RandomForest"] * 2
    diff = csv_rows(run_cli(demo_store, "compare", small, large, "--diff", "--csv").stdout)
    keys = {(r["section"], r["key"]) for r in diff}
    assert ("params", "n_estimators") in keys and ("params", "model_type") not in keys
    assert next(r for r in diff if r["key"] == "auc_roc") == {
        "section": "metrics",
        "key": "auc_roc",
        "rf_small": "0.91",
        "rf_large": "0.93",
    }
    only = csv_rows(run_cli(demo_store, "compare", small, large, "--section", "params", "--csv").stdout)
    assert {r["section"] for r in only} == {"params"} and len(only) == 3
    data = json.loads(run_cli(demo_store, "compare", small, large, "--json").stdout)
    assert next(r for r in data["rows"] if r["key"] == "auc_roc")["best_index"] == 1


def test_best_by_metric_direction(demo_store: tc.Store) -> None:
    by_name = ids(demo_store)
    assert run_cli(demo_store, "best", "churn_prediction", "-m", "auc_roc", "-q").stdout.strip() == by_name["gbm"]
    # loss: lower is better; the crashed sweep's last loss (0.2) loses to gbm's
    assert run_cli(demo_store, "best", "churn_prediction", "-m", "loss", "-q").stdout.strip() == by_name["gbm"]
    worst = run_cli(demo_store, "best", "churn_prediction", "-m", "loss", "--max", "-q").stdout.strip()
    assert worst == by_name["logreg"]  # the failed run's 0.9 is higher, but only finished runs compete
    record = json.loads(run_cli(demo_store, "best", "mnist_mlp", "-m", "train_loss", "-a", "min", "--json").stdout)
    assert record["run"]["name"] == "lr_2" and record["direction"] == "min" and record["aggregate"] == "min"
    assert record["value"] == pytest.approx(1 / 7)  # 1 / (epoch + 1 + j) at epoch 4, j 2


def test_best_offers_the_column_pickers_aggregates(demo_store: tc.Store) -> None:
    from tracker_core.query.keys import AGGREGATES

    for aggregate in AGGREGATES:  # one definition: every aggregate the picker offers ranks runs here
        record = json.loads(
            run_cli(demo_store, "best", "mnist_mlp", "-m", "train_loss", "-a", aggregate, "--json").stdout
        )
        assert record["aggregate"] == aggregate and record["value"] is not None
    mean = json.loads(run_cli(demo_store, "best", "mnist_mlp", "-m", "train_loss", "-a", "mean", "--json").stdout)
    from tracker_core.query import search_runs

    runs = {r.name: r for r in search_runs(demo_store, "mnist_mlp")}
    means = {name: r.metrics["train_loss"].mean for name, r in runs.items() if r.status == "finished"}
    assert mean["run"]["name"] == min((v, k) for k, v in means.items() if v is not None)[1]


def test_export_csv_and_json(demo_store: tc.Store, tmp_path: Path) -> None:
    result = run_cli(demo_store, "export", "churn_prediction", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in csv_rows(result.stdout)}
    assert set(rows) == {"logreg", "rf_small", "rf_large", "gbm", "broken_features", "oom_sweep"}
    assert rows["gbm"]["metrics.auc_roc"] == "0.95" and rows["gbm"]["params.n_estimators"] == "100"
    assert float(rows["gbm"]["metrics.loss.min"]) == demo_store.get_run(rows["gbm"]["id"]).metric("loss", "min")
    assert rows["gbm"]["start_time"].startswith("2026-09-2") and "T" in rows["gbm"]["start_time"]
    out = tmp_path / "runs.json"
    result = run_cli(demo_store, "export", "runs", "mnist_mlp", "-o", str(out), "--filter", "params.lr < 0.005")
    assert result.exit_code == 0 and "wrote 2 runs" in result.stderr
    records = loads(out.read_text())
    assert sorted(r["name"] for r in records) == ["lr_1", "lr_2"]


def test_export_errors_name_the_users_file_not_the_temp_file(demo_store: tc.Store, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "x.csv"
    result = run_cli(demo_store, "export", "churn_prediction", "-o", str(missing))
    assert result.exit_code == 1
    assert result.stderr == f"tui-track: error: cannot write {missing}: No such file or directory\n"


def test_export_group_leaves_room_for_other_subcommands() -> None:
    group = DefaultGroup("export", default_command="runs")
    seen: list[str] = []

    @group.command("runs")
    @click.argument("experiment")
    def runs(experiment: str) -> None:
        seen.append(f"runs {experiment}")

    @group.command("mlflow")
    @click.option("--to")
    def mlflow(to: str) -> None:
        seen.append(f"mlflow {to}")

    runner = CliRunner()
    assert runner.invoke(group, ["churn"]).exit_code == 0
    assert runner.invoke(group, ["mlflow", "--to", "x"]).exit_code == 0
    assert runner.invoke(group, ["runs", "mlflow"]).exit_code == 0  # an experiment named like a subcommand
    assert seen == ["runs churn", "mlflow x", "runs mlflow"]
    assert isinstance(export_group, DefaultGroup) and "runs" in export_group.commands


def test_runs_of_every_experiment_name_the_experiment(demo_store: tc.Store) -> None:
    rows = csv_rows(run_cli(demo_store, "runs", "--csv", "--sort", "name").stdout)
    assert [(r["name"], r["experiment"]) for r in rows][:2] == [
        ("broken_features", "churn_prediction"),
        ("gbm", "churn_prediction"),
    ]
    assert {r["experiment"] for r in rows} == {"churn_prediction", "mnist_mlp"}
    single = run_cli(demo_store, "runs", "mnist_mlp", "--plain").stdout.splitlines()[0].split()
    assert "experiment" not in single
