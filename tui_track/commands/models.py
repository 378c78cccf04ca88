"""``tui-track models ...``: the model registry from the command line.

A thin layer over :class:`tracker_core.registry.Registry`: every subcommand is one library
call plus printing. Tables are rich in a terminal, plain when piped, JSON with ``--json``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import click

from tracker_core.registry import STAGES, HistoryEntry, ModelVersion, Registry

from ..formatting import aliases_text, instant, newest_first, short_id
from ..output import emit, format_option
from . import open_store

KEY_METRICS_SHOWN = 4


def _registry(ctx: click.Context) -> Registry:
    return Registry(open_store(ctx))


def _confirm(question: str, yes: bool, what: str) -> None:
    """Ask before a change that matters; exit 1 when declined or when no answer can be read."""
    if yes:
        return
    try:
        if click.confirm(question, default=False):
            return
    except click.Abort:
        click.echo()  # end the unanswered question's line
    click.echo(f"tui-track: {what} cancelled (pass --yes to skip this question)", err=True)
    raise click.exceptions.Exit(1)


def _print_entries(entries: list[HistoryEntry], unchanged: str) -> None:
    if not entries:
        click.echo(unchanged)
    for entry in entries:
        click.echo(entry.describe())


def _key_metrics(versions: list[ModelVersion], wanted: tuple[str, ...]) -> list[str]:
    """The metrics given with --metric, else the ones most versions have (then by name)."""
    if wanted:
        return list(wanted)
    counts = Counter(k for v in versions for k in v.metrics)
    return sorted(counts, key=lambda k: (-counts[k], k))[:KEY_METRICS_SHOWN]


@click.group("models")
def models() -> None:
    """The model registry: versions, stages, aliases and their history."""


@models.command("list")
@click.option("--all", "include_deleted", is_flag=True, help="Include deleted models.")
@format_option
@click.pass_context
def list_models(ctx: click.Context, include_deleted: bool, fmt: str | None) -> None:
    """Models with their latest and production versions and aliases."""
    found = _registry(ctx).list_models(include_deleted=include_deleted)
    columns = ["model", "versions", "latest", "production", "staging", "aliases", "updated", "description"]
    rows: list[list[Any]] = []
    for m in found:
        if m.error:
            rows.append([m.name, None, None, None, None, None, None, f"UNREADABLE: {m.error}"])
            continue
        aliases = aliases_text(m.aliases)
        staging = " ".join(f"v{v}" for v in m.staging_versions)
        rows.append(
            [
                m.name + (" (deleted)" if m.deleted else ""),
                m.version_count,
                None if m.latest_version is None else f"v{m.latest_version}",
                None if m.production_version is None else f"v{m.production_version}",
                staging or None,
                aliases or None,
                instant(m.updated or m.created),
                m.description,
            ]
        )
    emit(columns, rows, fmt, title="Registered models", records=[m.to_dict() for m in found])


@models.command("show")
@click.argument("name")
@click.option("--all", "include_deleted", is_flag=True, help="Include deleted versions.")
@click.option("--metric", "-m", "metrics", multiple=True, metavar="KEY", help="Metric column to show (repeatable).")
@format_option
@click.pass_context
def show(ctx: click.Context, name: str, include_deleted: bool, metrics: tuple[str, ...], fmt: str | None) -> None:
    """A model's versions: stage, aliases, source run and key metrics."""
    reg = _registry(ctx)
    model = reg.get_model(name)
    versions = reg.list_versions(name, include_deleted=include_deleted)
    keys = _key_metrics(versions, metrics)
    columns = ["version", "stage", "aliases", "run", "registered", "by", *keys, "description"]
    rows: list[list[Any]] = []
    for v in versions:
        if v.error:
            rows.append(
                [f"v{v.version}", v.stage, None, None, None, None, *(None for _ in keys), f"UNREADABLE: {v.error}"]
            )
            continue
        rows.append(
            [
                f"v{v.version}" + (" (deleted)" if v.deleted else ""),
                v.stage,
                " ".join(v.aliases) or None,
                short_id(v.source_run_id) if v.source_run_id else None,
                instant(v.registered_at),
                f"{v.registered_by}@{v.host}",
                *(v.metrics.get(k) for k in keys),
                v.description,
            ]
        )
    title = f"{model.name}: {model.description}" if model.description else model.name
    emit(columns, rows, fmt, title=title, records={**model.to_dict(), "versions": [v.to_dict() for v in versions]})


@models.command("register")
@click.argument("name")
@click.argument("run_id")
@click.option("--artifact", default="model", show_default=True, help="Name the model was logged under.")
@click.option("--description", "-d", default=None, help="Description of the new version.")
@click.option("--reason", default=None, help="Why, for the history.")
@click.pass_context
def register_cmd(
    ctx: click.Context, name: str, run_id: str, artifact: str, description: str | None, reason: str | None
) -> None:
    """Register the model logged on RUN_ID (an id or unique prefix) as a new version of NAME."""
    v = _registry(ctx).register(name, run_id, artifact, description=description, reason=reason)
    click.echo(f"registered {v.model} v{v.version} from run {short_id(v.source_run_id)} ({v.size} bytes, {v.stage})")


@models.command("promote")
@click.argument("name")
@click.argument("version")
@click.argument("stage", metavar=f"STAGE ({'|'.join(STAGES)})")
@click.option("--reason", default=None, help="Why, for the history.")
@click.option("--archive-existing", is_flag=True, help="Archive the other versions in STAGE (always for production).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def promote(
    ctx: click.Context, name: str, version: str, stage: str, reason: str | None, archive_existing: bool, yes: bool
) -> None:
    """Move VERSION of NAME to STAGE; production archives the version there before."""
    from tracker_core.registry.records import PRODUCTION, normalize_stage

    reg = _registry(ctx)
    stage = normalize_stage(stage)
    target = reg.get_version(name, version)  # fail on an unknown version before asking anything
    if stage == PRODUCTION:
        current = reg.get_model(name).production_version
        replacing = f", archiving v{current}" if current not in (None, target.version) else ""
        _confirm(f"Promote {name} v{target.version} to production{replacing}?", yes, "promotion")
    entries = reg.promote(name, target.version, stage, archive_existing=archive_existing or None, reason=reason)
    _print_entries(entries, f"{name} v{target.version} is already in {stage}")


@models.command("alias")
@click.argument("name")
@click.argument("alias")
@click.argument("version", required=False)
@click.option("--delete", "delete", is_flag=True, help="Remove the alias instead of setting it.")
@click.option("--reason", default=None, help="Why, for the history.")
@click.pass_context
def alias_cmd(ctx: click.Context, name: str, alias: str, version: str | None, delete: bool, reason: str | None) -> None:
    """Point ALIAS (e.g. champion) at VERSION of NAME, or remove it with --delete."""
    reg = _registry(ctx)
    if delete:
        if version is not None:
            raise click.UsageError("give no VERSION with --delete")
        click.echo(reg.delete_alias(name, alias, reason=reason).describe())
        return
    if version is None:
        raise click.UsageError("give the VERSION the alias should point at (or --delete)")
    entry = reg.set_alias(name, alias, version, reason=reason)
    click.echo(
        entry.describe() if entry.from_value != entry.to_value else f"{alias} already points at v{entry.version}"
    )


@models.command("history")
@click.argument("name")
@format_option
@click.pass_context
def history(ctx: click.Context, name: str, fmt: str | None) -> None:
    """Every registration, stage, alias and deletion of NAME, newest first (as the app shows it)."""
    entries = newest_first(_registry(ctx).history(name))
    columns = ["time", "user", "host", "action", "version", "key", "from", "to", "reason"]
    rows: list[list[Any]] = [
        [
            instant(e.time),
            e.user,
            e.host,
            e.action,
            None if e.version is None else f"v{e.version}",
            e.key,
            f"run {short_id(e.from_value)}" if e.action == "register" and e.from_value else e.from_value,
            e.to_value,
            e.reason,
        ]
        for e in entries
    ]
    emit(columns, rows, fmt, title=f"History of {name}", records=[e.to_dict() for e in entries])


@models.command("delete")
@click.argument("name")
@click.argument("version")
@click.option("--reason", default=None, help="Why, for the history.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def delete(ctx: click.Context, name: str, version: str, reason: str | None, yes: bool) -> None:
    """Soft-delete VERSION of NAME (kept on disk; `restore` brings it back)."""
    reg = _registry(ctx)
    target = reg.get_version(name, version)
    _confirm(f"Delete {name} v{target.version} ({target.stage})?", yes, "deletion")
    _print_entries(
        reg.delete_version(name, target.version, reason=reason), f"{name} v{target.version} was deleted already"
    )


@models.command("restore")
@click.argument("name")
@click.argument("version")
@click.option("--reason", default=None, help="Why, for the history.")
@click.pass_context
def restore(ctx: click.Context, name: str, version: str, reason: str | None) -> None:
    """Bring back a deleted VERSION of NAME."""
    entries = _registry(ctx).restore_version(name, version, reason=reason)
    _print_entries(entries, f"{name} v{version} is not deleted")


@models.command("describe")
@click.argument("name")
@click.argument("version", required=False)
@click.option("--text", "-t", required=True, help="The description (empty to clear it).")
@click.pass_context
def describe(ctx: click.Context, name: str, version: str | None, text: str) -> None:
    """Set the description of NAME, or of one VERSION of it."""
    reg = _registry(ctx)
    if version is None:
        reg.set_model_description(name, text or None)
    else:
        reg.set_version_description(name, version, text or None)


@models.command("tag")
@click.argument("name")
@click.argument("version", required=False)
@click.option("--set", "pairs", multiple=True, required=True, metavar="KEY=VALUE", help="A tag to set (repeatable).")
@click.pass_context
def tag(ctx: click.Context, name: str, version: str | None, pairs: tuple[str, ...]) -> None:
    """Set tags on NAME, or on one VERSION of it (values are kept as text)."""
    reg = _registry(ctx)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--set")
        if version is None:
            reg.set_model_tag(name, key, value)
        else:
            reg.set_version_tag(name, version, key, value)


def register(group: click.Group) -> None:
    """Add this module's commands to the ``tui-track`` group."""
    group.add_command(models)
