"""What a run records about where it ran: host, user, interpreter, command, git, packages.

Computed once per process (git and package metadata cost milliseconds) and shared by every
run the process starts.
"""

from __future__ import annotations

import getpass
import os
import platform
import socket
import subprocess
import sys
from functools import lru_cache
from typing import Any

TRACKED_PACKAGES = ("numpy", "scikit-learn", "joblib", "scipy", "pandas", "torch")


@lru_cache(maxsize=1)
def hostname() -> str:
    return socket.gethostname()


@lru_cache(maxsize=1)
def username() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return str(os.getuid())


def _git(args: list[str], cwd: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_state(cwd: str | None = None) -> dict[str, Any] | None:
    """Commit, branch and dirty flag of the git work tree holding ``cwd``, or None."""
    cwd = cwd or os.getcwd()
    top = _git(["rev-parse", "--show-toplevel"], cwd)
    if top is None:
        return None
    commit = _git(["rev-parse", "HEAD"], cwd)
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], cwd)
    status = _git(["status", "--porcelain", "--untracked-files=no"], cwd)
    return {
        "root": top,
        "commit": commit,
        "branch": None if branch == "HEAD" else branch,
        "dirty": bool(status) if status is not None else None,
    }


def package_versions() -> dict[str, str]:
    """Versions of the ML packages that matter for reproducing a result, where installed."""
    from importlib import metadata

    versions: dict[str, str] = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@lru_cache(maxsize=1)
def capture() -> dict[str, Any]:
    """The environment record shared by the runs of this process."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "executable": sys.executable,
        "command": [sys.executable, *sys.argv] if sys.argv and sys.argv[0] else [sys.executable],
        "cwd": os.getcwd(),
        "git": git_state(),
        "packages": package_versions(),
    }
