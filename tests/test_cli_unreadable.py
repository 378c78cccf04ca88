"""A store with unreadable parts: the command line lists what it can and names what it cannot.

Tests run as root, which ignores file permissions, so "unreadable" is made in ways that hold for
root too: a ``run.json`` replaced by a directory (EISDIR) or by a FIFO (which a plain ``open()``
would wait on forever, hanging the reader).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import build_demo_store

import tracker_core as tc
from tui_track.cli import main


def damage(store: tc.Store, name: str, how: str) -> str:
    """Replace run ``name``'s run.json by a directory or a FIFO; return the run's id."""
    run = next(r for r in store.list_runs() if r.name == name)
    run_file = Path(store.layout.run_dir(run.experiment_id, run.id)) / "run.json"
    run_file.unlink()
    if how == "directory":
        run_file.mkdir()
    else:
        os.mkfifo(run_file)
    return run.id


@pytest.fixture
def damaged(tmp_path: Path) -> tuple[tc.Store, str, str]:
    store = build_demo_store(tmp_path / "store")
    return store, damage(store, "gbm", "fifo"), damage(store, "lr_1", "directory")


def test_runs_lists_the_rest_and_names_the_unreadable(damaged: tuple[tc.Store, str, str]) -> None:
    store, fifo_run, dir_run = damaged
    result = CliRunner().invoke(main, ["--store", str(store.root), "runs", "--plain"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    assert len(rows) == 9
    assert rows[fifo_run[:8]][3] == "unreadable" and rows[dir_run[:8]][3] == "unreadable"
    assert {"rf_large", "oom_sweep", "lr_0"} <= {r[1] for r in rows.values()}
    warnings = result.stderr.splitlines()
    assert (
        f"tui-track: warning: run {fifo_run} cannot be read: run.json: not a regular file" in warnings[0] + warnings[1]
    )
    assert any(line.startswith(f"tui-track: warning: run {dir_run} cannot be read: run.json: ") for line in warnings)


def test_a_filter_hides_unreadable_runs_but_still_names_them(damaged: tuple[tc.Store, str, str]) -> None:
    store, fifo_run, _ = damaged
    result = CliRunner().invoke(main, ["--store", str(store.root), "runs", "-f", "metrics.loss < 1", "--plain"])
    assert result.exit_code == 0, result.output
    assert fifo_run[:8] not in result.stdout and "rf_large" in result.stdout
    assert f"run {fifo_run} cannot be read" in result.stderr


def test_show_of_an_unreadable_run_says_why(damaged: tuple[tc.Store, str, str]) -> None:
    store, fifo_run, _ = damaged
    result = CliRunner().invoke(main, ["--store", str(store.root), "show", fifo_run, "--plain"])
    assert result.exit_code == 0, result.output
    assert "unreadable" in result.stdout and "not a regular file" in result.stdout


def test_a_fifo_as_the_store_marker_is_an_error_not_a_hang(tmp_path: Path) -> None:
    store = build_demo_store(tmp_path / "store")
    marker = next(p for p in store.root.iterdir() if p.is_file() and p.suffix == ".json")
    marker.unlink()
    os.mkfifo(marker)
    result = CliRunner().invoke(main, ["--store", str(store.root), "experiments"])
    assert result.exit_code == 1
    assert f"{marker} is not a file" in result.stderr and len(result.stderr.splitlines()) == 1
