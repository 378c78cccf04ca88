"""LightGBM: ``lightgbm.train(..., callbacks=[tracker_callback()])``.

from tracker_core.lightgbm import tracker_callback
booster = lgb.train(params, train_set, 100, valid_sets=[valid], callbacks=[tracker_callback(experiment="lgb")])

Logs the training params, each iteration's eval results as ``<data>-<metric>`` at
``step=iteration`` (``lgb.cv``'s means, and their ``-stdv``), and at the end the best iteration
(metric and tag ``best_iteration``) and the model (artifact ``model/model.txt``, ``log_model=False``
to skip). A run of its own ends finished after the last round (or when early stopping ends
training), failed or killed when a boosting round raises or is interrupted; an active run is
joined instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from ._framework import RunHandle, StoreArg, guard_method, log_params_safely, unguard_method

__all__ = ["tracker_callback"]


def tracker_callback(
    experiment: str | None = None,
    run_name: str | None = None,
    *,
    store: StoreArg = None,
    tags: Mapping[str, Any] | None = None,
    log_model: bool = True,
) -> Callable[[Any], None]:
    """A LightGBM callback logging into a tui-track run (one run per training)."""
    handle = RunHandle(experiment=experiment, run_name=run_name, store=store, tags=tags)
    state: dict[str, Any] = {"booster": None}

    def finish(booster: Any) -> None:
        run = handle.run
        state["booster"] = None
        if run is None or run.ended:
            return
        unguard_method(booster, "update")
        unguard_method(booster, "model_to_string")
        best = getattr(booster, "best_iteration", 0) or 0
        if best > 0:
            run.log_metric("best_iteration", float(best))
            run.set_tag("best_iteration", int(best))
        if log_model and hasattr(booster, "save_model"):
            booster.save_model(str(run.artifact_path_for("model/model.txt")))
        handle.end()

    def callback(env: Any) -> None:
        booster = env.model
        if state["booster"] is not booster:  # the first round of a training
            if handle.owned:
                handle.run = None
            run = handle.open()
            log_params_safely(run, {k: v for k, v in (env.params or {}).items() if not callable(v)})
            run.set_tags({"framework": "lightgbm"})
            state["booster"] = booster
            guard_method(booster, "update", handle)
            _end_before(booster, "model_to_string", finish)  # lgb.train's last act, also after early stopping
        current = handle.run
        if current is None:
            return
        values: dict[str, float] = {}
        for item in env.evaluation_result_list or ():
            data, metric, value = item[0], item[1], item[2]
            values[f"{data}-{metric}"] = float(value)
            if len(item) == 5:  # lgb.cv: (data, metric, mean, higher_better, stdv)
                values[f"{data}-{metric}-stdv"] = float(item[4])
        if values:
            current.log_metrics(values, step=env.iteration)
        if env.iteration + 1 >= env.end_iteration:
            finish(booster)

    callback.order = 25  # type: ignore[attr-defined]  # after record_evaluation (20), before early_stopping (30)
    return callback


def _end_before(obj: Any, attr: str, finish: Callable[[Any], None]) -> None:
    method = getattr(obj, attr, None)
    if method is None:
        return

    @functools.wraps(method)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        finish(obj)
        return method(*args, **kwargs)

    wrapped._tracker_guarded = True  # type: ignore[attr-defined]
    setattr(obj, attr, wrapped)
