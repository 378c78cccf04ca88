"""Remotes a store syncs with: one small interface (:class:`Remote`), a directory and ``s3://bucket/prefix``."""

from __future__ import annotations

import os

from .base import ANY, Blob, Entry, Remote

__all__ = ["ANY", "Blob", "Entry", "Remote", "is_remote_url", "open_remote", "remote_spec"]


def is_remote_url(spec: str | os.PathLike[str]) -> bool:
    """True for an ``s3://`` URL."""
    return os.fspath(spec).startswith("s3://")


def open_remote(spec: str | os.PathLike[str]) -> Remote:
    """The remote an URL names: ``s3://bucket/prefix`` or a directory path."""
    text = os.fspath(spec)
    if text.startswith("s3://"):
        from .s3 import S3Remote

        return S3Remote(text)
    from .local import LocalRemote

    return LocalRemote(text)


def remote_spec(root: str | os.PathLike[str] | None) -> str | None:
    """The ``s3://`` URL a store argument (or else ``TUI_TRACK_STORE``) names, or None."""
    given = os.fspath(root) if root is not None else ""
    text = given or os.environ.get("TUI_TRACK_STORE", "")
    return text if text.startswith("s3://") else None
