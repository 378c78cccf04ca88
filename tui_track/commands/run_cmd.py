"""``tui-track run delete|restore|deleted|rename|tag|note``: manage logged runs from the shell.

A thin layer over :mod:`tracker_core.manage`; run ids accept unique prefixes. Each command
prints what it changed (``--json``: the changed runs as records).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from tracker_core.errors import ValidationError

from ..formatting import short_id, timestamp
from ..output import emit, format_option, resolve_format
from . import open_store

if TYPE_CHECKING:
    from tracker_core import RunSummary


def _report(runs: Sequence[RunSummary], fmt: str | None, verb: str) -> None:
    if fmt == "json":
        emit([], [], fmt, records=[r.to_dict() for r in runs])
        return
    for run in runs:
        click.echo(f"{verb} run {short_id(run.id)} ({run.name})")


@click.group("run")
def run_group() -> None:
    """Change logged runs: delete, restore, rename, tag, note (run ids accept unique prefixes)."""


@run_group.command("delete")
@click.argument("run_ids", metavar="RUN...", nargs=-1, required=True)
@click.option("--json", "fmt", flag_value="json", help="The deleted runs as JSON.")
@click.pass_context
def delete_cmd(ctx: click.Context, run_ids: tuple[str, ...], fmt: str | None) -> None:
    """Soft-delete runs: hidden from listings, files kept (`tui-track run restore` brings them back)."""
    from tracker_core.manage import delete_runs

    _report(delete_runs(open_store(ctx), run_ids), fmt, "deleted")


@run_group.command("restore")
@click.argument("run_ids", metavar="RUN...", nargs=-1, required=True)
@click.option("--json", "fmt", flag_value="json", help="The restored runs as JSON.")
@click.pass_context
def restore_cmd(ctx: click.Context, run_ids: tuple[str, ...], fmt: str | None) -> None:
    """Restore soft-deleted runs."""
    from tracker_core.manage import restore_runs

    _report(restore_runs(open_store(ctx), run_ids), fmt, "restored")


@run_group.command("deleted")
@click.argument("experiment", required=False)
@format_option
@click.pass_context
def deleted_cmd(ctx: click.Context, experiment: str | None, fmt: str | None) -> None:
    """The soft-deleted runs of EXPERIMENT (of every experiment if omitted)."""
    store = open_store(ctx)
    runs = [r for r in store.list_runs(experiment, include_deleted=True) if r.deleted]
    fmt = resolve_format(fmt)
    if fmt == "json":
        emit([], [], fmt, records=[r.to_dict() for r in runs])
        return
    names = {e.id: e.name for e in store.list_experiments(include_deleted=True, with_counts=False)}
    rows = [
        [
            short_id(r.id) if fmt != "csv" else r.id,
            r.name,
            names.get(r.experiment_id, r.experiment_id),
            r.status,
            timestamp(r.start_time),
        ]
        for r in runs
    ]
    if not rows and fmt in ("table", "plain"):
        click.echo("no deleted runs", err=True)
        return
    emit(["id", "name", "experiment", "status", "started"], rows, fmt)


@run_group.command("rename")
@click.argument("run_id", metavar="RUN")
@click.argument("name")
@click.option("--json", "fmt", flag_value="json", help="The renamed run as JSON.")
@click.pass_context
def rename_cmd(ctx: click.Context, run_id: str, name: str, fmt: str | None) -> None:
    """Give RUN the display name NAME."""
    from tracker_core.manage import rename_run

    _report([rename_run(open_store(ctx), run_id, name)], fmt, "renamed")


def _tag_pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValidationError(f"tag {text!r} is not KEY=VALUE; write it like reviewed=yes")
    return key.strip(), value


@run_group.command("tag")
@click.argument("run_id", metavar="RUN")
@click.argument("pairs", metavar="[KEY=VALUE]...", nargs=-1)
@click.option("--remove", "-r", "remove", metavar="KEY", multiple=True, help="Remove this tag (repeatable).")
@format_option
@click.pass_context
def tag_cmd(ctx: click.Context, run_id: str, pairs: tuple[str, ...], remove: tuple[str, ...], fmt: str | None) -> None:
    """Set tags of RUN (values are stored as text) and/or remove tags; without either, print its tags."""
    from tracker_core.manage import update_tags

    store = open_store(ctx)
    tags = dict(_tag_pair(p) for p in pairs)
    run = update_tags(store, run_id, tags, remove=remove) if tags or remove else store.get_run(run_id)
    if fmt == "json":
        emit([], [], fmt, records=run.tags)
        return
    if pairs or remove:
        click.echo(f"tagged run {short_id(run.id)} ({run.name})", err=True)
    emit(["key", "value"], [[k, v] for k, v in sorted(run.tags.items())], resolve_format(fmt))


@run_group.command("note")
@click.argument("run_id", metavar="RUN")
@click.argument("text", required=False)
@click.option("--clear", is_flag=True, help="Remove the note.")
@click.option("--json", "fmt", flag_value="json", help="The note afterwards as JSON.")
@click.pass_context
def note_cmd(ctx: click.Context, run_id: str, text: str | None, clear: bool, fmt: str | None) -> None:
    """Set RUN's free-text note to TEXT ('-' reads it from stdin); without TEXT, print the note.

    The note is the tag `note`: filter on it with "tags.note LIKE '%word%'".
    """
    from tracker_core.manage import NOTE_TAG, set_note

    store = open_store(ctx)
    if clear and text is not None:
        raise ValidationError("give a note TEXT or --clear, not both")
    run = store.get_run(run_id)
    if text == "-":
        text = sys.stdin.read()
    if clear or text is not None:
        run = set_note(store, run.id, "" if clear else str(text))
    note = run.tags.get(NOTE_TAG)
    if fmt == "json":
        emit([], [], fmt, records={"id": run.id, "note": note})
    elif note is not None:
        click.echo(note)
    else:
        click.echo(f"run {short_id(run.id)} ({run.name}) has no note", err=True)


def register(group: click.Group) -> None:
    """Add ``tui-track run ...`` to the ``tui-track`` group."""
    group.add_command(run_group)
