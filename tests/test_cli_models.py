"""``tui-track models ...`` as a person or a script uses it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import tracker_core as tc
from tracker_core.registry import Registry
from tui_track.cli import main


@pytest.fixture
def store(tmp_path: Path) -> tc.Store:
    """A store with two runs that logged a model, the first registered as churn v1."""
    store = tc.Store(tmp_path / "store")
    for i, acc in enumerate((0.81, 0.87)):
        with store.start_run("churn", f"run{i}") as run:
            run.log_params({"depth": i + 3})
            run.log_metrics({"accuracy": acc, "auc_roc": acc + 0.05})
            run.log_model({"depth": i + 3}, "model")
    return store


def first_run(store: tc.Store) -> str:
    return min(store.list_runs(), key=lambda r: r.name).id


def tui(store: tc.Store, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["--store", str(store.root), "models", *args], input=input)


def ok(store: tc.Store, *args: str, input: str | None = None) -> str:
    result = tui(store, *args, input=input)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_register_list_show(store: tc.Store) -> None:
    run_ids = sorted(store.list_runs(), key=lambda r: r.name)
    assert "registered churn v1 from run " + run_ids[0].id[:8] in ok(store, "register", "churn", run_ids[0].id[:8])
    ok(store, "register", "churn", run_ids[1].id, "--description", "deeper")

    listed = json.loads(ok(store, "list", "--json"))
    assert [(m["name"], m["version_count"], m["latest_version"]) for m in listed] == [("churn", 2, 2)]
    plain = ok(store, "list", "--plain").splitlines()
    assert plain[2].split()[:4] == ["churn", "2", "v2", "-"]

    shown = ok(store, "show", "churn", "--plain").splitlines()
    header = shown[1].split()
    assert header[:6] == ["version", "stage", "aliases", "run", "registered", "by"]
    assert {"accuracy", "auc_roc"} <= set(header)
    v2 = shown[3].split()
    assert v2[:4] == ["v2", "development", "-", run_ids[1].id[:8]]
    assert "0.87" in v2 and "deeper" in v2
    data = json.loads(ok(store, "show", "churn", "--json"))
    assert [v["metrics"]["accuracy"] for v in data["versions"]] == [0.81, 0.87]
    assert data["versions"][0]["source_run_id"] == run_ids[0].id
    assert ok(store, "show", "churn", "-m", "auc_roc", "--csv").splitlines()[0] == (
        "version,stage,aliases,run,registered,by,auc_roc,description"
    )


def test_promote_asks_before_production_and_records_the_reason(store: tc.Store) -> None:
    reg = Registry(store)
    reg.register("churn", first_run(store))
    reg.register("churn", first_run(store))
    assert ok(store, "promote", "churn", "1", "staging", "--reason", "smoke tests pass") == (
        "v1 development -> staging\n"
    )

    declined = tui(store, "promote", "churn", "v1", "production", input="n\n")
    assert declined.exit_code == 1 and "cancelled" in declined.stderr
    assert reg.get_model("churn").production_version is None
    no_answer = tui(store, "promote", "churn", "1", "production", input="")
    assert no_answer.exit_code == 1 and "--yes" in no_answer.stderr

    ok(store, "promote", "churn", "1", "production", input="y\n")
    out = ok(store, "promote", "churn", "2", "production", "--yes", "--reason", "better")
    assert out.splitlines() == ["v1 production -> archived", "v2 development -> production"]
    assert "already in production" in ok(store, "promote", "churn", "2", "production", "-y")
    assert [e.reason for e in reg.history("churn")][-2:] == ["better", "better"]


def test_alias_history_delete_restore(store: tc.Store) -> None:
    reg = Registry(store)
    reg.register("churn", first_run(store))
    reg.register("churn", first_run(store))
    assert ok(store, "alias", "churn", "champion", "1").strip() == "alias champion -> v1"
    assert ok(store, "alias", "churn", "champion", "2").strip() == "alias champion -> v2 (was v1)"
    assert "already points" in ok(store, "alias", "churn", "champion", "2")
    assert "champion→v2" in ok(store, "list", "--plain")
    assert ok(store, "alias", "churn", "champion", "--delete").strip() == "alias champion removed (was v2)"
    assert reg.get_model("churn").aliases == {}

    ok(store, "delete", "churn", "2", "--reason", "bad data", input="y\n")
    assert [v.version for v in reg.list_versions("churn")] == [1]
    assert "v2 (deleted)" in ok(store, "show", "churn", "--all", "--plain")
    ok(store, "restore", "churn", "2")
    assert [v.version for v in reg.list_versions("churn")] == [1, 2]

    history = json.loads(ok(store, "history", "churn", "--json"))  # newest first, as the app shows it
    assert [h["action"] for h in history] == [
        "restore",
        "delete",
        "alias_delete",
        "alias_set",
        "alias_set",
        "register",
        "register",
    ]
    assert history[1]["reason"] == "bad data"
    rows = ok(store, "history", "churn", "--plain").splitlines()
    assert rows[1].split() == ["time", "user", "host", "action", "version", "key", "from", "to", "reason"]
    assert f"run {first_run(store)[:8]}" in rows[-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("show", "nope"), "no model named 'nope' in the registry; models: churn"),
        (("promote", "churn", "7", "staging"), "has no version 7; versions: 1"),
        (("promote", "churn", "1", "gold"), "stages: development, staging, production, archived"),
        (("alias", "churn", "bad alias", "1"), "invalid alias"),
        (("register", "churn", "0000000000"), "no run"),
        (("history", "nope"), "no model named 'nope'"),
    ],
)
def test_errors_are_one_line_and_exit_1(store: tc.Store, args: tuple[str, ...], message: str) -> None:
    Registry(store).register("churn", first_run(store))
    result = tui(store, *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("tui-track: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_missing_store_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--store", str(tmp_path / "none"), "models", "list"])
    assert result.exit_code == 1 and "no tui-track store" in result.stderr
    assert not (tmp_path / "none").exists()


def test_real_subprocess(store: tc.Store) -> None:
    Registry(store).register("churn", first_run(store))
    Registry(store).promote("churn", 1, "production")
    script = Path(sys.executable).with_name("tui-track")  # the installed console script
    cmd = [str(script)] if script.is_file() else [sys.executable, "-c", "from tui_track.cli import main; main()"]
    done = subprocess.run(
        [*cmd, "--store", str(store.root), "models", "list"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()  # piped: plain text, no rich box drawing
    assert lines[2].split()[:4] == ["churn", "1", "v1", "v1"]
    failed = subprocess.run(
        [*cmd, "--store", str(store.root), "models", "show", "nope"], capture_output=True, text=True, timeout=60
    )
    assert failed.returncode == 1 and failed.stderr.startswith("tui-track: error: no model named 'nope'")


def test_a_damaged_model_is_listed_not_fatal(store: tc.Store) -> None:
    reg = Registry(store)
    reg.register("churn", first_run(store))
    reg.register("other", first_run(store))
    state = reg.models_dir / "churn" / "model.json"
    state.write_text("")
    rows = ok(store, "list", "--plain").splitlines()
    assert rows[2].startswith("churn") and "UNREADABLE" in rows[2] and str(state) in rows[2]
    assert rows[3].split()[:3] == ["other", "1", "v1"]
    shown = tui(store, "show", "churn")
    assert shown.exit_code == 1 and f"{state}: file is empty" in shown.stderr


def test_describe_and_tag(store: tc.Store) -> None:
    reg = Registry(store)
    reg.register("churn", first_run(store))
    ok(store, "describe", "churn", "--text", "predicts churn")
    ok(store, "describe", "churn", "1", "-t", "first forest")
    ok(store, "tag", "churn", "--set", "owner=ana", "--set", "team=growth")
    ok(store, "tag", "churn", "v1", "--set", "validated=yes")
    model, v1 = reg.get_model("churn"), reg.get_version("churn", 1)
    assert (model.description, model.tags) == ("predicts churn", {"owner": "ana", "team": "growth"})
    assert (v1.description, v1.tags) == ("first forest", {"validated": "yes"})
    assert ok(store, "show", "churn", "--plain").splitlines()[0] == "churn: predicts churn"
    bad = tui(store, "tag", "churn", "--set", "novalue")
    assert bad.exit_code == 2 and "KEY=VALUE" in bad.stderr
