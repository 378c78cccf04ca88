"""``Store("s3://bucket/prefix")``: a local mirror under the user's cache directory, pulled on open.

Reads use the mirror (a plain local store). Registry changes go to the remote: :class:`RemoteRegistry`
fetches the model fresh, applies the change with the registry's own code, and writes back with
conditional writes, redoing it on a fresh copy if another box changed the model meanwhile.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

from ..registry.core import Registry

_CHANGES = (
    "register",
    "register_file",
    "register_object",
    "promote",
    "set_alias",
    "delete_alias",
    "delete_version",
    "restore_version",
    "delete_model",
    "restore_model",
    "set_model_description",
    "set_model_tag",
    "set_version_description",
    "set_version_tag",
)


def cache_root(url: str) -> Path:
    """The mirror directory of ``url`` under ``$XDG_CACHE_HOME/tui-track`` (else ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tui-track" / "remotes" / hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]


def open_mirror(url: str) -> Path:
    """Pull ``url`` into its mirror and return the mirror's path (a local store)."""
    from ..store import Store
    from . import open_remote
    from .sync import pull_into

    root = cache_root(url)
    first = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    try:
        pull_into(open_remote(url), Store(root, create=True))
    except BaseException:
        if first:  # a mirror is only there once a pull has filled it (see last_mirror)
            shutil.rmtree(root, ignore_errors=True)
        raise
    return root


def last_mirror(url: str) -> Any:
    """The ``Store("s3://...")`` of ``url`` as last pulled, without reaching the remote (it may be down).

    Raises :class:`~tracker_core.errors.StoreNotFoundError` if ``url`` was never pulled on this machine.
    """
    from ..store import Store

    store = Store(cache_root(url), create=False)
    store.remote_url = url  # registry changes still go to the remote
    return store


def refresh(store: Any) -> bool:
    """Pull the remote of a ``Store("s3://...")`` into its mirror again (the app's background worker).

    True if anything changed. Raises :class:`~tracker_core.errors.RemoteError` if the remote cannot be
    reached; the mirror then stays as it was, whole.
    """
    from . import open_remote
    from .sync import pull_into

    pulled, merged = pull_into(open_remote(store.remote_url), store)
    return bool(pulled.units or pulled.downloads or merged.copied or merged.updated or merged.deletions)


class RemoteRegistry(Registry):
    """The registry of a ``Store("s3://...")``: every change lands on the remote, conditionally."""

    def _remote_change(self, method: str, name: str, *args: Any, **kwargs: Any) -> Any:
        from . import open_remote
        from .sync import MODELS, update_remote_model

        local = self.store.root / MODELS / name

        def change(image: Path) -> Any:
            shutil.rmtree(local, ignore_errors=True)
            local.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(image, local)
            result = getattr(Registry, method)(self, name, *args, **kwargs)
            shutil.rmtree(image)
            shutil.copytree(local, image, ignore=shutil.ignore_patterns(".*"))
            return result

        url = str(self.store.remote_url)
        return update_remote_model(open_remote(url), name, change)


def _forward(method: str) -> Any:
    def call(self: RemoteRegistry, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._remote_change(method, name, *args, **kwargs)

    call.__name__ = method
    call.__doc__ = getattr(Registry, method).__doc__
    return call


for _method in _CHANGES:
    setattr(RemoteRegistry, _method, _forward(_method))
