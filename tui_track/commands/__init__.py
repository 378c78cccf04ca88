"""Subcommands of ``tui-track``; each module has ``register(group)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from tracker_core import Store


def open_store(ctx: click.Context, *, create: bool = False) -> Store:
    """The store named by ``--store`` (or the usual resolution), refusing a missing one unless ``create``."""
    from tracker_core import Store

    return Store(ctx.obj.get("store") if ctx.obj else None, create=create)
