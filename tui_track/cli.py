"""The ``tui-track`` command line: the app, and scriptable subcommands over tracker_core.

``tui-track [STORE]`` opens the full-screen app; subcommands print rich tables in a
terminal, plain text when piped, and JSON/CSV on request. Errors print one line and exit 1;
usage errors print one line and exit 2; a reader that closes the pipe (``| head``) ends it quietly
with exit 0. ``--store PATH`` and ``--json`` are accepted before or after the subcommand.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any, NoReturn

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

USAGE_EXIT = 2
STORE_OPTIONS = ("--store", "-s")
ANYWHERE_FLAGS = ("--json",)
"""Flags of the subcommands also accepted before the subcommand's name (``tui-track --json runs``)."""


def _usage_error(exc: click.UsageError) -> NoReturn:
    """One line naming the command, the problem and where help is; exit 2."""
    path = " ".join(["tui-track", *(exc.ctx.command_path.split()[1:] if exc.ctx is not None else [])])
    message = " ".join(exc.format_message().split())
    click.echo(f"{path}: error: {message} (see '{path} --help')", err=True)
    raise click.exceptions.Exit(USAGE_EXIT)


def _store_first(args: list[str], commands: Mapping[str, click.Command]) -> list[str]:
    """``args`` with ``--store PATH`` moved to the front wherever it was, the ``--json`` flags given
    before the subcommand moved after it, and a leading non-command ``PATH`` read as ``--store PATH``."""
    end = args.index("--") if "--" in args else len(args)
    head, tail = list(args[:end]), list(args[end:])
    store: list[str] = []
    i = 0
    while i < len(head):
        token = head[i]
        if token in STORE_OPTIONS and i + 1 < len(head):
            store = ["--store", head[i + 1]]
            del head[i : i + 2]
            continue
        if token.startswith("--store="):
            store = [token]
            del head[i]
            continue
        i += 1
    if head and not head[0].startswith("-") and head[0] not in commands and not store:
        store = ["--store", head.pop(0)]
    moved = []
    while head and head[0] in ANYWHERE_FLAGS:
        moved.append(head.pop(0))
    if moved and head:
        head += moved
    elif moved:
        head = moved + head
    return [*store, *head, *tail]


class _Group(click.Group):
    """A group whose library and file-system errors become one-line messages and exit code 1."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            _usage_error(exc)

    def invoke(self, ctx: click.Context) -> object:
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
            return result
        except BrokenPipeError:  # `tui-track runs | head`: the reader left; say nothing (Python docs' recipe)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except click.UsageError as exc:  # a subcommand's bad option or argument
            _usage_error(exc)
        except (TrackerError, OSError) as exc:  # OSError: a read-only store, a denied lock file...
            click.echo(f"tui-track: error: {exc}", err=True)
            ctx.exit(1)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _store_first(args, self.commands))


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
