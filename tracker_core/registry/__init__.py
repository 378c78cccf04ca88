"""The model registry: named models with numbered versions, stages, aliases and an audit trail.

from tracker_core import Store
from tracker_core.registry import Registry
reg = Registry(Store("runs"))
v = reg.register("churn", run_id, "model")          # a model logged with run.log_model(model, "model")
reg.promote("churn", v.version, "production", reason="best AUC")
reg.set_alias("churn", "champion", v.version)
model = reg.load("models:/churn@champion")          # sha256 checked before unpickling

Files and their update rules are described in :mod:`tracker_core.registry.core`.
"""

from __future__ import annotations

from .check import Problem, check
from .core import Registry
from .records import STAGES, UNSET, HistoryEntry, ModelVersion, RegisteredModel
from .uri import ModelRef, parse_model_uri

__all__ = [
    "STAGES",
    "UNSET",
    "HistoryEntry",
    "ModelRef",
    "ModelVersion",
    "Problem",
    "RegisteredModel",
    "Registry",
    "check",
    "parse_model_uri",
]
