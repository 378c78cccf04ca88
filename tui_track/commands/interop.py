"""``tui-track import mlflow``, ``tui-track export mlflow`` and ``tui-track sync``: moving runs between stores."""

from __future__ import annotations

import click

from ..output import emit
from . import open_store


@click.group("import")
def import_group() -> None:
    """Bring runs from another tracker into the store."""


@import_group.command("mlflow")
@click.argument("source")
@click.option("--experiment", "-e", metavar="NAME", help="Only this MLflow experiment (name or id).")
@click.option("--no-artifacts", is_flag=True, help="Leave artifacts (and MLflow models) behind.")
@click.pass_context
def import_mlflow_cmd(ctx: click.Context, source: str, experiment: str | None, no_artifacts: bool) -> None:
    """Import MLflow runs: SOURCE is an mlruns directory, sqlite:///mlflow.db or http://server:5000.

    Running it again imports only what is new (and runs that were still running).
    """
    from tracker_core.interop.mlflow_import import import_mlflow

    store = open_store(ctx, create=True)
    report = import_mlflow(store, source, experiment, artifacts=not no_artifacts)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    emit(
        ["experiments", "imported", "updated", "already there", "models", "versions", "registry changes"],
        [
            [
                ", ".join(report.experiments),
                report.imported,
                report.updated,
                report.skipped,
                report.models,
                report.versions,
                report.registry_changes,
            ]
        ],
        "plain",
        title=f"{report.source} -> {store.root}",
    )


@click.command("mlflow")
@click.option(
    "--to", "uri", required=True, metavar="URI", help="http://server:5000, sqlite:///mlflow.db or a directory."
)
@click.option("--experiment", "-e", metavar="NAME", help="Only this experiment.")
@click.pass_context
def export_mlflow_cmd(ctx: click.Context, uri: str, experiment: str | None) -> None:
    """Push finished runs and registry versions to MLflow (only what is not there yet).

    Crashed runs go as FAILED; versions already there get this registry's stages, aliases,
    descriptions and tags. MLflow keeps metric timestamps in whole milliseconds.
    """
    from tracker_core.interop.mlflow_export import export_mlflow

    store = open_store(ctx)
    report = export_mlflow(store, uri, experiment)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    emit(
        ["experiments", "exported", "already there", "still running", "models", "versions", "registry changes"],
        [
            [
                len(report.experiments),
                report.exported,
                report.skipped,
                report.running,
                report.models,
                report.versions,
                report.registry_changes,
            ]
        ],
        "plain",
        title=f"{store.root} -> {report.target}",
    )
    if report.failed:
        ctx.exit(1)


@click.command("sync")
@click.argument("source")
@click.argument("dest")
def sync_cmd(source: str, dest: str) -> None:
    """Merge the store SOURCE into DEST (either may be [user@]host:path, reached by rsync over SSH).

    Runs are unique by id, so nothing conflicts; runs that changed since the last sync are taken
    again; registries merge model by model. Safe to interrupt and run again.
    """
    from tracker_core.sync import sync

    report = sync(source, dest)
    if report.remote_output is not None:
        click.echo(report.remote_output, nl=False)
        return
    emit(
        ["runs copied", "runs updated", "unchanged", "experiments", "model versions"],
        [[report.copied, report.updated, report.unchanged, report.experiments_created, report.versions_added]],
        "plain",
        title=f"{source} -> {dest}",
    )


def register(group: click.Group) -> None:
    """Add ``import``, ``sync`` and ``export mlflow`` to the ``tui-track`` group."""
    from . import runs

    group.add_command(import_group)
    group.add_command(sync_cmd)
    export = getattr(runs, "export_group", None)
    if export is None:
        existing = group.commands.get("export")
        export = existing if isinstance(existing, click.Group) else None
    if export is None:
        export = click.Group("export", help="Send runs elsewhere.")
        group.add_command(export)
    export.add_command(export_mlflow_cmd)
