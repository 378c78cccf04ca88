"""A hyperparameter sweep beyond the kata, so the app has histories, tags, failures and nesting to show.

Experiment ``churn_sweep`` on the kata's dataset: gradient boosting (train loss and validation
metrics per boosting stage), an MLP (loss and validation metrics per epoch), a random forest
grown ten trees at a time (validation metrics per size), a ``GridSearchCV`` logged by
``tracker_core.sklearn.autolog`` (a parent and one child run per candidate), one run that fails
(NaN in its features) and one left crashed (its process killed with SIGKILL mid-training).
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import tracker_core as tc

from .data import DEFAULT_SEED, Dataset, load_dataset, spread_timestamps

EXPERIMENT = "churn_sweep"
SWEEP_TAG = "churn-sweep-v1"


@dataclass(frozen=True)
class SweepConfig:
    """One run of the sweep: its family, name, params and how many steps of history it trains."""

    family: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    steps: int = 0


def sweep_configs(quick: bool = False) -> list[SweepConfig]:
    """The sweep's runs (12 per family; ``quick``: 2 per family with short histories)."""
    gb = [
        SweepConfig("gradient_boosting", f"gb_lr{lr}_d{depth}", {"learning_rate": lr, "max_depth": depth}, 120)
        for lr, depth in itertools.product((0.05, 0.1, 0.2, 0.4), (2, 3, 4))
    ]
    mlp = [
        SweepConfig(
            "mlp",
            f"mlp_{'x'.join(map(str, hidden))}_a{alpha}_lr{lr}",
            {"hidden_layer_sizes": list(hidden), "alpha": alpha, "learning_rate_init": lr},
            40,
        )
        for hidden, alpha, lr in itertools.product(((32,), (64,), (64, 32)), (1e-4, 1e-2), (1e-3, 1e-2))
    ]
    rf = [
        SweepConfig("random_forest", f"rf_d{depth}_f{feat}", {"max_depth": depth, "max_features": feat}, 10)
        for depth, feat in itertools.product((4, 8, 12, None), ("sqrt", 0.5, 1.0))
    ]
    if quick:
        short = {"gradient_boosting": 15, "mlp": 5, "random_forest": 3}
        return [
            SweepConfig(c.family, c.name, c.params, short[c.family]) for family in (gb, mlp, rf) for c in family[:2]
        ]
    return [*gb, *mlp, *rf]


def _tags(family: str, data: Dataset, seed: int) -> dict[str, Any]:
    return {"family": family, "sweep": SWEEP_TAG, "dataset": data.description, "seed": seed}


def run_config(store: tc.Store, config: SweepConfig, seed: int = DEFAULT_SEED) -> str:
    """Train one sweep run with its per-step history, evaluate it and log its model; return the run id."""
    from tracker_core.sklearn import evaluate

    data = load_dataset(seed)
    trainers = {"gradient_boosting": _train_gb, "mlp": _train_mlp, "random_forest": _train_rf}
    with store.start_run(EXPERIMENT, config.name, tags=_tags(config.family, data, seed)) as run:
        run.log_params({"model_type": config.family, **config.params, "random_state": seed})
        model = trainers[config.family](run, config, data, seed)
        evaluate(model, data.x_test, data.y_test, run=run)
        run.log_model(model, "model")
        return run.id


def _train_gb(run: tc.Run, config: SweepConfig, data: Dataset, seed: int) -> Any:
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.metrics import accuracy_score, log_loss

    model = GradientBoostingClassifier(n_estimators=config.steps, random_state=seed, **config.params)
    start = time.time()
    t0 = time.perf_counter()
    model.fit(data.x_train, data.y_train)
    elapsed = time.perf_counter() - t0
    run.log_metrics({"train_time_sec": elapsed, "n_estimators": config.steps})
    stamps = spread_timestamps(start, elapsed, config.steps)
    staged = model.staged_predict_proba(data.x_test)
    for step, (proba, train_loss) in enumerate(zip(staged, model.train_score_, strict=True)):
        run.log_metrics(
            {
                "train_loss": float(train_loss),
                "val_log_loss": log_loss(data.y_test, proba, labels=model.classes_),
                "val_accuracy": accuracy_score(data.y_test, model.classes_[proba.argmax(axis=1)]),
            },
            step=step,
            timestamp=stamps[step],
        )
    return model


def _train_mlp(run: tc.Run, config: SweepConfig, data: Dataset, seed: int) -> Any:
    import numpy as np
    from sklearn.metrics import accuracy_score, log_loss
    from sklearn.neural_network import MLPClassifier

    params = {**config.params, "hidden_layer_sizes": tuple(config.params["hidden_layer_sizes"])}
    model = MLPClassifier(random_state=seed, **params)
    classes = np.unique(data.y_train)
    elapsed = 0.0
    for epoch in range(config.steps):
        t0 = time.perf_counter()
        model.partial_fit(data.x_train, data.y_train, classes=classes)
        elapsed += time.perf_counter() - t0
        proba = model.predict_proba(data.x_test)
        run.log_metrics(
            {
                "train_loss": float(model.loss_),
                "val_log_loss": log_loss(data.y_test, proba, labels=model.classes_),
                "val_accuracy": accuracy_score(data.y_test, model.classes_[proba.argmax(axis=1)]),
            },
            step=epoch,
        )
    run.log_metrics({"train_time_sec": elapsed, "epochs": config.steps})
    return model


def _train_rf(run: tc.Run, config: SweepConfig, data: Dataset, seed: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score, roc_auc_score

    model = RandomForestClassifier(n_estimators=0, warm_start=True, random_state=seed, **config.params)
    elapsed = 0.0
    for step in range(config.steps):
        trees = 10 * (step + 1)
        model.set_params(n_estimators=trees)
        t0 = time.perf_counter()
        model.fit(data.x_train, data.y_train)
        elapsed += time.perf_counter() - t0
        proba = model.predict_proba(data.x_test)
        run.log_metrics(
            {
                "val_accuracy": accuracy_score(data.y_test, model.classes_[proba.argmax(axis=1)]),
                "val_auc": roc_auc_score(data.y_test, proba[:, 1]),
            },
            step=trees,
        )
    run.log_metrics({"train_time_sec": elapsed, "n_estimators": 10 * config.steps})
    return model


def run_grid_search(store: tc.Store, seed: int = DEFAULT_SEED, quick: bool = False) -> str:
    """A GridSearchCV over logistic regression, logged by ``autolog()``; return the parent run id."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from tracker_core import fluent
    from tracker_core.sklearn import autolog, evaluate

    data = load_dataset(seed)
    grid = {"logisticregression__C": [0.01, 0.1, 1.0] if quick else [0.001, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]}
    search = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), grid, cv=5)
    autolog(store=store)
    try:
        with fluent.start_run(EXPERIMENT, "logreg_grid_search", store=store, tags=_tags("logreg", data, seed)) as run:
            search.fit(data.x_train, data.y_train)
            evaluate(search.best_estimator_, data.x_test, data.y_test, run=run)
            return run.id
    finally:
        autolog(disable=True)


def run_failed(store: tc.Store, seed: int = DEFAULT_SEED) -> str:
    """A run that fails: raw features with a missing value reach a model that refuses NaN."""
    import numpy as np
    from sklearn.ensemble import GradientBoostingClassifier

    data = load_dataset(seed)
    raw = data.x_train.copy()
    raw[7, 3] = np.nan  # a missing value the pipeline forgot to impute
    run: tc.Run | None = None
    try:
        with store.start_run(EXPERIMENT, "gb_raw_features", tags=_tags("gradient_boosting", data, seed)) as run:
            run.log_params({"model_type": "gradient_boosting", "learning_rate": 0.1, "max_depth": 3, "imputer": None})
            GradientBoostingClassifier(random_state=seed).fit(raw, data.y_train)
    except ValueError:
        pass
    assert run is not None
    return run.id


def run_crashed(store: tc.Store, seed: int = DEFAULT_SEED, epochs: int = 6) -> str:
    """A run left crashed: a child process trains, flushes, then dies by SIGKILL; return its run id."""
    cmd = [sys.executable, "-m", "sample_runs.crash", "--store", os.fspath(store.root), "--seed", str(seed)]
    cmd += ["--epochs", str(epochs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != -signal.SIGKILL:
        raise RuntimeError(f"the crashing run exited with {proc.returncode}, not SIGKILL: {proc.stderr.strip()}")
    return proc.stdout.split()[0]


def crash_mid_training(store: tc.Store, seed: int, epochs: int) -> None:
    """Start the crashing run, train a few epochs, flush, print its id, then SIGKILL this process."""
    from sklearn.neural_network import MLPClassifier

    data = load_dataset(seed)
    run = store.start_run(EXPERIMENT, "mlp_wide_oom", tags=_tags("mlp", data, seed))
    run.log_params({"model_type": "mlp", "hidden_layer_sizes": [512, 512], "batch_size": 800, "random_state": seed})
    model = MLPClassifier(hidden_layer_sizes=(512, 512), batch_size=800, random_state=seed)
    for epoch in range(epochs):
        model.partial_fit(data.x_train, data.y_train, classes=[0, 1])
        run.log_metric("train_loss", float(model.loss_), step=epoch)
    run.flush()
    print(run.id, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # what the OOM killer does: no cleanup, no end_run
