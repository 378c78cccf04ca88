"""What MLflow import and export share: opening a client on a URI, and value conversions.

MLflow keeps params and tags as strings, metric timestamps in integer milliseconds, and stores
infinite metric values in SQL backends as the largest finite double. tui-track keeps JSON types,
seconds and real infinities; these helpers convert between the two.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import StoreError, TrackerError

FILE_STORE_ENV = "MLFLOW_ALLOW_FILE_STORE"
"""MLflow >= 3.13 refuses its deprecated file store unless this is true; reading one to migrate is our job."""

MLFLOW_RUN_ID_TAG = "mlflow.run_id"
"""Tag recorded on every imported run: the MLflow run it came from (makes imports idempotent)."""
TUI_RUN_ID_TAG = "tui_track.run_id"
"""Tag recorded on every exported MLflow run: the tui-track run it came from (makes exports idempotent)."""
MLFLOW_VERSION_TAG = "mlflow.version"
"""Tag of a registry version imported from MLflow: the MLflow version number it came from."""
SHA256_TAG = "tui_track.sha256"
REGISTERED_AT_TAG = "tui_track.registered_at"
"""Tags of an exported MLflow model version: the tui-track version's identity (its file and registration time)."""
EXPERIMENT_META_TAG = "tui_track.experiment"
"""Tag of an exported MLflow experiment: JSON of its tui-track id, creation time and typed tags."""
META_ARTIFACT = ".tui-track/run.json"
"""Artifact of an exported run holding its exact tui-track record (typed params and tags, user, host, env)."""

_MAX_DOUBLE = sys.float_info.max


class MlflowMissingError(TrackerError):
    """The ``mlflow`` package is not installed."""


def require_mlflow() -> Any:
    """Import and return the ``mlflow`` module, or explain how to install it."""
    try:
        import mlflow
    except ImportError:
        raise MlflowMissingError(
            "MLflow interoperability needs the mlflow package: pip install 'tui-track[mlflow]'"
        ) from None
    return mlflow


def tracking_uri(source: str | os.PathLike[str]) -> str:
    """The MLflow tracking URI for a user's SOURCE: a ``mlruns`` directory, a ``.db`` file or a URI."""
    text = os.fspath(source)
    if "://" in text or text.startswith(("sqlite:", "file:", "databricks")):
        return text
    path = Path(text).expanduser()
    if path.is_file():
        if path.suffix in (".db", ".sqlite", ".sqlite3"):
            return f"sqlite:///{path.resolve()}"
        raise StoreError(f"{path} is a file but not an SQLite database; give an mlruns directory, a .db file or a URI")
    if not path.is_dir():
        raise StoreError(
            f"no MLflow store at {path}: give an mlruns directory, an SQLite file (sqlite:///mlflow.db) "
            "or a tracking server URL (http://host:5000)"
        )
    return path.resolve().as_uri()


@contextlib.contextmanager
def client_for(uri: str) -> Iterator[Any]:
    """An ``MlflowClient`` on ``uri`` (tracking and registry), allowing MLflow's deprecated file store.

    Also keeps MLflow from printing a "View run" link to stdout for every run it ends. Some of
    MLflow's registry code resolves ``models:/`` URIs through its process-wide tracking URI
    (not the client's), so that URI points at ``uri`` too for the duration, then is put back.
    """
    require_mlflow()
    from mlflow import MlflowClient
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    settings = {FILE_STORE_ENV: "true", "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true"}
    previous = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    fluent = (getattr(tracking_utils, "_tracking_uri", None), getattr(registry_utils, "_registry_uri", None))
    tracking_utils._tracking_uri, registry_utils._registry_uri = uri, uri  # type: ignore[assignment]
    try:
        yield MlflowClient(tracking_uri=uri, registry_uri=uri)
    finally:
        tracking_utils._tracking_uri, registry_utils._registry_uri = fluent
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def registered_aliases(model: Any) -> dict[str, str]:
    """An MLflow registered model's aliases as {alias: version}, whichever shape this MLflow returns."""
    found = getattr(model, "aliases", None) or {}
    if isinstance(found, dict):
        return {str(k): str(v) for k, v in found.items()}
    return {str(a.alias): str(a.version) for a in found}


def value_to_text(value: Any) -> str:
    """A tui-track param or tag value as MLflow text: the text the query language compares it as."""
    from ..query.compiler import text_of

    return text_of(value)


def metric_from_mlflow(value: float) -> float:
    """Undo SQL backends' storage of infinity as the largest double."""
    if value == _MAX_DOUBLE:
        return math.inf
    if value == -_MAX_DOUBLE:
        return -math.inf
    return float(value)


def ms_to_seconds(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000.0


def seconds_to_ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)
