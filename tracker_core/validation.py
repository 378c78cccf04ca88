"""Checks on what callers pass in: keys, names, values and artifact paths."""

from __future__ import annotations

import math
import os
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import ValidationError

MAX_KEY_LENGTH = 250


def validate_key(key: object, kind: str) -> str:
    """Return ``key`` if it is a usable metric/param/tag key, else raise :class:`ValidationError`.

    A key is a non-empty string of at most 250 characters, without control characters, and
    without ``.``/``..`` path parts or a leading ``/`` (keys may name files of the store).
    """
    what = kind if kind.endswith("name") else f"{kind} key"
    if not isinstance(key, str):
        raise ValidationError(f"{what} must be a string, got {type(key).__name__}: {key!r}")
    if not key or not key.strip():
        raise ValidationError(f"{what} must not be empty")
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
        raise ValidationError(f"metric {key!r} must be a number, got {type(value).__name__}: {value!r}")
    try:
        return float(value)  # type: ignore[arg-type,unused-ignore]
    except (TypeError, ValueError):
        raise ValidationError(f"metric {key!r} must be a number, got {type(value).__name__}: {value!r}") from None


def metric_step(key: str, step: object) -> int:
    """Steps are integers (numpy integers accepted)."""
    if type(step) is int:
        return step
    if isinstance(step, bool) or not hasattr(step, "__index__"):
        raise ValidationError(f"step of metric {key!r} must be an integer, got {step!r}")
    return int(step.__index__())


def metric_timestamp(key: str, timestamp: object) -> float:
    """A point's time: finite unix seconds."""
    if isinstance(timestamp, (str, bytes, bool)) or timestamp is None:
        raise ValidationError(f"timestamp of metric {key!r} must be unix seconds, got {timestamp!r}")
    try:
        value = float(timestamp)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError(f"timestamp of metric {key!r} must be unix seconds, got {timestamp!r}") from None
    if not math.isfinite(value):
        raise ValidationError(f"timestamp of metric {key!r} must be a finite number, got {value!r}")
    return value


def json_value(value: Any) -> Any:
    """A param/tag/dict value as a plain JSON type, keeping numbers numbers.

    numpy scalars and arrays become Python numbers and lists, paths become strings, and any
    other object becomes its ``str()`` (so ``log_param("model", SomeClass)`` works).
    """
    if type(value) is str:
        return check_text(value, "text value")
    if value is None or type(value) in (bool, int, float):
        return value
    for plain in (bool, int, float, str):  # subclasses: IntEnum, numpy.float64, StrEnum...
        if isinstance(value, plain):
            return json_value(plain(value))
    if isinstance(value, dict):
        return {check_text(str(k), "key"): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        return json_value(item())  # numpy scalar or 0-d array
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return json_value(tolist())
    if isinstance(value, (set, frozenset)):
        return sorted((json_value(v) for v in value), key=repr)
    if isinstance(value, os.PathLike):
        return json_value(os.fspath(value))
    return json_value(str(value))


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
        raise ValidationError(f"artifact path must be a string, got {type(name).__name__}")
    text = os.fspath(name)
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("artifact path must not be empty")
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
    return "/".join(parts)


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
