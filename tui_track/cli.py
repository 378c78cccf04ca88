"""The ``tui-track`` command line: the app, and scriptable subcommands over tracker_core.

``tui-track [STORE]`` opens the full-screen app; subcommands print rich tables in a
terminal, plain text when piped, and JSON/CSV on request. Errors print one line and exit 1.
"""

from __future__ import annotations

import os
import sys

import click

from tracker_core.errors import TrackerError

from .commands import check as check_cmd
from .commands import demo as demo_cmd
from .commands import history as history_cmd
from .commands import interop as interop_cmd
from .commands import models as models_cmd
from .commands import reproduce as reproduce_cmd
from .commands import run_cmd
from .commands import runs as runs_cmd


class _Group(click.Group):
    """A group whose library and file-system errors become one-line messages and exit code 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # `tui-track runs | head`: the reader left; say nothing (Python docs' recipe)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)
        except (TrackerError, OSError) as exc:  # OSError: a read-only store, a denied lock file...
            click.echo(f"tui-track: error: {exc}", err=True)
            ctx.exit(1)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # `tui-track PATH` means `tui-track --store PATH` when PATH is not a subcommand.
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["--store", args[0], *args[1:]]
        return super().parse_args(ctx, args)


@click.group(cls=_Group, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    "-s",
    "store",
    metavar="PATH",
    envvar=None,
    help="Store directory (else TUI_TRACK_STORE, config, ./tui-track-store).",
)
@click.option("--experiment", "-e", "experiment", metavar="NAME", default=None, help="Open the app on this experiment.")
@click.pass_context
def main(ctx: click.Context, store: str | None, experiment: str | None) -> None:
    """Experiment tracking for remote training boxes. Without a command, opens the app."""
    ctx.ensure_object(dict)
    ctx.obj["store"] = store
    if ctx.invoked_subcommand is None:
        from .app_entry import run_app

        sys.exit(run_app(store, experiment))


runs_cmd.register(main)
models_cmd.register(main)
interop_cmd.register(main)
demo_cmd.register(main)
history_cmd.register(main)
reproduce_cmd.register(main)
check_cmd.register(main)
run_cmd.register(main)
