"""``tui-track models ...``: the model registry from the command line (registry issue)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add this module's commands to the ``tui-track`` group."""
