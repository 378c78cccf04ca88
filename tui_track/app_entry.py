"""Starting the full-screen app (imports Textual only when the app is wanted)."""

from __future__ import annotations

import sys


def run_app(store: str | None) -> int:
    """Open the app on ``store``; return the process exit code."""
    print("tui-track: the app is not built yet", file=sys.stderr)
    return 2
