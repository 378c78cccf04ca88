"""A remote that is a directory (a mounted share, another disk): same semantics as S3, for tests and NFS."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..errors import RemoteConflictError, RemoteError, ValidationError
from ..locking import FileLock
from .base import ANY, Blob, Entry, Remote, _Any

_LOCK = ".remote.lock"


def _tag(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class LocalRemote(Remote):
    """Objects are files under ``root``; conditional writes hold a file lock while they compare tags."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().absolute()
        self.url = str(self.root)

    def _path(self, key: str) -> Path:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValidationError(f"{key!r} is not a remote key")
        return self.root / key

    def list(self, prefix: str = "") -> dict[str, Entry]:
        found: dict[str, Entry] = {}
        if not self.root.is_dir():
            return found
        for dirpath, _dirs, files in os.walk(self.root):
            rel = os.path.relpath(dirpath, self.root)
            for name in files:
                if name == _LOCK or name.endswith(".remote-tmp"):
                    continue
                key = name if rel == "." else f"{rel}/{name}".replace(os.sep, "/")
                if key.startswith(prefix):
                    data = (Path(dirpath) / name).read_bytes()
                    found[key] = Entry(len(data), _tag(data))
        return found

    def read(self, key: str, start: int = 0) -> Blob | None:
        try:
            data = self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise RemoteError(f"cannot read {key} from {self.url}: {e.strerror}") from None
        return Blob(data[start:], _tag(data))

    def write(self, key: str, data: bytes, *, expect: str | _Any | None = ANY) -> str:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.root.mkdir(parents=True, exist_ok=True)
            with FileLock(self.root / _LOCK):
                if not isinstance(expect, _Any):
                    try:
                        current: str | None = _tag(path.read_bytes())
                    except FileNotFoundError:
                        current = None
                    if current != expect:
                        raise RemoteConflictError(f"{key} on {self.url} changed meanwhile; read it again and retry")
                tmp = path.with_name(f".{path.name}.{os.getpid()}.remote-tmp")
                with open(tmp, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, path)
        except OSError as e:
            raise RemoteError(f"cannot write {key} to {self.url}: {e.strerror}") from None
        return _tag(data)

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass
