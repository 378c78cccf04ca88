"""Reproduction: a run records its commit, the patch of a dirty work tree, untracked files and packages."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner

import tracker_core as tc
from tracker_core import reproduce
from tui_track.cli import main

TRAIN = """
import sys
import tracker_core as tc

with tc.start_run("repro", store=sys.argv[1], system_metrics=False) as run:
    run.log_metric("loss", 0.5)
    print(run.id)
"""
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True, env={**os.environ, **GIT_ENV}
    )
    return out.stdout


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


@pytest.fixture
def dirty_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "train.py").write_text(TRAIN)
    (repo / "model.py").write_text("LAYERS = 2\n")
    (repo / "old.txt").write_text("to be deleted\n")
    (repo / "weights.bin").write_bytes(bytes(range(256)) * 4)
    (repo / ".gitignore").write_text("*.log\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    (repo / "model.py").write_text("LAYERS = 4  # changed, not staged\n")
    (repo / "old.txt").unlink()
    (repo / "weights.bin").write_bytes(bytes(reversed(range(256))) * 4)  # a binary change
    (repo / "staged.py").write_text("NEW = True\n")
    _git(repo, "add", "staged.py")
    (repo / "notes.md").write_text("untracked\n")
    (repo / "train.log").write_text("ignored\n")
    return repo


def _train(repo: Path, store: Path, **env: str) -> str:
    environ = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", ""), **env}
    environ.pop("TUI_TRACK_REPRODUCE", None)  # tests/conftest.py turns recording off for the other tests
    environ.update(env)
    out = subprocess.run(
        [sys.executable, "train.py", str(store)], cwd=repo, capture_output=True, text=True, env=environ, check=True
    )
    return out.stdout.strip()


def test_patch_applies_to_the_commit_and_gives_the_same_tree(dirty_repo: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "s"
    run_id = _train(dirty_repo, store_path)
    store = tc.Store(store_path)
    record, patch = reproduce.load(store, run_id)
    assert record is not None and patch is not None
    git = record["git"]
    assert git["commit"] == _git(dirty_repo, "rev-parse", "HEAD").strip()
    assert git["branch"] == "main" and git["dirty"] is True
    assert git["root"] == str(dirty_repo.resolve())
    assert git["untracked"] == ["notes.md"] and git["untracked_count"] == 1  # ignored files are not listed
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(dirty_repo), str(clone)], check=True)
    _git(clone, "checkout", "-q", git["commit"])
    _git(clone, "apply", "--check", patch)
    _git(clone, "apply", patch)
    expected = _tree(dirty_repo)
    del expected["notes.md"], expected["train.log"]  # untracked and ignored: listed, not patched
    assert _tree(clone) == expected
    assert record["cwd"] == str(dirty_repo.resolve()) or Path(record["cwd"]).resolve() == dirty_repo.resolve()
    assert record["command"][1:] == ["train.py", str(store_path)]
    packages = {p["name"].lower(): p["version"] for p in record["packages"]}
    assert packages["orjson"] == metadata.version("orjson")
    assert packages["click"] == metadata.version("click")
    assert len(packages) == len({d.metadata["Name"].lower() for d in metadata.distributions()})
    assert "torch_cuda" not in record["cuda"]  # torch was never imported by train.py


def test_cli_prints_the_commands_and_writes_the_files(dirty_repo: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "s"
    run_id = _train(dirty_repo, store_path)
    commit = _git(dirty_repo, "rev-parse", "HEAD").strip()
    runner = CliRunner()
    result = runner.invoke(main, ["--store", str(store_path), "reproduce", run_id[:8]])
    assert result.exit_code == 0, result.output
    _, patch = reproduce.load(tc.Store(store_path), run_id)
    lines = result.output.splitlines()
    assert f"cd {dirty_repo.resolve()}" in lines
    assert any(line.startswith(f"git checkout {commit}") for line in lines)
    assert f"git apply {patch}" in lines
    assert any("notes.md" in line and line.startswith("#") for line in lines)
    assert f"train.py {store_path}" in result.output
    assert f"orjson=={metadata.version('orjson')}" in lines

    out_dir = tmp_path / "out"
    result = runner.invoke(main, ["--store", str(store_path), "reproduce", run_id, "--write", str(out_dir)])
    assert result.exit_code == 0, result.output
    assert patch is not None and (out_dir / "diff.patch").read_bytes() == Path(patch).read_bytes()
    requirements = (out_dir / "requirements.txt").read_text()
    assert f"orjson=={metadata.version('orjson')}\n" in requirements
    assert f"git apply {(out_dir / 'diff.patch').resolve()}" in result.output.splitlines()
    assert f"install -r {(out_dir / 'requirements.txt').resolve()}" in result.output
    assert "orjson==" not in result.output  # written, not printed
    # the written files reproduce: pip can parse the requirements, git applies the patch
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(dirty_repo), str(clone)], check=True)
    _git(clone, "checkout", "-q", commit)
    _git(clone, "apply", "--check", str(out_dir / "diff.patch"))


def test_unknown_run_and_a_run_without_record(tmp_path: Path) -> None:
    runner = CliRunner()
    store = tc.Store(tmp_path / "s")
    with store.start_run("e") as run:  # recording off (tests/conftest.py): no record
        pass
    result = runner.invoke(main, ["--store", str(store.root), "reproduce", run.id])
    assert result.exit_code == 0
    assert "no reproduction record" in result.output
    assert "cd " in result.output  # still the command line from the run's environment
    result = runner.invoke(main, ["--store", str(store.root), "reproduce", "nope"])
    assert result.exit_code == 1 and "no run with id 'nope'" in result.output


def test_a_clean_tree_has_no_patch_and_outside_git_no_commit(tmp_path: Path, dirty_repo: Path) -> None:
    _git(dirty_repo, "add", "-A")
    _git(dirty_repo, "commit", "-q", "-m", "all")
    run_id = _train(dirty_repo, tmp_path / "s")
    record, patch = reproduce.load(tc.Store(tmp_path / "s"), run_id)
    assert record is not None and patch is None
    assert record["git"]["dirty"] is False and record["git"]["patch"] is None
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "train.py").write_text(TRAIN)
    run_id = _train(plain, tmp_path / "s", GIT_CEILING_DIRECTORIES=str(tmp_path))
    record, patch = reproduce.load(tc.Store(tmp_path / "s"), run_id)
    assert record is not None and record["git"] is None and patch is None


def test_a_diff_above_the_cap_is_left_out(dirty_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reproduce.git_record.cache_clear()
    monkeypatch.setattr(reproduce, "PATCH_LIMIT", 100)
    info, patch = reproduce.git_record(str(dirty_repo))
    reproduce.git_record.cache_clear()
    assert patch == b"" and info is not None
    assert info["patch"] is None and info["patch_bytes"] > 100
    assert "above the 100-byte limit" in info["patch_omitted"]
    lines = dict(reproduce.instructions({"git": info}, {}, None, None))["code"]
    assert any("uncommitted changes not recorded" in line for line in lines)


def test_switched_off(dirty_repo: Path, tmp_path: Path) -> None:
    run_id = _train(dirty_repo, tmp_path / "s", TUI_TRACK_REPRODUCE="0")
    assert reproduce.load(tc.Store(tmp_path / "s"), run_id) == (None, None)
    assert tc.Store(tmp_path / "s").list_artifacts(run_id) == []
