"""Checks on what callers pass in: keys, names, values and artifact paths."""

from __future__ import annotations

import math
import os
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import ValidationError

MAX_KEY_LENGTH = 250
MAX_INT_BITS = 1024  # integers are kept exactly up to here (about 308 digits), refused beyond
MAX_DEPTH = 100  # nesting of lists/dicts inside one value
MAX_NAME_BYTES = 255  # one file name on Linux and macOS
MAX_ARTIFACT_PATH_BYTES = 1024
STEP_LIMIT = 2**63
"""Steps are 64-bit signed integers: ``-STEP_LIMIT <= step < STEP_LIMIT`` (the history index stores int64)."""


def validate_key(key: object, kind: str) -> str:
    """Return ``key`` if it is a usable metric/param/tag key, else raise :class:`ValidationError`.

    A key is a non-empty string of at most 250 characters, without control characters, and
    without ``.``/``..`` path parts or a leading ``/`` (keys may name files of the store).
    """
    what = kind if kind.endswith("name") else f"{kind} key"
    if not isinstance(key, str):
        raise ValidationError(f"{what} must be a string, got {type(key).__name__}: {shown(key)}")
    if not key or not key.strip():
        raise ValidationError(f"{what} must not be empty or blank, got {key!r}")
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError(f"{what} is {len(key)} characters long; the limit is {MAX_KEY_LENGTH}: {key[:40]!r}...")
    for ch in key:
        if ord(ch) < 32 or ord(ch) == 127:
            raise ValidationError(f"{what} {key!r} contains the control character {ch!r}")
    if key.startswith("/") or any(part in (".", "..") for part in key.split("/")):
        raise ValidationError(f"{what} {key!r} must not start with '/' or contain '.' or '..' path parts")
    return check_text(key, what)


def check_text(text: str, what: str) -> str:
    """Refuse strings that cannot be written as UTF-8 (lone surrogates from bad decoding)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{what} {text!r} is not valid Unicode text (it holds a lone surrogate)") from None
    return text


def validate_name(name: object, kind: str) -> str:
    """A display name (experiment, run): same rules as keys, surrounding spaces trimmed."""
    if isinstance(name, str):
        name = name.strip()
    return validate_key(name, kind)


def metric_value(key: str, value: object) -> float:
    """Coerce a metric value (int, float, bool, numpy scalar) to float, or explain why not."""
    if type(value) is float:
        return value
    if isinstance(value, (str, bytes)) or value is None:
        raise ValidationError(f"metric {key!r} must be a number, got {type(value).__name__}: {shown(value)}")
    try:
        return float(value)  # type: ignore[arg-type,unused-ignore]
    except OverflowError:
        raise ValidationError(
            f"metric {key!r} value {shown(value)} is too large for a 64-bit float (at most about 1.8e308)"
        ) from None
    except (TypeError, ValueError):
        raise ValidationError(f"metric {key!r} must be a number, got {type(value).__name__}: {shown(value)}") from None


def metric_step(key: str, step: object) -> int:
    """Steps are 64-bit signed integers (numpy integers accepted)."""
    if type(step) is not int:
        if isinstance(step, bool) or not hasattr(step, "__index__"):
            raise ValidationError(f"step of metric {key!r} must be an integer, got {shown(step)}")
        try:
            step = int(step.__index__())
        except Exception:
            raise ValidationError(f"step of metric {key!r} must be an integer, got {shown(step)}") from None
    if not -STEP_LIMIT <= step < STEP_LIMIT:
        raise ValidationError(f"step of metric {key!r} is {shown(step)}; steps are 64-bit integers (below 2**63)")
    return step


def metric_timestamp(key: str, timestamp: object) -> float:
    """A point's time: finite unix seconds."""
    if isinstance(timestamp, (str, bytes, bool)) or timestamp is None:
        raise ValidationError(f"timestamp of metric {key!r} must be unix seconds, got {shown(timestamp)}")
    try:
        value = float(timestamp)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(f"timestamp of metric {key!r} must be unix seconds, got {shown(timestamp)}") from None
    if not math.isfinite(value):
        raise ValidationError(f"timestamp of metric {key!r} must be a finite number, got {value!r}")
    return value


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, safe for any object (for error messages)."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def mapping_arg(value: object, what: str) -> dict[Any, Any]:
    """A dict argument (``params``, ``tags``, ``metrics``) as a dict, or a :class:`ValidationError`."""
    if isinstance(value, dict):
        return value
    from collections.abc import Mapping

    if isinstance(value, Mapping):
        return dict(value)
    raise ValidationError(f"{what} must be a dict of key to value, got {type(value).__name__}: {shown(value)}")


def flush_interval_arg(value: object) -> float:
    """``flush_interval``: a finite positive number of seconds."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok:
        try:
            seconds = float(value)  # type: ignore[arg-type]
        except OverflowError:
            ok = False
        else:
            ok = math.isfinite(seconds) and seconds > 0
    if not ok:
        raise ValidationError(
            f"flush_interval must be a finite positive number of seconds (such as 1.0), got {shown(value)}"
        )
    return seconds


def json_value(value: Any, what: str = "value") -> Any:
    """A param/tag/dict value as a plain JSON type, keeping numbers numbers.

    numpy scalars and arrays become Python numbers and lists, paths become strings, and any
    other object becomes its ``str()`` (so ``log_param("model", SomeClass)`` works). Integers
    are kept exactly up to 1024 bits and refused beyond; values nested deeper than 100 levels or
    holding themselves, and text with lone surrogates, are refused with a :class:`ValidationError`.
    """
    return _json_value(value, what, 0, set())


def _json_value(value: Any, what: str, depth: int, seen: set[int]) -> Any:
    kind = type(value)
    if kind is str:
        return check_text(value, what)
    if value is None or kind is bool or kind is float:
        return value
    if kind is int:
        if value.bit_length() > MAX_INT_BITS:
            raise ValidationError(
                f"{what} is an integer of {value.bit_length()} bits; integers are kept exactly up to "
                f"{MAX_INT_BITS} bits: log a float or a string instead"
            )
        return value
    if depth > MAX_DEPTH:
        raise ValidationError(f"{what} is nested more than {MAX_DEPTH} levels deep")
    for plain in (bool, int, float, str):  # subclasses: IntEnum, numpy.float64, StrEnum...
        if isinstance(value, plain):
            return _json_value(plain(value), what, depth + 1, seen)
    if isinstance(value, (dict, list, tuple)):
        if id(value) in seen:
            raise ValidationError(f"{what} contains itself (a {type(value).__name__} that refers back to itself)")
        seen.add(id(value))
        try:
            if isinstance(value, dict):
                return {
                    check_text(k if type(k) is str else _plain_text(k, what), f"key in {what}"): _json_value(
                        v, what, depth + 1, seen
                    )
                    for k, v in value.items()
                }
            return [_json_value(v, what, depth + 1, seen) for v in value]
        finally:
            seen.discard(id(value))
    try:
        item = getattr(value, "item", None)
        if callable(item) and getattr(value, "shape", None) == ():
            return _json_value(item(), what, depth + 1, seen)  # numpy scalar or 0-d array
        tolist = getattr(value, "tolist", None)
        if callable(tolist):
            return _json_value(tolist(), what, depth + 1, seen)
        if isinstance(value, (set, frozenset)):
            return sorted((_json_value(v, what, depth + 1, seen) for v in value), key=repr)
        if isinstance(value, os.PathLike):
            return _json_value(os.fspath(value), what, depth + 1, seen)
        return check_text(_plain_text(value, what), what)
    except ValidationError:
        raise
    except Exception as exc:  # a __str__ or tolist() that raises
        raise ValidationError(f"{what} of type {type(value).__name__} cannot be stored: {exc!r}") from None


def _plain_text(value: object, what: str) -> str:
    try:
        text = str(value)
    except Exception as exc:
        raise ValidationError(f"{what} of type {type(value).__name__} has no text form: {exc!r}") from None
    if not isinstance(text, str):
        raise ValidationError(f"{what} of type {type(value).__name__} has no text form")
    return text


def same_value(a: Any, b: Any) -> bool:
    """Equality for logged values: NaN equals NaN, True is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def artifact_relpath(name: object) -> str:
    """Validate an artifact path given by the caller and return it in POSIX form.

    Refuses absolute paths, ``..`` parts, empty names and control characters; the caller must
    still check the resolved target with :func:`safe_join` because of symlinks.
    """
    if not isinstance(name, (str, os.PathLike)):
        raise ValidationError(f"artifact path must be a string, got {type(name).__name__}: {shown(name)}")
    text = os.fspath(name)
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(f"artifact path must be a non-empty string, got {shown(text)}")
    check_text(text, "artifact path")
    text = text.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        raise ValidationError(f"artifact path {text!r} must be relative to the run's artifacts")
    parts = [p for p in PurePosixPath(text).parts if p not in ("", ".")]
    if not parts:
        raise ValidationError(f"artifact path {text!r} names no file")
    if ".." in parts:
        raise ValidationError(f"artifact path {text!r} must not contain '..'")
    if any(ord(ch) < 32 for ch in text):
        raise ValidationError(f"artifact path {text!r} contains a control character")
    for part in parts:
        if len(part.encode("utf-8")) > MAX_NAME_BYTES:
            raise ValidationError(
                f"artifact path {shown(text)}: the name {shown(part, 40)} is {len(part.encode())} bytes; "
                f"file names hold at most {MAX_NAME_BYTES}"
            )
    joined = "/".join(parts)
    if len(joined.encode("utf-8")) > MAX_ARTIFACT_PATH_BYTES:
        raise ValidationError(f"artifact path {shown(text)} is longer than {MAX_ARTIFACT_PATH_BYTES} bytes")
    return joined


def safe_join(root: Path, relpath: str) -> Path:
    """``root / relpath``, refusing a result that resolves outside ``root`` (symlink tricks)."""
    relpath = artifact_relpath(relpath)
    real_root = root.resolve()
    target = (root / relpath).resolve()
    if target != real_root and real_root not in target.parents:
        raise ValidationError(
            f"artifact path {relpath!r} resolves outside the run's artifact directory; "
            "symlinks that leave the run are not followed"
        )
    return root / relpath


def staged_values(values: object, kind: str) -> dict[str, Any]:
    """A ``params``/``tags`` argument checked whole: a dict of valid keys to storable values."""
    return {
        validate_key(key, kind): json_value(value, f"{kind} {key!r}")
        for key, value in mapping_arg(values, f"{kind}s").items()
    }
