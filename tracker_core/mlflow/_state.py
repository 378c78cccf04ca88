"""The drop-in's process state: the store a tracking URI names, the current experiment, the run stack."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from ..errors import TrackerError

if TYPE_CHECKING:
    from ..store import Store


class UnsupportedError(TrackerError, AttributeError):
    """A part of MLflow's API that ``tracker_core.mlflow`` does not offer.

    Also an ``AttributeError``, so that code probing modules by name (``pickle.whichmodule``,
    ``hasattr``) keeps working in a process that imports this and MLflow side by side.
    """


def unsupported(call: str, hint: str = "") -> UnsupportedError:
    return UnsupportedError(
        f"{call} is not supported by tracker_core.mlflow (a tui-track store stands in for MLflow's tracking API)"
        f"{'; ' + hint if hint else ''}. Use the mlflow package for it, or tracker_core's own API; see README "
        "'Coming from MLflow'."
    )


_lock = threading.Lock()
_store: Store | None = None
experiment_name: str | None = None


def store_path(uri: str | os.PathLike[str]) -> Path:
    """The tui-track store a tracking URI names: a path or a ``file:`` URI; anything else is refused."""
    text = os.fspath(uri)
    parsed = urlparse(text)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme in ("",) or (len(parsed.scheme) == 1 and text[1:3] in (":\\", ":/")):
        return Path(text).expanduser()
    raise unsupported(
        f"set_tracking_uri({text!r})",
        "tracker_core.mlflow logs to a tui-track store (a directory or file: URI); to reach an MLflow "
        "server or database, log to a store and run `tui-track export mlflow --to URI`",
    )


def set_store(uri: str | os.PathLike[str] | None) -> None:
    global _store
    from ..store import Store

    with _lock:
        _store = None if uri is None or uri == "" else Store(store_path(uri))


def get_store() -> Store:
    """The store set with ``set_tracking_uri``, else tui-track's default (see tracker_core.config)."""
    global _store
    if _store is None:
        with _lock:
            if _store is None:
                from ..fluent import get_store as default_store

                env = os.environ.get("MLFLOW_TRACKING_URI")
                if env:
                    from ..store import Store

                    _store = Store(store_path(env))
                else:
                    _store = default_store()
    return _store
