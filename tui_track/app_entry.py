"""Starting the full-screen app (imports Textual only when the app is wanted)."""

from __future__ import annotations

import sys

from tracker_core.config import app_settings
from tracker_core.errors import TrackerError


def run_app(store: str | None, experiment: str | None = None) -> int:
    """Open the app on ``store`` (or the configured store); return the process exit code."""
    from .app import TuiTrackApp

    try:
        app = TuiTrackApp(app_settings(store, experiment=experiment))
    except (TrackerError, ValueError) as exc:
        print(f"tui-track: error: {exc}", file=sys.stderr)
        return 1
    app.run()
    return 0 if app.return_code is None else app.return_code
