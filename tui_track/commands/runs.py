"""``tui-track experiments|runs|show|compare|best|export`` (search issue)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add this module's commands to the ``tui-track`` group."""
