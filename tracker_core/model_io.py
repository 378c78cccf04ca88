"""Models as artifacts: a joblib file plus a JSON sidecar readable without unpickling."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

from .errors import CorruptFileError, NotFoundError, ValidationError
from .jsonio import read_json, remove_path, temp_name, write_json_atomic
from .validation import json_value

MODEL_FILE = "model.joblib"
SIDECAR_FILE = "model.json"
SIDECAR_FORMAT = "tui-track-model"


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe(model: Any) -> dict[str, Any]:
    """Class, estimator params (``get_params()`` where available) and library versions."""
    cls = type(model)
    info: dict[str, Any] = {"class": f"{cls.__module__}.{cls.__qualname__}"}
    get_params = getattr(model, "get_params", None)
    if callable(get_params):
        try:
            info["params"] = json_value(get_params(deep=False))
        except Exception as exc:  # a broken estimator must not stop the logging
            info["params_error"] = repr(exc)
    from .environment import package_versions

    info["versions"] = package_versions()
    return info


def save(model: Any, directory: Path) -> dict[str, Any]:
    """Write ``model.joblib`` and ``model.json`` into ``directory``; return the sidecar."""
    import joblib

    directory.mkdir(parents=True, exist_ok=True)
    target = directory / MODEL_FILE
    tmp = directory / temp_name()
    try:
        joblib.dump(model, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        remove_path(tmp)
        if isinstance(exc, (OSError, KeyboardInterrupt, SystemExit)):
            raise
        raise ValidationError(
            f"model of type {type(model).__module__}.{type(model).__qualname__} cannot be saved with joblib "
            f"(pickle): {type(exc).__name__}: {exc}; log a picklable object or save it yourself with log_artifact"
        ) from None
    sidecar = {
        "format": SIDECAR_FORMAT,
        "serializer": "joblib",
        "file": MODEL_FILE,
        "size": target.stat().st_size,
        "sha256": sha256_file(target),
        "saved_at": time.time(),
        **describe(model),
    }
    write_json_atomic(directory / SIDECAR_FILE, sidecar)
    return sidecar


def read_sidecar(directory: Path) -> dict[str, Any]:
    """The sidecar of a logged model directory (never unpickles anything)."""
    path = directory / SIDECAR_FILE
    if not path.is_file():
        raise NotFoundError(f"no logged model at {directory} (missing {SIDECAR_FILE})")
    data = read_json(path)
    if not isinstance(data, dict) or data.get("format") != SIDECAR_FORMAT:
        raise CorruptFileError(path, "not a tui-track model sidecar")
    return data


def load(directory: Path, expected_sha256: str | None = None) -> Any:
    """Unpickle a logged model after checking its sha256 against the sidecar (or ``expected``)."""
    import joblib

    sidecar = read_sidecar(directory)
    path = directory / sidecar.get("file", MODEL_FILE)
    want = expected_sha256 or sidecar.get("sha256")
    if want and sha256_file(path) != want:
        raise CorruptFileError(path, "sha256 does not match the recorded one; the file changed since it was logged")
    return joblib.load(path)
