"""Strict JSON on disk: non-finite floats encoded explicitly, atomic whole-file writes.

Every whole-file update goes through :func:`write_json_atomic`: a temp file in the same
directory, flushed and fsynced, then ``os.replace``. Readers therefore see the old or the
new file, never a torn one. ``NaN``/``Infinity`` are not JSON, so they are written as
``{"$float": "NaN"}`` (or ``"Infinity"``/``"-Infinity"``) and decoded back to floats.
"""

from __future__ import annotations

import errno
import math
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import CorruptFileError, TrackerError
from .storage.append import write_all

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


def restore(value: Any) -> Any:
    """Turn tagged non-finite floats anywhere inside parsed JSON back into floats."""
    kind = type(value)
    if kind is dict:
        if len(value) == 1 and FLOAT_TAG in value and value[FLOAT_TAG] in _NONFINITE:
            return _NONFINITE[value[FLOAT_TAG]]
        return {k: restore(v) if type(v) in (dict, list) else v for k, v in value.items()}
    if kind is list:
        return [restore(v) if type(v) in (dict, list) else v for v in value]
    return value


def restore_values(mapping: dict[str, Any]) -> dict[str, Any]:
    """:func:`restore` over a flat mapping's values, touching only nested ones.

    A mapping of scalars only (the usual params and tags) is returned as it is, not copied.
    """
    for v in mapping.values():
        if type(v) is dict or type(v) is list:
            return {k: restore(v) if type(v) in (dict, list) else v for k, v in mapping.items()}
    return mapping


def all_finite(value: Any) -> bool:
    """Whether no float anywhere inside ``value`` is NaN or infinite (much cheaper than :func:`to_jsonable`)."""
    kind = type(value)
    if kind is float:
        return bool(-math.inf < value < math.inf)
    if kind is not dict and kind is not list and kind is not tuple:
        return True
    for item in value.values() if kind is dict else value:
        kind = type(item)
        if kind is float:
            if not -math.inf < item < math.inf:
                return False
        elif (kind is dict or kind is list or kind is tuple) and not all_finite(item):
            return False
    return True


def dumps_bytes(value: Any, *, indent: bool = False) -> bytes:
    """Strict JSON bytes for ``value`` (non-finite floats tagged, never bare NaN)."""
    import orjson

    option = orjson.OPT_INDENT_2 if indent else 0
    try:
        out = orjson.dumps(value, option=option)
        if b"null" not in out or all_finite(value):
            return out  # orjson writes a non-finite float as null: there is none to tag
    except TypeError:  # integers beyond 64 bits, or a value orjson refuses: handled below
        pass
    return dumps_tagged_bytes(to_jsonable(value), indent=indent)


def dumps_tagged_bytes(value: Any, *, indent: bool = False) -> bytes:
    """Strict JSON bytes for ``value`` whose non-finite floats are already tagged (:func:`to_jsonable`)."""
    import orjson

    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2 if indent else 0)
    except TypeError:  # integers beyond 64 bits: the standard library handles them
        import json

        text = json.dumps(value, indent=2 if indent else None, allow_nan=False, ensure_ascii=False)
        return text.encode("utf-8")


def dumps(value: Any, *, indent: bool = False) -> str:
    """Strict JSON text for ``value``."""
    return dumps_bytes(value, indent=indent).decode("utf-8")


# orjson reads an integer beyond 64 bits as a float (and refuses one beyond a float's range), so
# text that may hold one (20 or more digits, or a negative of 19) is parsed by the standard library,
# which keeps it exact. Found at C speed: every digit maps to "0", "." and "-" stay (so the digits of
# a fraction such as 0.0003955963308602817 do not count), everything else maps to " ".
_NUMBER_SHAPE = bytes(0x30 if 0x30 <= b <= 0x39 else b if b in (0x2E, 0x2D) else 0x20 for b in range(256))
_LONG_POSITIVE = b" " + b"0" * 20
_LONG_NEGATIVE = b"-" + b"0" * 19
_DIGITS_19 = b"0" * 19  # in both: a quick first test (searching for the two in text full of digits is slower)


def loads(text: str | bytes, *, raw: bool = False) -> Any:
    """Parse strict JSON written by :func:`dumps`, restoring non-finite floats.

    Integers keep their exact value whatever their size (orjson reads those beyond 64 bits as
    floats, so such text is parsed by the standard library). With ``raw`` tagged floats are left
    for the caller to restore in the fields it uses.
    """
    import orjson

    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    shape = b" " + data.translate(_NUMBER_SHAPE)
    if _DIGITS_19 in shape and (_LONG_POSITIVE in shape or _LONG_NEGATIVE in shape):
        import json  # only here: its import is a cost every training script would pay

        value = json.loads(data, parse_constant=_no_constant)
    else:
        value = orjson.loads(data)
    return value if raw else restore(value)


def _read_all(fd: int, size: int) -> bytes:
    """The rest of the file ``fd``, whose size was ``size`` when asked (it may have grown since)."""
    data = os.read(fd, size + 1)  # one read for a file that did not change: no buffered reader
    if len(data) <= size:
        return data
    chunks = [data]
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_json(path: str | os.PathLike[str], *, raw: bool = False) -> Any:
    """Read and parse one JSON file; a parse failure raises :class:`CorruptFileError`.

    Something other than a regular file at ``path`` (a FIFO, a device) is refused without
    reading it: opening a FIFO for reading would wait forever for a writer.
    """
    return parse_bytes(read_bytes_stat(path)[0], path, raw=raw)


def read_bytes_stat(path: str | os.PathLike[str]) -> tuple[bytes, os.stat_result]:
    """The bytes of the regular file ``path`` and the ``os.stat`` of that very file (from its open handle;
    see :func:`read_json`)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
        if not stat.S_ISREG(st.st_mode):
            raise CorruptFileError(path, "not a regular file (a FIFO, socket or device)")
        data = _read_all(fd, st.st_size)
    finally:
        os.close(fd)
    return data, st


def parse_bytes(data: bytes, path: str | os.PathLike[str], *, raw: bool = False) -> Any:
    """:func:`loads` of the bytes of the file ``path``; a parse failure raises :class:`CorruptFileError`."""
    try:
        return loads(data, raw=raw)
    except (ValueError, UnicodeDecodeError) as exc:
        reason = "file is empty" if not data.strip() else f"invalid JSON ({exc})"
        raise CorruptFileError(path, reason) from None


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, fsync: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically (temp file beside it, fsync, rename)."""
    write_chunks_atomic(path, (data,), fsync=fsync)


def write_chunks_atomic(path: str | os.PathLike[str], chunks: Iterable[bytes], *, fsync: bool = True) -> None:
    """Like :func:`write_bytes_atomic`, writing the chunks as they come (never all in memory)."""
    path = Path(path)
    tmp = path.with_name(temp_name())
    try:
        write_new_file(tmp, chunks, fsync=fsync)
        os.replace(tmp, path)
    except BaseException as exc:
        _unlink_quietly(tmp)
        if isinstance(exc, OSError) and exc.errno is not None and not isinstance(exc, TrackerError):
            # the temp file is ours, not the caller's: the error names the file they asked for
            raise OSError(exc.errno, exc.strerror, os.fspath(path)) from None
        raise


def temp_name() -> str:
    """A short, bounded name for a temp file beside its target (``.<8 hex>.tmp``, 14 characters).

    Short so that a target name near the file system's 255-byte limit still gets a temp file;
    readers skip names that start with ``.`` and end with ``.tmp``.
    """
    return f".{os.urandom(4).hex()}.tmp"


def write_new_file(path: str | os.PathLike[str], chunks: Iterable[bytes] | bytes, *, fsync: bool = True) -> None:
    """Create ``path`` (it must not exist) with ``chunks``, fsynced; on failure remove it again."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        for chunk in (chunks,) if isinstance(chunks, bytes) else chunks:
            write_all(fd, chunk)
        if fsync:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(Path(path))
        raise
    os.close(fd)


def remove_path(path: Path) -> None:
    """Remove a file or a folder tree, ignoring what is already gone (cleanup after a failure)."""
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        _unlink_quietly(path)


def write_json_atomic(path: str | os.PathLike[str], value: Any, *, fsync: bool = True) -> None:
    """Serialize ``value`` as indented strict JSON and replace ``path`` atomically."""
    write_bytes_atomic(path, dumps_bytes(value, indent=True) + b"\n", fsync=fsync)


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
