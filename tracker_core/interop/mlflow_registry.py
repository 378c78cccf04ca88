"""Registered models between MLflow and the tui-track registry (filled in once the registry lands)."""

from __future__ import annotations

from typing import Any

from ..store import Store


def import_registry(
    client: Any,
    store: Store,
    id_map: dict[str, str],
    known: dict[str, tuple[str, str]],
    report: Any,
    everything: bool,
) -> None:
    """Bring MLflow registered models, versions, stages, aliases, tags and descriptions into ``store``."""
    return None
