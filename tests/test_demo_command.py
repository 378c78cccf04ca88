"""``tui-track demo``: builds the sample store once, reuses it, rebuilds on request, then opens the app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import DEAD_PID

import tracker_core as tc
from sample_runs.build import SAMPLE_TAG, BuildResult
from tui_track.cli import main


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, ["demo", *args], catch_exceptions=False)


def run_ids(path: Path) -> set[str]:
    return {r.id for r in tc.Store(path, create=False).list_runs()}


@pytest.fixture
def fake_build(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace the (slow) sample build by one run in a sample-tagged experiment; record where it built."""
    built: list[Path] = []

    def build(root: Path, *, workers: int, quick: bool, progress: Any) -> BuildResult:
        built.append(Path(root))
        store = tc.Store(root)
        with store.start_run("churn_prediction", "stand_in"):
            pass
        store.set_experiment_tag("churn_prediction", SAMPLE_TAG, {"seed": 42})
        progress(1, 1, "churn_prediction/stand_in")
        return BuildResult(str(root), seconds=0.5)

    monkeypatch.setattr("sample_runs.build.build", build)
    return built


@pytest.mark.slow
def test_demo_builds_the_real_sample_store_with_a_progress_display(tmp_path):
    target = tmp_path / "demo"
    result = invoke("--path", str(target), "--no-open", "--quick", "--workers", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(target)
    assert "Building the demo store" in result.stderr and "Demo store ready" in result.stderr
    store = tc.Store(target, create=False)
    assert {e.name for e in store.list_experiments()} == {"churn_prediction", "churn_sweep"}
    assert {r.status for r in store.list_runs()} == {"finished", "failed", "crashed"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]  # no staging directory left behind


def test_demo_reuses_an_existing_store_and_rebuild_replaces_it(tmp_path, fake_build):
    target = tmp_path / "demo"
    assert invoke("--path", str(target), "--no-open").exit_code == 0
    first = run_ids(target)
    again = invoke("--path", str(target), "--no-open")
    assert again.exit_code == 0 and "Demo store ready" not in again.stderr
    assert run_ids(target) == first and len(fake_build) == 1
    rebuilt = invoke("--path", str(target), "--no-open", "--rebuild")
    assert rebuilt.exit_code == 0 and len(fake_build) == 2
    assert run_ids(target) and run_ids(target).isdisjoint(first)
    assert fake_build[1] != target  # built aside, then renamed into place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_demo_default_path_follows_xdg_data_home(tmp_path, monkeypatch, fake_build):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    result = invoke("--no-open")
    expected = tmp_path / "data" / "tui-track" / "demo-store"
    assert result.exit_code == 0 and result.stdout.strip() == str(expected)
    assert run_ids(expected)


def test_demo_opens_the_app_on_the_demo_store(tmp_path, monkeypatch, fake_build):
    opened: list[str | None] = []

    def run_app(store: str | None) -> int:
        opened.append(store)
        return 0

    monkeypatch.setattr("tui_track.app_entry.run_app", run_app)
    result = invoke("--path", str(tmp_path / "demo"))
    assert result.exit_code == 0
    assert opened == [str(tmp_path / "demo")]


def test_demo_never_builds_over_a_directory_it_did_not_make(tmp_path, fake_build):
    plain = tmp_path / "notes"
    plain.mkdir()
    (plain / "keep.txt").write_text("mine")
    result = invoke("--path", str(plain), "--no-open")
    assert result.exit_code == 1 and "not a tui-track store" in result.stderr
    assert (plain / "keep.txt").read_text() == "mine"
    mine = tc.Store(tmp_path / "real-store")
    with mine.start_run("work", "important"):
        pass
    refused = invoke("--path", str(mine.root), "--no-open", "--rebuild")
    assert refused.exit_code == 1 and "did not build" in refused.stderr
    assert [r.name for r in mine.list_runs()] == ["important"]
    assert fake_build == []


def test_a_killed_build_is_cleaned_up_by_the_next_one(tmp_path, fake_build):
    abandoned = tmp_path / f".demo.building-{DEAD_PID}"
    (abandoned / "experiments").mkdir(parents=True)
    assert invoke("--path", str(tmp_path / "demo"), "--no-open").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_an_interrupted_build_leaves_nothing_behind(tmp_path, monkeypatch):
    def failing_build(root: Path, **kwargs: Any) -> BuildResult:
        tc.Store(root)
        raise KeyboardInterrupt

    monkeypatch.setattr("sample_runs.build.build", failing_build)
    result = invoke("--path", str(tmp_path / "demo"), "--no-open")  # Ctrl-C during the build
    assert result.exit_code == 1 and "Aborted" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_demo_without_scikit_learn_says_what_to_install(tmp_path, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "sklearn" else real_find_spec(name, *a)
    )
    result = invoke("--path", str(tmp_path / "demo"), "--no-open")
    assert result.exit_code == 1 and "pip install 'tui-track[sklearn]'" in result.stderr
    assert list(tmp_path.iterdir()) == []
