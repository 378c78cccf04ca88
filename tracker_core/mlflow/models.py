"""``mlflow.models``: ``infer_signature`` and the ``ModelSignature`` / ``ModelInfo`` a log_model returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ModelInfo", "ModelSignature", "infer_signature"]


@dataclass(frozen=True)
class ModelSignature:
    """Column names and types of a model's inputs and outputs (MLflow's ``to_dict`` shape)."""

    inputs: list[dict[str, Any]] | None = None
    outputs: list[dict[str, Any]] | None = None
    params: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"inputs": self.inputs, "outputs": self.outputs, "params": self.params}


@dataclass(frozen=True)
class ModelInfo:
    """What ``mlflow.sklearn.log_model`` returns: where the model is and how to load it."""

    model_uri: str
    run_id: str
    artifact_path: str
    flavors: dict[str, Any] = field(default_factory=dict)
    signature: ModelSignature | None = None
    registered_model_version: int | None = None

    @property
    def name(self) -> str:
        return self.artifact_path


def _type_of(kind: str) -> str:
    return {"b": "boolean", "i": "long", "u": "long", "f": "double", "O": "string", "U": "string", "M": "datetime"}.get(
        kind, "string"
    )


def _schema(data: Any) -> list[dict[str, Any]] | None:
    if data is None:
        return None
    if hasattr(data, "dtypes") and hasattr(data, "columns"):  # a pandas DataFrame
        return [{"name": str(c), "type": _type_of(t.kind), "required": True} for c, t in data.dtypes.items()]
    if hasattr(data, "dtype") and hasattr(data, "name") and hasattr(data, "to_frame"):  # a pandas Series
        return [{"name": str(data.name) if data.name is not None else None, "type": _type_of(data.dtype.kind)}]
    if isinstance(data, dict):
        return [{"name": str(k), "type": _type_of(_kind(v)), "required": True} for k, v in data.items()]
    import numpy as np

    array = np.asarray(data)
    return [{"type": "tensor", "tensor-spec": {"dtype": str(array.dtype), "shape": [-1, *array.shape[1:]]}}]


def _kind(value: Any) -> str:
    import numpy as np

    return str(np.asarray(value).dtype.kind)


def infer_signature(
    model_input: Any = None, model_output: Any = None, params: dict[str, Any] | None = None
) -> ModelSignature:
    """The signature of a model from example inputs and outputs (DataFrames, arrays, Series, dicts)."""
    return ModelSignature(_schema(model_input), _schema(model_output), params)
