"""``tui-track reproduce RUN [--write DIR]``: the commands that get a run back (code, packages, command line).

Reads the record :mod:`tracker_core.reproduce` wrote when the run started. Without ``--write`` the
patch is applied from the run's artifacts and the requirements file is printed; with it, ``DIR``
receives ``diff.patch`` (when the work tree was dirty) and ``requirements.txt`` and the commands name them.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from tracker_core import reproduce
from tracker_core.errors import TrackerError

from . import open_store


def register(group: click.Group) -> None:
    @group.command("reproduce")
    @click.argument("run_id", metavar="RUN")
    @click.option("--write", "out_dir", metavar="DIR", help="Write diff.patch and requirements.txt into DIR.")
    @click.pass_context
    def reproduce_cmd(ctx: click.Context, run_id: str, out_dir: str | None) -> None:
        """Print how to reproduce RUN (id or unique prefix): checkout, patch, packages, command."""
        store = open_store(ctx)
        run = store.get_run(run_id)
        record, patch = reproduce.load(store, run.id)
        requirements = reproduce.requirements(record) if record and record.get("packages") else None
        req_path: str | None = None
        if out_dir is not None:
            folder = Path(out_dir)
            try:
                folder.mkdir(parents=True, exist_ok=True)
                if patch is not None:
                    target = folder / "diff.patch"
                    target.write_bytes(Path(patch).read_bytes())
                    patch = str(target.resolve())
                if requirements is not None:
                    (folder / "requirements.txt").write_text(requirements, encoding="utf-8")
                    req_path = str((folder / "requirements.txt").resolve())
            except OSError as exc:
                raise TrackerError(f"cannot write into {out_dir}: {exc.strerror or exc}") from None
        click.echo(f"# run {run.id[:8]} {run.name!r} ({run.status})")
        if record is None:
            click.echo("# no reproduction record (older run, or recording was off): from the run's environment")
        for title, lines in reproduce.instructions(record, run.env, patch, req_path):
            click.echo(f"\n# {title}")
            for line in lines:
                click.echo(line)
        if requirements is not None and out_dir is None:
            click.echo("\n# requirements.txt (or: tui-track reproduce RUN --write DIR)")
            click.echo(requirements, nl=False)
        elif out_dir is not None:
            written = [p for p in ("diff.patch", "requirements.txt") if os.path.exists(os.path.join(out_dir, p))]
            click.echo(f"\n# wrote {', '.join(written) or 'nothing (no patch, no package list)'} in {out_dir}")
