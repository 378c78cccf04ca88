"""``mlflow.sklearn`` over a tui-track store: log_model, save_model, load_model, autolog.

Models are saved with joblib (tui-track's model format, with its JSON sidecar), not as MLflow
``MLmodel`` directories; ``tui-track export mlflow`` writes the ``MLmodel`` when it pushes a
registered version to MLflow.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from . import _state
from .models import ModelInfo, ModelSignature

__all__ = ["autolog", "load_model", "log_model", "save_model"]

SIGNATURE_FILE = "signature.json"


def log_model(
    sk_model: Any,
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    registered_model_name: str | None = None,
    **_: Any,
) -> ModelInfo:
    """Log the model on the active run (``name``, or MLflow 2's ``artifact_path``; default ``model``)."""
    from . import _run

    path = name or artifact_path or "model"
    run = _run()
    run.log_model(sk_model, path)
    if signature is not None:
        import json

        run.log_text(json.dumps(signature.to_dict(), indent=2), f"{path}/{SIGNATURE_FILE}")
    info = ModelInfo(model_uri=f"runs:/{run.id}/{path}", run_id=run.id, artifact_path=path, signature=signature)
    if registered_model_name is not None:
        from .tracking import MlflowClient

        version = MlflowClient().create_model_version(registered_model_name, info.model_uri)
        info = ModelInfo(info.model_uri, run.id, path, {}, signature, int(version.version))
    return info


def save_model(sk_model: Any, path: str | os.PathLike[str], **_: Any) -> None:
    """Save the model to a new directory (joblib file and sidecar), loadable with :func:`load_model`."""
    from .. import model_io

    target = Path(path)
    if target.exists() and any(target.iterdir()):
        raise ValidationError(f"save_model: {target} already exists and is not empty (MLflow refuses it too)")
    target.mkdir(parents=True, exist_ok=True)
    model_io.save(sk_model, target)


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """A model from ``runs:/<run_id>/<path>``, ``models:/<name>/<version>`` (or stage, ``@alias``) or a directory."""
    from .. import model_io

    store = _state.get_store()
    if model_uri.startswith("runs:/"):
        run_id, _, path = model_uri[len("runs:/") :].partition("/")
        return store.load_model(run_id, path.strip("/") or "model")
    if model_uri.startswith("models:/"):
        from ..registry import Registry

        return Registry(store).load(model_uri)
    local = Path(model_uri[len("file://") :] if model_uri.startswith("file://") else model_uri)
    return model_io.load(local)


def autolog(log_models: bool = True, disable: bool = False, **_: Any) -> None:
    """tui-track's scikit-learn autologging, into the current experiment and store."""
    from .. import sklearn as tc_sklearn
    from . import _current_experiment

    if disable:
        tc_sklearn.autolog(disable=True)
        return
    tc_sklearn.autolog(experiment=_current_experiment(), store=_state.get_store(), log_models=log_models)


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    raise _state.unsupported(f"mlflow.sklearn.{name}")
