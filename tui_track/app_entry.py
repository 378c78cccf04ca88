"""Starting the full-screen app (imports Textual only when the app is wanted)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tracker_core.config import load_settings, resolve_store_path
from tracker_core.errors import TrackerError

from .app import DEFAULT_REFRESH


def app_settings(store: str | None) -> dict[str, Any]:
    """The store path, refresh interval and theme from the arguments and the TOML config."""
    settings = load_settings()
    interval = settings.get("refresh_interval", DEFAULT_REFRESH)
    if not isinstance(interval, (int, float)) or isinstance(interval, bool) or interval <= 0:
        source = settings.sources.get("refresh_interval")
        raise TrackerError(f"{source}: refresh_interval must be a positive number of seconds, not {interval!r}")
    theme = settings.get("theme")
    if theme is not None and not isinstance(theme, str):
        raise TrackerError(f"{settings.sources.get('theme')}: theme must be a string such as 'nord'")
    return {"store_path": resolve_store_path(store), "refresh_interval": float(interval), "theme": theme}


def run_app(store: str | None) -> int:
    """Open the app on ``store`` (or the configured store); return the process exit code."""
    from .app import TuiTrackApp

    try:
        kwargs = app_settings(store)
        app = TuiTrackApp(Path(kwargs.pop("store_path")), **kwargs)
    except (TrackerError, ValueError) as exc:
        print(f"tui-track: error: {exc}", file=sys.stderr)
        return 1
    app.run()
    return 0 if app.return_code is None else app.return_code
