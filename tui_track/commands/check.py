"""``tui-track check [STORE] [--repair] [--json]``: the store's integrity check (see :mod:`tracker_core.check`).

Prints one line per problem (``item: reason [kind]``, the item relative to the store) and a summary;
exits 1 while problems remain, 0 when the store is clean. ``--repair`` rebuilds what is derived and
removes leftovers of killed writers first, never touching a source file.
"""

from __future__ import annotations

import sys

import click

from ..output import emit


def register(group: click.Group) -> None:
    """Add ``check`` to the ``tui-track`` group."""

    @group.command("check")
    @click.argument("store_path", metavar="[STORE]", required=False)
    @click.option("--repair", is_flag=True, help="Rebuild derived files and remove leftovers of killed writers.")
    @click.option("--json", "as_json", is_flag=True, help="A JSON report for scripts.")
    @click.pass_context
    def check(ctx: click.Context, store_path: str | None, repair: bool, as_json: bool) -> None:
        """Check every file of the store; report unreadable or inconsistent items (exit 1 when any)."""
        from tracker_core.check import check_store

        target = store_path or (ctx.obj.get("store") if ctx.obj else None)
        report = check_store(target, repair=repair)
        if as_json:
            emit([], [], "json", records=report.to_json())
        else:
            out = sys.stdout
            for r in report.repairs:
                out.write(f"repaired {r.item}: {r.action} [{r.kind}]\n")
            for p in report.problems:
                out.write(f"{p.item}: {p.reason} [{p.kind}]\n")
            counted = f"{report.experiments} experiment(s), {report.runs} run(s)"
            if report.ok:
                out.write(f"ok: {report.root}: {counted}, no problems\n")
            else:
                fixable = sum(p.repairable for p in report.problems)
                hint = f"; {fixable} repairable with `tui-track check --repair`" if fixable and not repair else ""
                out.write(f"{len(report.problems)} problem(s) in {report.root}: {counted}{hint}\n")
        ctx.exit(0 if report.ok else 1)
