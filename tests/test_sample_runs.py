"""sample_runs: the kata's runs and registry steps, the sweep, determinism and parallel workers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import tracker_core as tc
from sample_runs import kata, sweep
from sample_runs.__main__ import main as sample_main
from sample_runs.build import BuildResult, build, is_sample_store
from sample_runs.data import load_dataset
from tracker_core.registry import Registry


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[tc.Store, BuildResult]:
    """A reduced build with two workers writing to the store at once."""
    root = tmp_path_factory.mktemp("samples") / "store"
    result = build(root, workers=2, quick=True)
    return tc.Store(root, create=False), result


def by_name(store: tc.Store, experiment: str) -> dict[str, tc.RunSummary]:
    return {r.name: r for r in store.list_runs(experiment)}


def test_kata_runs_reproduce_the_kata_and_their_models_score_what_was_logged(quick):
    store, _ = quick
    runs = by_name(store, kata.EXPERIMENT)
    specs = kata.kata_models()
    assert set(runs) == {s.name for s in specs}
    data = load_dataset(42)
    for spec in specs:
        run = runs[spec.name]
        assert run.status == "finished"
        assert run.params == {"model_type": spec.cls, **spec.params}
        assert set(run.metrics) == {"accuracy", "f1_score", "auc_roc", "cv_mean", "cv_std", "train_time_sec"}
        model = store.load_model(run.id, "model")
        assert model.score(data.x_test, data.y_test) == pytest.approx(run.metric("accuracy"))
        names = {a.path for a in store.list_artifacts(run.id)}
        assert {"confusion_matrix.json", "confusion_matrix.csv", "classification_report.txt"} <= names
    # the kata's own printout: gradient boosting reaches about 0.94 accuracy on this split
    assert runs["gradient_boosting"].metric("accuracy") > 0.9


def test_registry_steps_register_four_versions_and_put_v4_in_production(quick):
    store, result = quick
    registry = Registry(store)
    versions = registry.list_versions(kata.MODEL_NAME)
    assert result.versions == [1, 2, 3, 4] == [v.version for v in versions]
    names = [store.get_run(v.source_run_id).name for v in versions]
    assert names == [s.name for s in kata.kata_models()]
    assert [v.stage for v in versions] == ["development"] * 3 + ["production"]
    stages = [(h.version, h.to_value) for h in registry.history(kata.MODEL_NAME) if h.action == "stage"]
    assert stages == [(4, "staging"), (4, "production")]


def test_sweep_has_histories_tags_artifacts_a_failure_and_a_crash(quick):
    store, _ = quick
    runs = by_name(store, sweep.EXPERIMENT)
    for config in sweep.sweep_configs(quick=True):
        run = runs[config.name]
        assert run.status == "finished" and run.tags["family"] == config.family
        assert run.tags["sweep"] == sweep.SWEEP_TAG
        history = store.metric_history(run.id, "val_accuracy")
        assert len(history) == config.steps
        if config.family == "random_forest":
            assert [p.step for p in history] == [10 * (i + 1) for i in range(config.steps)]
        else:
            assert len(store.metric_history(run.id, "train_loss")) == config.steps
        cm = json.loads(store.artifact_path(run.id, "test_confusion_matrix.json").read_text())
        assert sum(map(sum, cm["matrix"])) == 200  # the kata's 20 % test split
        assert store.model_info(run.id)["class"].startswith("sklearn.")
    failed = runs["gb_raw_features"]
    assert failed.status == "failed" and "NaN" in (failed.error or "")
    crashed = runs["mlp_wide_oom"]
    points = store.metric_history(crashed.id, "train_loss")
    assert [p.step for p in points] == [0, 1]
    # a crashed run ends at the last thing it wrote: its last point or flush, never a file time
    assert crashed.status == "crashed" and crashed.end_time is not None
    assert points[-1].timestamp <= crashed.end_time <= crashed.heartbeat + 5.0  # type: ignore[operator]


def test_grid_search_is_logged_by_autolog_as_a_parent_and_children(quick):
    store, _ = quick
    runs = store.list_runs(sweep.EXPERIMENT)
    parent = next(r for r in runs if r.name == "logreg_grid_search")
    children = [r for r in runs if r.parent_id == parent.id]
    assert sorted(c.params["logisticregression__C"] for c in children) == [0.01, 0.1, 1.0]
    assert parent.tags["estimator_name"] == "GridSearchCV"
    assert {"best_cv_score", "train_accuracy", "test_accuracy"} <= set(parent.metrics)
    assert "best_logisticregression__C" in parent.params


def _fingerprint(store: tc.Store) -> dict[tuple[str, str], Any]:
    """Every run's params, status and non-timing metric summaries, by (experiment, run name)."""
    names = {e.id: e.name for e in store.list_experiments()}
    out = {}
    for run in store.list_runs():
        metrics = {k: (m.last, m.min, m.max, m.step, m.count) for k, m in run.metrics.items() if "time" not in k}
        out[(names[run.experiment_id], run.name)] = (run.status, run.params, metrics)
    return out


def test_build_is_deterministic_whatever_the_number_of_workers(quick, tmp_path):
    store, _ = quick
    again = build(tmp_path / "again", workers=1, quick=True)
    assert _fingerprint(tc.Store(again.root)) == _fingerprint(store)


def test_a_store_with_runs_is_refused_and_sample_stores_are_recognized(quick, tmp_path, capsys):
    store, _ = quick
    assert sample_main(["--store", str(store.root), "--quick"]) == 1
    assert "already holds runs" in capsys.readouterr().err
    assert is_sample_store(store.root)
    other = tc.Store(tmp_path / "mine")
    with other.start_run("mine", "x"):
        pass
    assert not is_sample_store(other.root)
    assert not is_sample_store(tmp_path / "nothing-here")


@pytest.mark.slow
def test_default_build_has_the_full_sweep(tmp_path):
    # its duration is a figure printed by `python -m sample_runs`, not asserted here
    result = build(tmp_path / "full", workers=2)
    store = tc.Store(result.root)
    runs = store.list_runs(sweep.EXPERIMENT)
    families = {r.tags.get("family") for r in runs if r.parent_id is None}
    assert {"gradient_boosting", "mlp", "random_forest"} <= families
    assert len(runs) >= 40
    assert {r.status for r in runs} == {"finished", "failed", "crashed"}
    assert len(store.metric_history(by_name(store, sweep.EXPERIMENT)["gb_lr0.1_d3"].id, "val_log_loss")) == 120
    assert len(store.list_runs(kata.EXPERIMENT)) == 4


def test_python_m_sample_runs_prints_a_summary(tmp_path, capsys, monkeypatch):
    calls: list[dict[str, Any]] = []

    def fake_build(root: Path, **kwargs: Any) -> BuildResult:
        calls.append({"root": root, **kwargs})
        tc.Store(root, create=True)
        return BuildResult(str(root), versions=[1, 2, 3, 4], seconds=1.0)

    monkeypatch.setattr("sample_runs.__main__.build", fake_build)
    assert sample_main(["--store", str(tmp_path / "s"), "--workers", "3", "--seed", "7"]) == 0
    assert calls[0]["workers"] == 3 and calls[0]["seed"] == 7 and calls[0]["quick"] is False
    assert json.loads(capsys.readouterr().out)["versions"] == [1, 2, 3, 4]
