"""The kata's four experiments (seed/experiment-tracking-kata.md) and its registry steps, on a real store."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import tracker_core as tc

from .data import DEFAULT_SEED, load_dataset

EXPERIMENT = "churn_prediction"
MODEL_NAME = "churn_model"


@dataclass(frozen=True)
class KataModel:
    """One of the kata's experiments: a run name, an estimator class and its params."""

    name: str
    module: str
    cls: str
    params: dict[str, Any]

    def build(self) -> Any:
        import importlib

        return getattr(importlib.import_module(self.module), self.cls)(**self.params)


def kata_models(seed: int = DEFAULT_SEED) -> list[KataModel]:
    """The kata's four models with its params (``random_state`` follows the seed)."""
    return [
        KataModel("logistic_regression", "sklearn.linear_model", "LogisticRegression",
                  {"C": 1.0, "max_iter": 1000, "solver": "lbfgs"}),
        KataModel("random_forest_small", "sklearn.ensemble", "RandomForestClassifier",
                  {"n_estimators": 50, "max_depth": 5, "random_state": seed}),
        KataModel("random_forest_large", "sklearn.ensemble", "RandomForestClassifier",
                  {"n_estimators": 200, "max_depth": 15, "random_state": seed}),
        KataModel("gradient_boosting", "sklearn.ensemble", "GradientBoostingClassifier",
                  {"n_estimators": 100, "learning_rate": 0.1, "max_depth": 3, "random_state": seed}),
    ]  # fmt: skip


def run_kata_model(store: tc.Store, index: int, seed: int = DEFAULT_SEED) -> str:
    """Train, evaluate and log kata model ``index`` as the kata does; return the run id."""
    import numpy as np
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
    from sklearn.model_selection import cross_val_score

    from tracker_core.sklearn import log_classification_report

    spec = kata_models(seed)[index]
    data = load_dataset(seed)
    tags = {"source": "kata 11.3", "dataset": data.description, "seed": seed}
    with store.start_run(EXPERIMENT, spec.name, tags=tags) as run:
        run.log_param("model_type", spec.cls)
        run.log_params(spec.params)
        t0 = time.perf_counter()
        model = spec.build().fit(data.x_train, data.y_train)
        train_time = time.perf_counter() - t0
        y_pred = model.predict(data.x_test)
        y_prob = model.predict_proba(data.x_test)[:, 1]
        cv_scores = cross_val_score(model, data.x_train, data.y_train, cv=5, scoring="accuracy")
        run.log_metrics(
            {
                "accuracy": accuracy_score(data.y_test, y_pred),
                "f1_score": f1_score(data.y_test, y_pred),
                "auc_roc": roc_auc_score(data.y_test, y_prob),
                "cv_mean": float(np.mean(cv_scores)),
                "cv_std": float(np.std(cv_scores)),
                "train_time_sec": train_time,
            }
        )
        log_classification_report(run, data.y_test, y_pred, labels=model.classes_)
        run.log_model(model, "model")
        return run.id


def register_and_promote(store: tc.Store, run_ids: list[str]) -> list[int]:
    """The kata's registry steps: register the four models in order, then v4 to staging and production."""
    from tracker_core.registry import Registry

    registry = Registry(store)
    versions = [registry.register(MODEL_NAME, run_id, "model").version for run_id in run_ids]
    chosen = versions[3]  # the kata promotes v4, gradient boosting (random_forest_large has a higher AUC)
    registry.promote(MODEL_NAME, chosen, "staging", reason="kata step: gradient boosting v4 to staging")
    registry.promote(MODEL_NAME, chosen, "production", reason="kata step: staging checks passed")
    return versions
