"""tracker_core.xgboost and tracker_core.lightgbm against the real libraries (tiny synthetic data)."""

from __future__ import annotations

import pytest

import tracker_core as tc

np = pytest.importorskip("numpy")
xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")

from tracker_core.lightgbm import tracker_callback  # noqa: E402
from tracker_core.xgboost import TrackerCallback  # noqa: E402


def data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    return x, (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)


# ------------------------------------------------------------------ xgboost
def test_xgboost_logs_each_iteration_best_iteration_params_and_model(tmp_path):
    store = tc.Store(tmp_path / "store")
    x, y = data()
    dtrain, dvalid = xgb.DMatrix(x[:150], y[:150]), xgb.DMatrix(x[150:], y[150:])
    log: dict = {}
    params = {"objective": "binary:logistic", "eta": 0.3, "max_depth": 3, "eval_metric": ["logloss", "error"]}
    booster = xgb.train(
        params,
        dtrain,
        30,
        evals=[(dtrain, "train"), (dvalid, "valid")],
        evals_result=log,
        early_stopping_rounds=5,
        callbacks=[TrackerCallback(experiment="xgb", store=store)],
        verbose_eval=False,
    )
    (run,) = store.list_runs()
    assert run.status == "finished"
    h = store.metric_histories(run.id)
    for data_name, metrics in log.items():
        for metric, values in metrics.items():
            points = h[f"{data_name}-{metric}"]
            assert [p.step for p in points] == list(range(len(values)))
            assert [p.value for p in points] == pytest.approx(values)
    assert run.tags["best_iteration"] == booster.best_iteration
    assert run.metrics["best_score"].last == pytest.approx(booster.best_score)
    assert run.params["objective"] == "binary:logistic" and run.params["max_depth"] == 3
    assert run.params["eta"] == pytest.approx(0.3)
    loaded = xgb.Booster(model_file=str(store.artifact_root(run.id) / "model" / "model.json"))
    assert loaded.num_boosted_rounds() == booster.num_boosted_rounds()


@pytest.mark.parametrize(("exc", "status"), [(RuntimeError, "failed"), (KeyboardInterrupt, "killed")])
def test_xgboost_failure_and_interrupt(tmp_path, exc, status):
    store = tc.Store(tmp_path / "store")
    x, y = data()
    d = xgb.DMatrix(x, y)
    calls = {"n": 0}

    def objective(preds, dtrain):  # runs inside each boosting round
        calls["n"] += 1
        if calls["n"] == 4:
            raise exc("boom")
        labels = dtrain.get_label()
        p = 1 / (1 + np.exp(-preds))
        return p - labels, p * (1 - p)

    with pytest.raises(exc):
        xgb.train(
            {"max_depth": 2},
            d,
            10,
            evals=[(d, "train")],
            obj=objective,
            callbacks=[TrackerCallback(store=store)],
            verbose_eval=False,
        )
    (run,) = store.list_runs()
    assert run.status == status
    assert len(store.metric_history(run.id, "train-rmse")) == 3


# ----------------------------------------------------------------- lightgbm
def test_lightgbm_logs_each_iteration_params_best_iteration_and_model(tmp_path):
    store = tc.Store(tmp_path / "store")
    x, y = data()
    train, valid = lgb.Dataset(x[:150], y[:150]), lgb.Dataset(x[150:], y[150:])
    log: dict = {}
    params = {
        "objective": "binary",
        "learning_rate": 0.2,
        "num_leaves": 7,
        "metric": ["binary_logloss", "auc"],
        "verbose": -1,
    }
    booster = lgb.train(
        params,
        train,
        40,
        valid_sets=[valid],
        valid_names=["valid"],
        callbacks=[
            lgb.record_evaluation(log),
            lgb.early_stopping(3, verbose=False),
            tracker_callback(experiment="lgb", store=store),
        ],
    )
    (run,) = store.list_runs()
    assert run.status == "finished"
    h = store.metric_histories(run.id)
    for metric, values in log["valid"].items():
        points = h[f"valid-{metric}"]
        assert [p.step for p in points] == list(range(len(values)))
        assert [p.value for p in points] == pytest.approx(values)
    assert booster.best_iteration > 0 and run.tags["best_iteration"] == booster.best_iteration
    assert run.params["learning_rate"] == 0.2 and run.params["num_leaves"] == 7
    assert run.params["metric"] == ["binary_logloss", "auc"]
    loaded = lgb.Booster(model_file=str(store.artifact_root(run.id) / "model" / "model.txt"))
    assert loaded.num_trees() == booster.num_trees()


def test_lightgbm_without_early_stopping_ends_after_the_last_round(tmp_path):
    store = tc.Store(tmp_path / "store")
    x, y = data()
    train = lgb.Dataset(x, y)
    lgb.train(
        {"objective": "binary", "verbose": -1},
        train,
        5,
        valid_sets=[train],
        valid_names=["train"],
        callbacks=[tracker_callback(store=store)],
        keep_training_booster=True,
    )
    (run,) = store.list_runs()
    assert run.status == "finished"
    assert [p.step for p in store.metric_history(run.id, "train-binary_logloss")] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(("exc", "status"), [(RuntimeError, "failed"), (KeyboardInterrupt, "killed")])
def test_lightgbm_failure_and_interrupt(tmp_path, exc, status):
    store = tc.Store(tmp_path / "store")
    x, y = data()
    calls = {"n": 0}

    def objective(preds, train):
        calls["n"] += 1
        if calls["n"] == 4:
            raise exc("boom")
        p = 1 / (1 + np.exp(-preds))
        return p - train.get_label(), p * (1 - p)

    train = lgb.Dataset(x, y)
    with pytest.raises(exc):
        lgb.train(
            {"objective": objective, "metric": "l2", "verbose": -1},
            train,
            10,
            valid_sets=[train],
            valid_names=["train"],
            callbacks=[tracker_callback(store=store)],
        )
    (run,) = store.list_runs()
    assert run.status == status
    assert len(store.metric_history(run.id, "train-l2")) == 3
