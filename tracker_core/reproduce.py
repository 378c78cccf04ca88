"""What gets a run back: its code (commit + patch), its packages, its command line.

At the start of a top-level run a background thread writes, as artifacts under ``reproduce/``:

- ``diff.patch``: ``git diff --binary HEAD`` of a dirty work tree (staged and unstaged changes
  to tracked files, new files that are staged), when it is at most :data:`PATCH_LIMIT` bytes
  (5 MiB); a larger diff is left out (a cut patch would not apply) and the record says so;
- ``environment.json``: the git root, commit, branch, the untracked files (not in the patch,
  at most :data:`UNTRACKED_LIMIT` names), every installed distribution with its exact version,
  CUDA and driver versions when available (``torch.version.cuda`` only if torch is already
  imported; the driver from nvidia-ml-py or ``nvidia-smi`` when present), the command line
  and its working directory.

The package list is read once per process. :meth:`Run.end` waits for the record (up to a few
seconds) so that a short run has it too; the git facts are read once per process and folder,
like the run's ``env``. Off with ``TUI_TRACK_REPRODUCE=0`` or ``reproduce = false`` in the config
file. ``tui-track reproduce RUN`` prints the commands.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .errors import TrackerError

if TYPE_CHECKING:
    from .run import Run

FOLDER = "reproduce"
PATCH_FILE = f"{FOLDER}/diff.patch"
RECORD_FILE = f"{FOLDER}/environment.json"
PATCH_LIMIT = 5 * 1024 * 1024
"""Largest diff stored (bytes); a larger one is recorded as omitted with its size."""
UNTRACKED_LIMIT = 1000
_TIMEOUT = 20.0


def _git(args: list[str], cwd: str) -> bytes | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


@lru_cache(maxsize=8)
def git_record(cwd: str) -> tuple[dict[str, Any] | None, bytes]:
    """(git facts, the patch bytes or b"") of the work tree holding ``cwd``; (None, b"") outside one."""
    top = _git(["rev-parse", "--show-toplevel"], cwd)
    if top is None:
        return None, b""
    root = top.decode().strip()
    commit = (_git(["rev-parse", "HEAD"], root) or b"").decode().strip() or None
    branch = (_git(["rev-parse", "--abbrev-ref", "HEAD"], root) or b"").decode().strip()
    info: dict[str, Any] = {"root": root, "commit": commit, "branch": None if branch in ("", "HEAD") else branch}
    patch = b""
    if commit is not None:
        patch = _git(["diff", "--binary", "--no-color", "--no-ext-diff", "HEAD"], root) or b""
    info["dirty"] = bool(patch)
    info["patch_bytes"] = len(patch)
    if len(patch) > PATCH_LIMIT:
        info["patch"] = None
        info["patch_omitted"] = f"the diff is {len(patch)} bytes, above the {PATCH_LIMIT}-byte limit"
        patch = b""
    else:
        info["patch"] = PATCH_FILE if patch else None
    listed = _git(["ls-files", "--others", "--exclude-standard", "-z"], root) or b""
    untracked = [name.decode(errors="replace") for name in listed.split(b"\0") if name]
    info["untracked"] = untracked[:UNTRACKED_LIMIT]
    info["untracked_count"] = len(untracked)
    return info, patch


@lru_cache(maxsize=1)
def distributions() -> tuple[tuple[str, str, str | None], ...]:
    """(name, version, editable source or None) of every installed distribution, by name."""
    import json
    from importlib import metadata

    found: dict[str, tuple[str, str, str | None]] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if not name or name.lower() in found:
            continue
        editable = None
        try:
            direct = dist.read_text("direct_url.json")
            if direct:
                url = json.loads(direct)
                if url.get("dir_info", {}).get("editable"):
                    editable = str(url.get("url"))
        except (ValueError, OSError, AttributeError):
            pass
        found[name.lower()] = (name, dist.version, editable)
    return tuple(sorted(found.values(), key=lambda d: d[0].lower()))


def cuda_versions() -> dict[str, Any]:
    """CUDA runtime (torch, if imported) and NVIDIA driver versions that can be read here."""
    out: dict[str, Any] = {}
    torch = sys.modules.get("torch")
    version = getattr(torch, "version", None)
    if getattr(version, "cuda", None):
        out["torch_cuda"] = str(version.cuda)  # type: ignore[union-attr]
    return {**out, **driver_versions()}


@lru_cache(maxsize=1)
def driver_versions() -> dict[str, Any]:
    """The NVIDIA driver and its CUDA version, read once per process (NVML, else ``nvidia-smi``)."""
    out: dict[str, Any] = {}
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            driver = pynvml.nvmlSystemGetDriverVersion()
            out["driver"] = driver.decode() if isinstance(driver, bytes) else str(driver)
            cuda = pynvml.nvmlSystemGetCudaDriverVersion()
            out["driver_cuda"] = f"{cuda // 1000}.{cuda % 1000 // 10}"
        finally:
            pynvml.nvmlShutdown()
    except Exception:  # no library, driver or GPU
        pass
    if "driver" not in out:
        try:
            smi = subprocess.run(
                ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
            if smi.returncode == 0 and smi.stdout.strip():
                out["driver"] = smi.stdout.split()[0]
        except (OSError, subprocess.SubprocessError):
            pass
    return out


def capture(run: Run, cwd: str | None = None) -> None:
    """Write the run's reproduction record (see the module docstring); errors are reported, not raised."""
    try:
        where = cwd or os.getcwd()
        git, patch = git_record(where)
        env = run._data.get("env") or {}
        record = {
            "git": git,
            "cwd": env.get("cwd", where),
            "command": env.get("command"),
            "python": env.get("python"),
            "executable": env.get("executable"),
            "packages": [{"name": n, "version": v, "editable": e} for n, v, e in distributions()],
            "cuda": cuda_versions(),
        }
        from .jsonio import dumps_bytes, write_new_file

        if patch:
            run._write_artifact(PATCH_FILE, lambda tmp, _target: write_new_file(tmp, patch))
        data = dumps_bytes(record, indent=True) + b"\n"  # built here from checked values: not log_dict's checks
        run._write_artifact(RECORD_FILE, lambda tmp, _target: write_new_file(tmp, data))
    except TrackerError as exc:
        if not run.ended:
            print(f"tracker_core: could not record how to reproduce run {run.id[:8]}: {exc}", file=sys.stderr)
    except Exception as exc:
        print(f"tracker_core: could not record how to reproduce run {run.id[:8]}: {exc}", file=sys.stderr)


ENV_SWITCH = "TUI_TRACK_REPRODUCE"


def start_capture(run: Run) -> threading.Thread | None:
    """Write the record in a daemon thread (:meth:`Run.end` waits for it); None when switched off."""
    from .config import switched_off

    if switched_off(ENV_SWITCH, "reproduce"):
        return None
    cwd = os.getcwd()
    thread = threading.Thread(target=capture, args=(run, cwd), name=f"tracker_core-reproduce-{run.id[:8]}", daemon=True)
    run._capture = thread
    thread.start()
    return thread


def load(store: Any, run_id: str) -> tuple[dict[str, Any] | None, str | None]:
    """(the record, the patch's path in the store or None) of a run; (None, None) when it has none."""
    from .jsonio import read_json

    root = store.artifact_root(run_id)
    path, patch = root / RECORD_FILE, root / PATCH_FILE
    if not path.is_file():
        return None, None
    record = read_json(path)
    if not isinstance(record, dict):
        return None, None
    return record, (str(patch) if patch.is_file() else None)


def requirements(record: dict[str, Any]) -> str:
    """A requirements file of the record's packages, exact versions; editable installs commented."""
    lines = [f"# the packages installed when the run started (python {record.get('python') or '?'})"]
    for pkg in record.get("packages") or ():
        name, version, editable = pkg.get("name"), pkg.get("version"), pkg.get("editable")
        if editable:
            lines.append(f"# {name}=={version}  (editable install of {editable}: pip install -e it)")
        else:
            lines.append(f"{name}=={version}")
    return "\n".join(lines) + "\n"


def instructions(
    record: dict[str, Any] | None, env: dict[str, Any], patch_path: str | None, requirements_path: str | None
) -> list[tuple[str, list[str]]]:
    """The steps that get a run back, as (title, shell lines) sections; from its record or, lacking one, its env."""
    import shlex

    record = record or {}
    git = record.get("git") if record else env.get("git")  # a record's null git: it started outside one
    sections: list[tuple[str, list[str]]] = []
    code: list[str] = []
    if isinstance(git, dict) and git.get("commit"):
        code.append(f"cd {shlex.quote(str(git.get('root') or '.'))}")
        code.append(f"git checkout {git['commit']}" + (f"  # branch {git['branch']}" if git.get("branch") else ""))
        if patch_path:
            code.append(f"git apply {shlex.quote(patch_path)}")
        elif git.get("patch_omitted"):
            code.append(f"# uncommitted changes not recorded: {git['patch_omitted']}")
        elif git.get("dirty") and not record:
            code.append("# the work tree had uncommitted changes (no patch was recorded)")
        untracked = git.get("untracked") or []
        if untracked:
            more = (git.get("untracked_count") or len(untracked)) - len(untracked)
            code.append(f"# untracked files at the start (not in the patch): {', '.join(untracked[:20])}")
            if more > 0 or len(untracked) > 20:
                code.append(f"#   ... {len(untracked) - 20 + more} more in {RECORD_FILE}")
    else:
        code.append("# the run did not start in a git work tree: no commit recorded")
    sections.append(("code", code))
    packages: list[str] = []
    if record.get("packages"):
        target = requirements_path or "requirements.txt"
        packages.append(f"python -m venv .venv && .venv/bin/pip install -r {shlex.quote(target)}")
        if record.get("python"):
            packages.append(
                f"# python {record['python']}" + (f" ({record['executable']})" if record.get("executable") else "")
            )
        cuda = record.get("cuda") or {}
        if cuda:
            packages.append("# " + ", ".join(f"{k} {v}" for k, v in sorted(cuda.items())))
    else:
        known = env.get("packages") or {}
        packages.append(
            "# no package list recorded; known versions: "
            + (", ".join(f"{k}=={v}" for k, v in sorted(known.items())) or "none")
        )
    sections.append(("packages", packages))
    command = record.get("command") or env.get("command")
    cwd = record.get("cwd") or env.get("cwd")
    lines = []
    if cwd:
        lines.append(f"cd {shlex.quote(str(cwd))}")
    if isinstance(command, list) and command:
        lines.append(shlex.join(str(part) for part in command))
    else:
        lines.append("# no command line recorded")
    sections.append(("command", lines))
    return sections
