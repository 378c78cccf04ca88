"""Optuna: ``study.optimize(objective, n_trials=50, callbacks=[TrackerCallback()])``.

from tracker_core.optuna import TrackerCallback
study.optimize(objective, n_trials=50, callbacks=[TrackerCallback(experiment="tuning")])

A parent run per study (named after it; the active run instead, when there is one) and a child run
per trial, named ``trial-<number>``: the trial's params, its value as the metric ``value`` (several
objectives: ``value_0``, ``value_1``... or the names given as ``metric_names``), its intermediate
values (``trial.report``) as ``intermediate_value`` at their steps, ``duration_sec``, and the tags
``trial_number`` and ``state``. A completed trial's run is finished, a failed one failed, a pruned
one killed (state ``PRUNED``). The parent holds the study's direction(s), and after each trial
``best_value`` (at ``step=trial.number``) and the tags ``best_trial`` and ``n_trials``; a parent of
the callback's own is ended (finished) after each trial, so the store never holds it running.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import optuna

from . import fluent
from ._framework import StoreArg, log_params_safely
from .records import FAILED, FINISHED, KILLED
from .run import Run
from .store import Store

__all__ = ["TrackerCallback"]

_STATUS = {"COMPLETE": FINISHED, "PRUNED": KILLED, "FAIL": FAILED}


class TrackerCallback:
    """An Optuna study callback logging the study and each finished trial."""

    def __init__(
        self,
        experiment: str | None = None,
        *,
        store: StoreArg = None,
        tags: Mapping[str, Any] | None = None,
        metric_names: Sequence[str] | None = None,
    ) -> None:
        self.experiment = experiment
        self._store_arg = store
        self.tags = dict(tags or {})
        self.metric_names = list(metric_names) if metric_names is not None else None
        self._parents: dict[str, str] = {}  # study name -> parent run id
        self._store: Store | None = None

    def parent_run_id(self, study: optuna.Study) -> str | None:
        """The id of the study's parent run (None before its first trial ended)."""
        return self._parents.get(study.study_name)

    def _target(self) -> Store:
        if self._store is None:
            arg = self._store_arg
            active = fluent.active_run()
            if isinstance(arg, Store):
                self._store = arg
            elif arg is not None:
                self._store = Store(arg)
            else:
                self._store = active.store if active is not None else fluent.get_store()
        return self._store

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        store = self._target()
        parent_id = self._parents.get(study.study_name)
        active = fluent.active_run()
        if parent_id is None:
            if active is not None and self._store_arg is None and self.experiment is None:
                parent_id = active.id
                self._describe_study(active, study)
            else:
                with store.start_run(self.experiment, study.study_name, tags=self.tags or None) as parent:
                    self._describe_study(parent, study)
                    parent_id = parent.id
            self._parents[study.study_name] = parent_id
        experiment = store.get_experiment(store.get_run(parent_id).experiment_id).name
        state = trial.state.name
        child = store.start_run(experiment, f"trial-{trial.number}", parent_id=parent_id, tags=self.tags or None)
        try:
            log_params_safely(child, dict(trial.params))
            child.set_tags({"trial_number": trial.number, "state": state, "framework": "optuna"})
            if trial.user_attrs:
                child.set_tags({f"user_attrs.{k}": v for k, v in trial.user_attrs.items()})
            for step, value in sorted(trial.intermediate_values.items()):
                child.log_metric("intermediate_value", value, step=step)
            values = trial.values or []
            names = self._names(len(values))
            child.log_metrics(dict(zip(names, values, strict=True)), step=trial.number)
            if trial.duration is not None:
                child.log_metric("duration_sec", trial.duration.total_seconds(), step=trial.number)
        except BaseException:
            child.end(FAILED)
            raise
        child.end(_STATUS.get(state, FAILED), error=f"trial {state.lower()}" if state != "COMPLETE" else None)
        self._update_parent(store, parent_id, study, active)

    def _names(self, n: int) -> list[str]:
        if self.metric_names is not None and len(self.metric_names) == n:
            return self.metric_names
        return ["value"] if n == 1 else [f"value_{i}" for i in range(n)]

    def _describe_study(self, run: Run, study: optuna.Study) -> None:
        directions = [d.name.lower() for d in study.directions]
        run.set_tags({"framework": "optuna", "study_name": study.study_name, "direction": ",".join(directions)})

    def _update_parent(self, store: Store, parent_id: str, study: optuna.Study, active: Run | None) -> None:
        trials = study.get_trials(deepcopy=False)
        done = [t for t in trials if t.state.name == "COMPLETE"]
        tags: dict[str, Any] = {"n_trials": len(trials), "n_complete": len(done)}
        metrics: dict[str, float] = {}
        last = trials[-1].number if trials else 0
        if done and len(study.directions) == 1:
            best = study.best_trial
            tags["best_trial"] = best.number
            tags["best_params"] = dict(best.params)
            metrics["best_value"] = float(best.value)

        def write(run: Run) -> None:
            run.set_tags(tags)
            if metrics:
                run.log_metrics(metrics, step=last)

        if active is not None and active.id == parent_id:
            write(active)
            return
        status = store.get_run(parent_id).status
        with store.start_run(run_id=parent_id) as parent:
            write(parent)
            parent.end(status if status in (FINISHED, FAILED, KILLED) else FINISHED)
