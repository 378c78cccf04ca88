"""scikit-learn integration: ``autolog()`` for every estimator's ``fit``, and ``evaluate()`` for test sets.

import tracker_core as tc
from tracker_core.sklearn import autolog, evaluate

autolog()                                  # from now on every fit is tracked
with tc.start_run(experiment="churn", name="rf"):
    model = RandomForestClassifier().fit(X_train, y_train)   # params, train metrics, model
    evaluate(model, X_test, y_test)        # test metrics, confusion matrix, report

What a tracked ``fit`` logs: ``get_params()`` as params, the estimator's class as tags
(``estimator_name``, ``estimator_class``), ``train_time_sec`` and training metrics
(classifiers: accuracy, precision, recall, f1, log_loss and roc_auc when probabilities
exist; regressors: mse, rmse, mae, r2; all prefixed ``train_``), and the fitted estimator as
model ``model``. ``GridSearchCV``/``RandomizedSearchCV`` also log each candidate as a child
run and the best candidate's params (``best_*``), score and estimator on the parent.

Which run: the active run of the module-level API (``tc.start_run``); a second fit inside the
same run goes to a child run; with no active run, the fit starts (and ends) a run of its own.
Fits made inside another tracked fit (a Pipeline's steps, a search's candidates, an
ensemble's members) are not logged again; while a tracked fit runs, fits in other threads of
the process are not logged either. scikit-learn is imported only when this module is used.
"""

from __future__ import annotations

import functools
import math
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .errors import RunStateError, TrackerError, ValidationError
from .run import Run, failure_summary
from .store import Store

MODEL_NAME = "model"
UNTRACKED_MODULES = (
    "sklearn.preprocessing",
    "sklearn.impute",
    "sklearn.feature_extraction",
    "sklearn.feature_selection",
)
"""Data-preparation estimators (label encoders, scalers...) whose own fits are not runs; inside a
tracked Pipeline they are logged as part of it. Metric functions fit label encoders, too."""
MAX_PARAM_LENGTH = 500
"""Params whose text is longer (nested estimators printed whole) are cut to this many characters."""

_lock = threading.Lock()
_patched: dict[type, Any] = {}  # class -> the exact ``fit`` found in its __dict__
_depth = 0  # tracked fits in progress in this process
_used_runs: set[str] = set()  # runs that already received an autologged fit


class _Config:
    experiment: str | None = None
    store: Store | str | os.PathLike[str] | None = None
    log_models: bool = True
    training_metrics: bool = True
    max_tuning_runs: int | None = 50


_config = _Config()


# ------------------------------------------------------------------ autolog
def autolog(
    *,
    experiment: str | None = None,
    store: Store | str | os.PathLike[str] | None = None,
    log_models: bool = True,
    training_metrics: bool = True,
    max_tuning_runs: int | None = 50,
    disable: bool = False,
) -> None:
    """Track every scikit-learn ``fit`` from now on; ``autolog(disable=True)`` undoes it exactly.

    ``experiment`` and ``store`` apply to runs that a fit starts itself (no active run);
    ``max_tuning_runs`` caps the child runs of a search (best ranked first; None: all).
    Calling it again changes the options without patching twice.
    """
    if disable:
        _unpatch_all()
        return
    if max_tuning_runs is not None and max_tuning_runs < 0:
        raise ValidationError("max_tuning_runs must be None or a number >= 0")
    _config.experiment = experiment
    _config.store = store
    _config.log_models = log_models
    _config.training_metrics = training_metrics
    _config.max_tuning_runs = max_tuning_runs
    _patch_all()


def is_enabled() -> bool:
    """Whether :func:`autolog` is on."""
    return bool(_patched)


def _estimator_classes() -> list[type]:
    """Every class of scikit-learn's public estimators (and their bases) that defines ``fit``."""
    from sklearn.base import BaseEstimator
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.utils import all_estimators

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        public = [cls for _, cls in all_estimators()]
    found: dict[type, None] = {}
    for cls in [*public, Pipeline, FeatureUnion, GridSearchCV, RandomizedSearchCV]:
        for klass in cls.__mro__:
            if (
                isinstance(klass, type)
                and issubclass(klass, BaseEstimator)
                and "fit" in klass.__dict__
                and not klass.__module__.startswith(UNTRACKED_MODULES)
            ):
                found[klass] = None
    return list(found)


def _patch_all() -> None:
    with _lock:
        if _patched:
            return
        for cls in _estimator_classes():
            original = cls.__dict__["fit"]
            if not callable(original):
                continue
            _patched[cls] = original
            setattr(cls, "fit", _tracked(original))  # noqa: B010 - the attribute name is the point


def _unpatch_all() -> None:
    with _lock:
        for cls, original in _patched.items():
            setattr(cls, "fit", original)  # noqa: B010
        _patched.clear()
        _used_runs.clear()


def _tracked(original: Callable[..., Any]) -> Callable[..., Any]:
    """``original`` wrapped so that an outermost call is logged to a run."""

    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _untracked() as outermost:
            if outermost and _patched:
                return _fit_and_log(original, self, args, kwargs)
            return original(self, *args, **kwargs)

    fit.__tracker_core_autolog__ = True  # type: ignore[attr-defined]
    return fit


@contextmanager
def _untracked() -> Iterator[bool]:
    """A block in which fits are not logged; yields whether no tracked block was open before."""
    global _depth
    with _lock:
        outermost = _depth == 0
        _depth += 1
    try:
        yield outermost
    finally:
        with _lock:
            _depth -= 1


@contextmanager
def _target_run(estimator: Any) -> Iterator[Run]:
    """The run a fit logs into; a run started here ends with the block (failed on an exception)."""
    from . import fluent

    active = fluent.active_run()
    name = type(estimator).__name__
    if active is not None and active.id not in _used_runs:
        _used_runs.add(active.id)
        yield active
        return
    if active is not None:
        run = fluent.start_run(name=name, nested=True, store=active.store)
    else:
        store = _config.store if _config.store is not None else fluent.get_store()
        run = fluent.start_run(_config.experiment, name, store=store)
    _used_runs.add(run.id)
    try:
        yield run
    except BaseException as exc:
        status = "killed" if isinstance(exc, KeyboardInterrupt) else "failed"
        run.end(status, error=failure_summary(type(exc), exc, exc.__traceback__))
        raise
    run.end("finished")


def _fit_and_log(original: Callable[..., Any], estimator: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    with _target_run(estimator) as run:
        started = time.perf_counter()
        result = original(estimator, *args, **kwargs)
        elapsed = time.perf_counter() - started
        _log_fit(run, estimator, args, kwargs, elapsed)
        return result


def _attempt(what: str, estimator: Any, action: Callable[[], object]) -> None:
    """Run one logging step; a failure warns instead of breaking the user's training."""
    try:
        action()
    except Exception as exc:
        detail = str(exc) if isinstance(exc, TrackerError) else repr(exc)
        warnings.warn(
            f"tracker_core.sklearn: could not log {what} of {type(estimator).__name__}: {detail}", stacklevel=4
        )


def _fit_data(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, Any]:
    x = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    return x, y, kwargs.get("sample_weight")


def _log_fit(run: Run, estimator: Any, args: tuple[Any, ...], kwargs: dict[str, Any], elapsed: float) -> None:
    from sklearn.model_selection._search import BaseSearchCV

    cls = type(estimator)
    tags = {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__qualname__}"}
    _attempt("the class", estimator, lambda: run.set_tags(tags))
    deep = not isinstance(estimator, BaseSearchCV)  # a search's candidates carry the estimator's params
    _attempt("the params", estimator, lambda: run.log_params(estimator_params(estimator, deep=deep)))
    run.log_metric("train_time_sec", elapsed)
    x, y, weight = _fit_data(args, kwargs)
    fitted = estimator
    if isinstance(estimator, BaseSearchCV):
        _attempt("the search candidates", estimator, lambda: _log_search(run, estimator))
        fitted = getattr(estimator, "best_estimator_", None)
    if _config.training_metrics and x is not None and y is not None and _can_predict(estimator):
        _attempt(
            "training metrics",
            estimator,
            lambda: run.log_metrics(score_estimator(estimator, x, y, prefix="train_", sample_weight=weight)),
        )
    if _config.log_models and fitted is not None:
        _attempt("the model", estimator, lambda: run.log_model(fitted, MODEL_NAME))


def _can_predict(estimator: Any) -> bool:
    from sklearn.base import is_classifier, is_regressor

    return (is_classifier(estimator) or is_regressor(estimator)) and callable(getattr(estimator, "predict", None))


def estimator_params(estimator: Any, deep: bool = True) -> dict[str, Any]:
    """``get_params()`` as loggable params: nested estimators and long values as short text."""
    from .validation import json_value

    params: dict[str, Any] = {}
    for key, value in estimator.get_params(deep=deep).items():
        plain = json_value(value)
        if isinstance(plain, (dict, list)):
            from .jsonio import dumps

            text = dumps(plain)
            plain = plain if len(text) <= MAX_PARAM_LENGTH else text[: MAX_PARAM_LENGTH - 3] + "..."
        elif isinstance(plain, str) and len(plain) > MAX_PARAM_LENGTH:
            plain = plain[: MAX_PARAM_LENGTH - 3] + "..."
        params[key] = plain
    return params


def _log_search(run: Run, search: Any) -> None:
    """A fitted search: each candidate as a child run, the best one's params and score on ``run``."""
    results = search.cv_results_
    candidates = results["params"]
    if getattr(search, "best_params_", None) is not None:
        run.log_params({f"best_{k}": v for k, v in search.best_params_.items()})
    best_score = getattr(search, "best_score_", None)
    if best_score is not None:
        run.log_metric("best_cv_score", float(best_score))
    run.log_metric("n_candidates", float(len(candidates)))
    ranks = results.get("rank_test_score")
    order = sorted(range(len(candidates)), key=lambda i: (int(ranks[i]) if ranks is not None else 0, i))
    if _config.max_tuning_runs is not None:
        order = order[: _config.max_tuning_runs]
    score_keys = [k for k in results if k.startswith(("mean_", "std_", "rank_"))]
    name = type(search.estimator).__name__
    experiment = run.store.get_experiment(run.experiment_id).name
    for i in order:
        with run.store.start_run(
            experiment, f"{name}-candidate-{i}", parent_id=run.id, tags={"search_candidate": i}
        ) as child:
            child.log_params(candidates[i])
            child.log_metrics({k: float(results[k][i]) for k in score_keys})
            if getattr(search, "best_index_", None) == i:
                child.set_tag("best_candidate", True)


# ------------------------------------------------------------------ metrics
def score_estimator(estimator: Any, x: Any, y: Any, *, prefix: str = "", sample_weight: Any = None) -> dict[str, float]:
    """Classifier or regressor metrics of a fitted estimator on ``(x, y)``, keys prefixed."""
    from sklearn.base import is_classifier

    if is_classifier(estimator):
        return classifier_metrics(estimator, x, y, prefix=prefix, sample_weight=sample_weight)
    return regressor_metrics(y, estimator.predict(x), prefix=prefix, sample_weight=sample_weight)


def classifier_metrics(
    estimator: Any, x: Any, y: Any, *, prefix: str = "", sample_weight: Any = None
) -> dict[str, float]:
    """accuracy, precision, recall, f1 (binary, else weighted), log_loss and roc_auc when probabilities exist."""
    from sklearn import metrics

    y_pred = estimator.predict(x)
    classes = list(getattr(estimator, "classes_", []))
    binary = len(classes) == 2
    average: dict[str, Any] = {"average": "binary", "pos_label": classes[1]} if binary else {"average": "weighted"}
    out = {
        "accuracy": metrics.accuracy_score(y, y_pred, sample_weight=sample_weight),
        "precision": metrics.precision_score(y, y_pred, sample_weight=sample_weight, zero_division=0, **average),
        "recall": metrics.recall_score(y, y_pred, sample_weight=sample_weight, zero_division=0, **average),
        "f1": metrics.f1_score(y, y_pred, sample_weight=sample_weight, zero_division=0, **average),
    }
    if classes and callable(getattr(estimator, "predict_proba", None)):
        try:
            proba = estimator.predict_proba(x)
        except Exception:  # e.g. SVC(probability=False) exposes the method but refuses
            proba = None
        if proba is not None:
            out["log_loss"] = metrics.log_loss(y, proba, labels=classes, sample_weight=sample_weight)
            try:
                if binary:
                    out["roc_auc"] = metrics.roc_auc_score(y, proba[:, 1], sample_weight=sample_weight)
                else:
                    out["roc_auc"] = metrics.roc_auc_score(
                        y, proba, multi_class="ovr", labels=classes, sample_weight=sample_weight
                    )
            except ValueError:  # a single class in y: AUC is undefined
                pass
    return {f"{prefix}{k}": float(v) for k, v in out.items()}


def regressor_metrics(y: Any, y_pred: Any, *, prefix: str = "", sample_weight: Any = None) -> dict[str, float]:
    """mse, rmse, mae and r2."""
    from sklearn import metrics

    mse = float(metrics.mean_squared_error(y, y_pred, sample_weight=sample_weight))
    out = {
        "mse": mse,
        "rmse": math.sqrt(mse),
        "mae": float(metrics.mean_absolute_error(y, y_pred, sample_weight=sample_weight)),
        "r2": float(metrics.r2_score(y, y_pred, sample_weight=sample_weight)),
    }
    return {f"{prefix}{k}": v for k, v in out.items()}


# --------------------------------------------------------------- evaluation
def evaluate(model: Any, x: Any, y: Any, *, run: Run | None = None, prefix: str = "test_") -> dict[str, float]:
    """Log a fitted model's metrics on ``(x, y)`` and a report; return the metrics.

    Classifiers: the :func:`classifier_metrics`, a confusion matrix (``<prefix>confusion_matrix``
    ``.json`` and ``.csv``, plus ``.png`` when matplotlib is installed) and a classification
    report (``<prefix>classification_report.txt``). Regressors: the :func:`regressor_metrics`
    and ``<prefix>residuals.csv`` (true, predicted, residual). ``run`` defaults to the active run.
    """
    from sklearn.base import is_classifier

    target = run if run is not None else _active_run_or_raise()
    with _untracked():
        return _evaluate(target, model, x, y, prefix, is_classifier(model))


def _evaluate(target: Run, model: Any, x: Any, y: Any, prefix: str, classifier: bool) -> dict[str, float]:
    if classifier:
        values = classifier_metrics(model, x, y, prefix=prefix)
        target.log_metrics(values)
        log_classification_report(target, y, model.predict(x), labels=getattr(model, "classes_", None), prefix=prefix)
    else:
        y_pred = model.predict(x)
        values = regressor_metrics(y, y_pred, prefix=prefix)
        target.log_metrics(values)
        log_residuals(target, y, y_pred, prefix=prefix)
    return values


def _active_run_or_raise() -> Run:
    from . import fluent

    active = fluent.active_run()
    if active is None:
        raise RunStateError("evaluate() needs a run: call it inside tracker_core.start_run(), or pass run=")
    return active


def log_classification_report(run: Run, y_true: Any, y_pred: Any, *, labels: Any = None, prefix: str = "") -> None:
    """Log a confusion matrix (JSON, CSV, PNG if matplotlib exists) and a classification report."""
    from sklearn import metrics

    from .validation import json_value

    label_list = json_value(list(labels)) if labels is not None else json_value(sorted(set(json_value(list(y_true)))))
    matrix = json_value(metrics.confusion_matrix(y_true, y_pred, labels=label_list))
    cm = {"labels": label_list, "matrix": matrix, "rows": "true", "columns": "predicted"}
    run.log_dict(cm, f"{prefix}confusion_matrix.json")
    lines = ["true\\predicted," + ",".join(str(v) for v in label_list)]
    lines += [f"{label}," + ",".join(str(c) for c in row) for label, row in zip(label_list, matrix, strict=True)]
    run.log_text("\n".join(lines) + "\n", f"{prefix}confusion_matrix.csv")
    report = metrics.classification_report(y_true, y_pred, labels=label_list, zero_division=0, digits=4)
    run.log_text(report, f"{prefix}classification_report.txt")
    _log_confusion_png(run, label_list, matrix, f"{prefix}confusion_matrix.png")


def _log_confusion_png(run: Run, labels: list[Any], matrix: list[list[int]], artifact_file: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # matplotlib is optional; JSON and CSV carry the same numbers
        return
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), [str(v) for v in labels])
    ax.set_yticks(range(len(labels)), [str(v) for v in labels])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            ax.text(j, i, str(count), ha="center", va="center")
    fig.tight_layout()
    fig.savefig(run.artifact_path_for(artifact_file))
    plt.close(fig)


def log_residuals(run: Run, y_true: Any, y_pred: Any, *, prefix: str = "") -> None:
    """Log ``<prefix>residuals.csv``: true value, prediction and residual per sample."""
    from .validation import json_value

    rows = ["true,predicted,residual"]
    for t, p in zip(json_value(list(y_true)), json_value(list(y_pred)), strict=True):
        rows.append(f"{t!r},{p!r},{float(t) - float(p)!r}")
    run.log_text("\n".join(rows) + "\n", f"{prefix}residuals.csv")
