"""XGBoost: ``xgboost.train(..., callbacks=[TrackerCallback()])`` (or the scikit-learn API's ``callbacks=``).

from tracker_core.xgboost import TrackerCallback
booster = xgb.train(params, dtrain, 100, evals=[(dvalid, "valid")], callbacks=[TrackerCallback(experiment="xgb")])

Logs the booster's training params (from its saved config: ``objective``, ``booster`` and the tree
parameters such as ``eta`` and ``max_depth``, as the numbers they are), each iteration's eval
metrics as ``<data>-<metric>`` at ``step=iteration``, the best iteration and score when early
stopping set them (metrics ``best_iteration``, ``best_score``), and the model at the end (artifact
``model/model.json``, ``log_model=False`` to skip). A run of its own ends finished, failed or killed
(an exception or Ctrl-C inside a boosting round); an active run is joined instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import xgboost

from ._framework import RunHandle, StoreArg, guard_method, log_params_safely, unguard_method
from .run import Run

__all__ = ["TrackerCallback"]


class TrackerCallback(xgboost.callback.TrainingCallback):  # type: ignore[misc]
    """Log an XGBoost training into a tui-track run."""

    def __init__(
        self,
        experiment: str | None = None,
        run_name: str | None = None,
        *,
        store: StoreArg = None,
        tags: Mapping[str, Any] | None = None,
        log_model: bool = True,
    ) -> None:
        super().__init__()
        self._handle = RunHandle(experiment=experiment, run_name=run_name, store=store, tags=tags)
        self.log_model = log_model
        self._keys: dict[tuple[str, str], str] = {}

    @property
    def run(self) -> Run | None:
        """The run this callback logs to (None before training began)."""
        return self._handle.run

    def before_training(self, model: Any) -> Any:
        if self._handle.owned:
            self._handle.run = None  # a new training, a new run
        run = self._handle.open()
        log_params_safely(run, _booster_params(model))
        run.set_tags({"framework": "xgboost"})
        guard_method(model, "update", self._handle)  # xgboost calls no callback when a round raises
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: Mapping[str, Mapping[str, Any]]) -> bool:
        run = self._handle.run
        if run is not None and evals_log:
            values: dict[str, float] = {}
            keys = self._keys
            for data, metrics in evals_log.items():
                for metric, history in metrics.items():
                    last = history[-1]
                    key = keys.get((data, metric))
                    if key is None:
                        key = keys[data, metric] = f"{data}-{metric}"
                    values[key] = last if type(last) is float else float(last[0] if isinstance(last, tuple) else last)
            run.log_metrics(values, step=epoch)
        return False

    def after_training(self, model: Any) -> Any:
        unguard_method(model, "update")
        run = self._handle.run
        if run is None or run.ended:
            return model
        best_iteration, best_score = model.attr("best_iteration"), model.attr("best_score")
        if best_iteration is not None:
            run.log_metric("best_iteration", float(int(best_iteration)))
            run.set_tag("best_iteration", int(best_iteration))
        if best_score is not None:
            run.log_metric("best_score", float(best_score))
        if self.log_model:
            model.save_model(str(run.artifact_path_for("model/model.json")))
        self._handle.end()
        return model


def _booster_params(model: Any) -> dict[str, Any]:
    """The training params the booster was configured with, numbers as numbers."""
    config = json.loads(model.save_config())["learner"]
    params: dict[str, Any] = {
        "objective": config.get("objective", {}).get("name"),
        "booster": config.get("gradient_booster", {}).get("name"),
    }
    sections = [config.get("learner_train_param", {}), config.get("gradient_booster", {}).get("tree_train_param", {})]
    for section in sections:
        for key, value in section.items():
            params.setdefault(key, _number(value))
    return {k: v for k, v in params.items() if v is not None}


def _number(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text
