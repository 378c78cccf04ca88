"""``tui-track demo``: build the sample store once (with a progress bar), then open the app on it.

The store is built in a sibling temporary directory and renamed into place when complete, so
an interrupted build never leaves a half-built demo behind: the next ``tui-track demo``
simply builds again.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

DEMO_DIR_NAME = "demo-store"


def default_demo_path() -> Path:
    """``$XDG_DATA_HOME/tui-track/demo-store`` (by default ``~/.local/share/tui-track/demo-store``)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "tui-track" / DEMO_DIR_NAME


def is_built(path: Path) -> bool:
    """Whether a store exists at ``path`` (demo stores only appear there once complete)."""
    from tracker_core.store import MARKER_FILE

    return (path / MARKER_FILE).is_file()


def check_replaceable(path: Path, rebuild: bool) -> None:
    """Refuse to build over a directory that is not a demo store (nothing of the user's is ever removed)."""
    from tracker_core.errors import ConflictError

    if not path.exists():
        return
    if not path.is_dir():
        raise ConflictError(f"{path} is a file; choose another --path for the demo store")
    if is_built(path):
        from sample_runs.build import is_sample_store

        if rebuild and not is_sample_store(path):
            raise ConflictError(
                f"{path} holds a store that tui-track demo did not build; --rebuild will not replace it"
            )
    elif any(path.iterdir()):
        raise ConflictError(f"{path} exists and is not a tui-track store; choose another --path for the demo store")


def build_demo_store(path: Path, *, workers: int, quick: bool = False) -> float:
    """Build the sample store into ``path`` (replacing one already there); return the seconds taken."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sample_runs.build import build

    _require_sklearn()
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_builds(path)
    staging = path.with_name(f".{path.name}.building-{os.getpid()}")
    columns = (
        TextColumn("[bold]Building the demo store[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    )
    try:
        with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
            task = bar.add_task("", total=None)

            def advance(done: int, total: int, label: str) -> None:
                bar.update(task, completed=done, total=total, description=label)

            result = build(staging, workers=workers, quick=quick, progress=advance)
            bar.update(task, description="registering the kata's models")
        _swap_into_place(staging, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result.seconds


def _require_sklearn() -> None:
    import importlib.util

    from tracker_core.errors import TrackerError

    if importlib.util.find_spec("sklearn") is None:
        raise TrackerError(
            "the demo store is built by training real models; install them: pip install 'tui-track[sklearn]'"
        )


def _remove_abandoned_builds(path: Path) -> None:
    """Delete the staging directories of builds whose process died (kill -9, power loss)."""
    from tracker_core.store import process_alive

    for sibling in path.parent.glob(f".{path.name}.building-*"):
        pid = sibling.name.rpartition("-")[2]
        if not pid.isdigit() or int(pid) == os.getpid() or not process_alive(int(pid)):
            shutil.rmtree(sibling, ignore_errors=True)


def _swap_into_place(staging: Path, path: Path) -> None:
    old = path.with_name(f".{path.name}.old-{os.getpid()}")
    if path.exists():
        os.rename(path, old)
    os.rename(staging, path)
    shutil.rmtree(old, ignore_errors=True)


@click.command("demo")
@click.option(
    "--path",
    "path",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the demo store lives (default: $XDG_DATA_HOME/tui-track/demo-store).",
)
@click.option("--rebuild", is_flag=True, help="Build the demo store again even if it exists.")
@click.option("--no-open", "no_open", is_flag=True, help="Only build (if needed) and print the store's path.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Parallel training processes while building.",
)
@click.option("--quick", is_flag=True, hidden=True, help="A reduced sweep (tests).")
def demo(path: Path | None, rebuild: bool, no_open: bool, workers: int, quick: bool) -> None:  # fmt: skip
    """Open the app on a demo store: the kata's runs and registry, and a 47-run sweep (built on first use)."""
    target = (path or default_demo_path()).expanduser().absolute()
    check_replaceable(target, rebuild)
    if rebuild or not is_built(target):
        seconds = build_demo_store(target, workers=workers, quick=quick)
        click.echo(f"Demo store ready at {target} (built in {seconds:.0f}s)", err=True)
    if no_open:
        click.echo(str(target))
        return
    from ..app_entry import run_app

    sys.exit(run_app(str(target)))


def register(group: click.Group) -> None:
    """Add ``demo`` to the ``tui-track`` group."""
    group.add_command(demo)
