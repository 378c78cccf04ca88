"""``mlflow.data``'s dataset constructors and what :func:`tracker_core.mlflow.log_input` records of a dataset."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["INPUTS_TAG", "Dataset", "describe", "from_numpy", "from_pandas"]

INPUTS_TAG = "mlflow.inputs"
"""Tag of a run listing its datasets (name, digest, source, schema, context): written by ``log_input`` and by
``tui-track import mlflow`` from MLflow's run inputs."""


@dataclass
class Dataset:
    """A dataset as ``log_input`` records it: name, digest (8 hex characters of a content hash), source, schema."""

    name: str
    digest: str
    source: str
    source_type: str
    schema: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    targets: str | None = None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:8]


def from_pandas(
    df: Any,
    source: Any = None,
    targets: str | None = None,
    name: str | None = None,
    digest: str | None = None,
    **_: Any,
) -> Dataset:
    import pandas as pd

    hashed = pd.util.hash_pandas_object(df, index=False).values.tobytes()
    schema = {"columns": [{"name": str(c), "type": str(t)} for c, t in df.dtypes.items()]}
    return Dataset(
        name=name or "dataset",
        digest=digest or _digest(hashed),
        source=str(source) if source is not None else "",
        source_type="local" if source is not None else "code",
        schema=schema,
        profile={"num_rows": len(df), "num_elements": int(df.size)},
        targets=targets,
    )


def from_numpy(
    features: Any, source: Any = None, targets: Any = None, name: str | None = None, digest: str | None = None, **_: Any
) -> Dataset:
    import numpy as np

    array = np.ascontiguousarray(features)
    schema = {"tensor": {"dtype": str(array.dtype), "shape": [-1, *array.shape[1:]]}}
    return Dataset(
        name=name or "dataset",
        digest=digest or _digest(array.tobytes()),
        source=str(source) if source is not None else "",
        source_type="local" if source is not None else "code",
        schema=schema,
        profile={"features_shape": list(array.shape)},
    )


def describe(dataset: Any) -> dict[str, Any]:
    """What a run records of a dataset: ours, or MLflow's own dataset objects (read by attribute)."""
    source = getattr(dataset, "source", "")
    if not isinstance(source, str):  # MLflow's DatasetSource objects
        source = str(getattr(source, "to_json", lambda: source)())
    schema = getattr(dataset, "schema", None)
    if schema is not None and not isinstance(schema, dict):
        to_dict = getattr(schema, "to_dict", None)
        schema = to_dict() if callable(to_dict) else str(schema)
    return {
        "name": str(getattr(dataset, "name", "dataset")),
        "digest": str(getattr(dataset, "digest", "")),
        "source": source,
        "source_type": str(getattr(dataset, "source_type", "") or type(getattr(dataset, "source", "")).__name__),
        "schema": schema or {},
        "profile": getattr(dataset, "profile", None) or {},
    }


def from_mlflow_input(dataset_input: Any) -> dict[str, Any]:
    """The entry of :data:`INPUTS_TAG` for one of MLflow's ``DatasetInput`` (its JSON fields parsed)."""
    import json

    dataset = dataset_input.dataset
    tags = {t.key: t.value for t in (dataset_input.tags or ())}

    def parsed(text: Any) -> Any:
        try:
            return json.loads(text) if isinstance(text, str) and text else (text or {})
        except ValueError:
            return text

    return {
        "name": dataset.name,
        "digest": dataset.digest,
        "source": dataset.source,
        "source_type": dataset.source_type,
        "schema": parsed(getattr(dataset, "schema", None)),
        "profile": parsed(getattr(dataset, "profile", None)),
        "context": tags.pop("mlflow.data.context", None),
        "tags": tags,
    }
