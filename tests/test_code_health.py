"""The habits that keep the codebase healthy, run with the tests: ruff, mypy and the import contract."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["tracker_core", "tui_track", "sample_runs", "tests", "bench"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True)


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    assert path, f"{name} is not installed next to {sys.executable}; install the [test] extra"
    return path


@pytest.mark.parametrize("args", [("check",), ("format", "--check")], ids=["lint", "format"])
def test_ruff(args: tuple[str, ...]) -> None:
    result = _run(_tool("ruff"), *args, *SOURCES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_tracker_core() -> None:
    result = _run(_tool("mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contract() -> None:
    result = _run(_tool("lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if line.endswith(".venv/bin/python -m pytest")]
    assert len(commands) == 1, "README.md states exactly one install-and-test command"
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert commands[0] in ci_lines, ".ci/run must run README.md's test command verbatim"
    assert commands[0].startswith("apt-get update && apt-get install -y "), "it installs the system tools itself"
