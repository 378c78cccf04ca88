"""Strict JSON on disk: non-finite floats encoded explicitly, atomic whole-file writes.

Every whole-file update goes through :func:`write_json_atomic`: a temp file in the same
directory, flushed and fsynced, then ``os.replace``. Readers therefore see the old or the
new file, never a torn one. ``NaN``/``Infinity`` are not JSON, so they are written as
``{"$float": "NaN"}`` (or ``"Infinity"``/``"-Infinity"``) and decoded back to floats.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from .errors import CorruptFileError

FLOAT_TAG = "$float"
_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def float_token(value: float) -> str:
    """The JSON text of one float: a number, or the tagged object for non-finite values."""
    if value != value:
        return '{"$float":"NaN"}'
    if value in (math.inf, -math.inf):
        return '{"$float":"Infinity"}' if value > 0 else '{"$float":"-Infinity"}'
    return repr(value)


def encode_float(value: float) -> Any:
    """A JSON-safe stand-in for ``value`` (itself when finite)."""
    if math.isfinite(value):
        return value
    if value != value:
        return {FLOAT_TAG: "NaN"}
    return {FLOAT_TAG: "Infinity" if value > 0 else "-Infinity"}


def decode_float(value: Any) -> float:
    """Inverse of :func:`encode_float` for a value read back from JSON."""
    if type(value) is dict:
        return _NONFINITE[value[FLOAT_TAG]]
    return float(value)


def to_jsonable(value: Any) -> Any:
    """Replace non-finite floats anywhere inside ``value`` by their tagged form."""
    if type(value) is float:
        return value if math.isfinite(value) else encode_float(value)
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def _object_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and FLOAT_TAG in obj:
        token = obj[FLOAT_TAG]
        if token in _NONFINITE:
            return _NONFINITE[token]
    return obj


def dumps(value: Any, *, indent: int | None = None) -> str:
    """Strict JSON text for ``value`` (raises ``ValueError`` rather than emit bare NaN)."""
    return json.dumps(to_jsonable(value), indent=indent, allow_nan=False, ensure_ascii=False)


def loads(text: str | bytes) -> Any:
    """Parse strict JSON written by :func:`dumps`, restoring non-finite floats."""
    return json.loads(text, object_hook=_object_hook)


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read and parse one JSON file; a parse failure raises :class:`CorruptFileError`."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        return loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        reason = "file is empty" if not data.strip() else f"invalid JSON ({exc})"
        raise CorruptFileError(path, reason) from None


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, fsync: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically (temp file beside it, fsync, rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if fsync:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(tmp)
        raise
    os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def write_json_atomic(path: str | os.PathLike[str], value: Any, *, fsync: bool = True) -> None:
    """Serialize ``value`` as indented strict JSON and replace ``path`` atomically."""
    write_bytes_atomic(path, (dumps(value, indent=1) + "\n").encode("utf-8"), fsync=fsync)


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
