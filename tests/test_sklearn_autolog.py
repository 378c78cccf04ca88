"""tracker_core.sklearn: autolog() on real estimators, evaluate(), and restoring the originals."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, mean_squared_error, roc_auc_score
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import tracker_core as tc
from tracker_core.sklearn import autolog, evaluate


@pytest.fixture
def store(tmp_path: Path) -> tc.Store:
    return tc.Store(tmp_path / "store")


@pytest.fixture
def logged(store: tc.Store) -> Iterator[tc.Store]:
    """autolog() on, into ``store``; always switched off again."""
    autolog(store=store, experiment="auto")
    try:
        yield store
    finally:
        autolog(disable=True)
        while tc.active_run() is not None:
            tc.end_run()


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return make_classification(n_samples=300, n_features=8, n_informative=5, random_state=0)


def only_run(store: tc.Store) -> tc.RunSummary:
    runs = store.list_runs()
    assert len(runs) == 1, [r.name for r in runs]
    return runs[0]


@pytest.mark.parametrize(
    "make",
    [
        lambda: LogisticRegression(C=0.5, max_iter=500),
        lambda: RandomForestClassifier(n_estimators=15, max_depth=4, random_state=0),
        lambda: GradientBoostingClassifier(n_estimators=20, random_state=0),
    ],
    ids=["logreg", "random_forest", "gradient_boosting"],
)
def test_fit_logs_params_class_metrics_and_a_model_that_predicts_the_same(logged, data, make):
    x, y = data
    model = make().fit(x, y)
    run = only_run(logged)
    assert run.status == "finished"
    assert run.tags["estimator_name"] == type(model).__name__
    expected_params = json.loads(json.dumps(model.get_params(), default=str))
    for key, value in expected_params.items():
        assert run.params[key] == value, key
    proba = model.predict_proba(x)[:, 1]
    assert run.metric("train_accuracy") == pytest.approx(accuracy_score(y, model.predict(x)))
    assert run.metric("train_roc_auc") == pytest.approx(roc_auc_score(y, proba))
    assert {"train_precision", "train_recall", "train_f1", "train_log_loss", "train_time_sec"} <= set(run.metrics)
    assert run.metric("train_time_sec") > 0
    loaded = logged.load_model(run.id, "model")
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))


def test_regressor_logs_regression_metrics(logged):
    x, y = make_regression(n_samples=200, n_features=5, noise=5.0, random_state=1)
    model = GradientBoostingRegressor(n_estimators=20, random_state=0).fit(x, y)
    run = only_run(logged)
    mse = mean_squared_error(y, model.predict(x))
    assert run.metric("train_mse") == pytest.approx(mse)
    assert run.metric("train_rmse") == pytest.approx(mse**0.5)
    assert {"train_mae", "train_r2"} <= set(run.metrics)
    assert "train_accuracy" not in run.metrics
    np.testing.assert_array_equal(logged.load_model(run.id).predict(x), model.predict(x))


def test_pipeline_is_one_run_with_its_steps_params(logged, data):
    x, y = data
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(C=2.0))]).fit(x, y)
    run = only_run(logged)  # the scaler's and the classifier's own fits are not logged again
    assert run.tags["estimator_name"] == "Pipeline"
    assert run.params["clf__C"] == 2.0
    assert run.params["scale__with_mean"] is True
    np.testing.assert_array_equal(logged.load_model(run.id).predict(x), pipe.predict(x))


def test_grid_search_logs_candidates_as_children_and_the_best_on_the_parent(logged, data):
    x, y = data
    grid = {"C": [0.01, 0.1, 1.0, 10.0]}
    search = GridSearchCV(LogisticRegression(max_iter=500), grid, cv=3).fit(x, y)
    runs = logged.list_runs()
    parents = [r for r in runs if r.parent_id is None]
    assert len(parents) == 1
    parent = parents[0]
    children = [r for r in runs if r.parent_id == parent.id]
    assert len(runs) == 5 and len(children) == 4  # nothing else: the candidates' refits are not runs
    assert sorted(c.params["C"] for c in children) == grid["C"]
    best = search.best_index_
    for child in children:
        i = child.tags["search_candidate"]
        assert child.metric("mean_test_score") == pytest.approx(search.cv_results_["mean_test_score"][i])
        assert child.metric("rank_test_score") == search.cv_results_["rank_test_score"][i]
        assert child.tags.get("best_candidate", False) is (i == int(best))
    assert parent.params["best_C"] == search.best_params_["C"]
    assert parent.metric("best_cv_score") == pytest.approx(search.best_score_)
    assert parent.params["estimator"] == "LogisticRegression(max_iter=500)"
    loaded = logged.load_model(parent.id)
    assert type(loaded) is LogisticRegression and search.best_params_["C"] == loaded.C
    np.testing.assert_array_equal(loaded.predict(x), search.predict(x))


def test_randomized_search_logs_its_sampled_candidates(logged, data):
    x, y = data
    search = RandomizedSearchCV(
        RandomForestClassifier(n_estimators=5, random_state=0),
        {"max_depth": [2, 3, 4, 5, 6], "min_samples_leaf": [1, 5]},
        n_iter=3,
        cv=2,
        random_state=0,
    ).fit(x, y)
    runs = logged.list_runs()
    parent = next(r for r in runs if r.parent_id is None)
    children = [r for r in runs if r.parent_id == parent.id]
    assert len(runs) == 4 and parent.tags["estimator_name"] == "RandomizedSearchCV"
    sampled = sorted((p["max_depth"], p["min_samples_leaf"]) for p in search.cv_results_["params"])
    assert sorted((c.params["max_depth"], c.params["min_samples_leaf"]) for c in children) == sampled
    assert parent.params["best_max_depth"] == search.best_params_["max_depth"]


def test_max_tuning_runs_keeps_the_best_ranked_candidates(store, data):
    x, y = data
    autolog(store=store, max_tuning_runs=2)
    try:
        search = GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.001, 0.1, 1.0, 10.0]}, cv=3).fit(x, y)
    finally:
        autolog(disable=True)
    children = [r for r in store.list_runs() if r.parent_id is not None]
    ranks = search.cv_results_["rank_test_score"]
    assert sorted(int(ranks[c.tags["search_candidate"]]) for c in children) == sorted(ranks)[:2]


def test_fit_inside_an_active_run_logs_there_and_a_second_fit_goes_to_a_child(logged, data):
    x, y = data
    with tc.start_run("mine", "training", store=logged) as run:
        LogisticRegression(C=1.0).fit(x, y)
        RandomForestClassifier(n_estimators=5, random_state=0).fit(x, y)
    runs = {r.name: r for r in logged.list_runs()}
    assert set(runs) == {"training", "RandomForestClassifier"}
    assert runs["training"].params["C"] == 1.0 and runs["training"].id == run.id
    child = runs["RandomForestClassifier"]
    assert child.parent_id == run.id and child.params["n_estimators"] == 5
    assert child.experiment_id == runs["training"].experiment_id


def test_a_fit_that_raises_ends_its_own_run_as_failed(logged):
    with pytest.raises(ValueError):
        LogisticRegression().fit([[0.0], [float("nan")]], [0, 1])
    run = only_run(logged)
    assert run.status == "failed"
    assert "NaN" in (run.error or "")
    assert tc.active_run() is None


def test_disable_restores_the_exact_original_methods():
    classes = (LogisticRegression, RandomForestClassifier, GridSearchCV, Pipeline)
    before = {cls: cls.__dict__.get("fit") for cls in classes}
    autolog(store=None)
    try:
        assert all(cls.__dict__.get("fit") is not before[cls] for cls in classes if before[cls] is not None)
        autolog()  # a second call must not wrap twice
    finally:
        autolog(disable=True)
    assert {cls: cls.__dict__.get("fit") for cls in classes} == before
    assert all(getattr(cls.fit, "__tracker_core_autolog__", False) is False for cls in classes)


def test_no_logging_after_disable(store, data):
    autolog(store=store)
    autolog(disable=True)
    LogisticRegression().fit(*data)
    with pytest.raises(tc.StoreNotFoundError):  # nothing was written, so not even the store was created
        store.list_runs()


def test_evaluate_logs_test_metrics_confusion_matrix_and_report(store, data):
    x, y = data
    model = LogisticRegression().fit(x[:200], y[:200])
    with store.start_run("eval", "holdout") as run:
        values = evaluate(model, x[200:], y[200:], run=run)
    summary = store.get_run(run.id)
    assert summary.metric("test_accuracy") == pytest.approx(accuracy_score(y[200:], model.predict(x[200:])))
    assert values["test_accuracy"] == summary.metric("test_accuracy")
    assert {"test_precision", "test_recall", "test_f1", "test_log_loss", "test_roc_auc"} <= set(summary.metrics)
    cm = json.loads(store.artifact_path(run.id, "test_confusion_matrix.json").read_text())
    assert cm["matrix"] == confusion_matrix(y[200:], model.predict(x[200:])).tolist()
    assert cm["labels"] == [0, 1]
    csv_rows = store.artifact_path(run.id, "test_confusion_matrix.csv").read_text().splitlines()
    assert csv_rows[1] == "0," + ",".join(str(v) for v in cm["matrix"][0])
    report = store.artifact_path(run.id, "test_classification_report.txt").read_text()
    assert "precision" in report and "macro avg" in report


def test_evaluate_regressor_logs_residuals(store):
    x, y = make_regression(n_samples=60, n_features=3, random_state=2)
    model = GradientBoostingRegressor(n_estimators=10, random_state=0).fit(x, y)
    with store.start_run("eval", "reg") as run:
        values = evaluate(model, x, y, run=run, prefix="val_")
    assert values["val_rmse"] == pytest.approx(mean_squared_error(y, model.predict(x)) ** 0.5)
    lines = store.artifact_path(run.id, "val_residuals.csv").read_text().splitlines()
    assert lines[0] == "true,predicted,residual" and len(lines) == 61


def test_evaluate_without_a_run_says_what_to_do(data):
    model = LogisticRegression().fit(*data)
    with pytest.raises(tc.RunStateError, match="start_run"):
        evaluate(model, *data)


def test_import_tracker_core_does_not_import_sklearn():
    code = "import sys, tracker_core; assert 'sklearn' not in sys.modules and 'tracker_core.sklearn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
