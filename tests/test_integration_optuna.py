"""tracker_core.optuna against a real Optuna study: a parent run per study, a child run per trial."""

from __future__ import annotations

import pytest

import tracker_core as tc

optuna = pytest.importorskip("optuna")

from tracker_core.optuna import TrackerCallback  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial):
    x = trial.suggest_float("x", -3, 3)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    n = trial.suggest_int("n", 1, 4)
    if trial.number == 2:
        raise ValueError("a failing trial")
    for step in range(3):
        trial.report(x * x + step, step)
    if trial.number == 3:
        raise optuna.TrialPruned()
    return (x - 1) ** 2 + (0.5 if kind == "b" else 0) + n


def test_parent_per_study_child_per_trial_with_states(tmp_path):
    store = tc.Store(tmp_path / "store")
    cb = TrackerCallback(experiment="tuning", store=store)
    study = optuna.create_study(study_name="quad", sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=6, callbacks=[cb], catch=(ValueError,))
    runs = store.list_runs()
    (parent,) = [r for r in runs if r.parent_id is None]
    children = {r.name: r for r in runs if r.parent_id == parent.id}
    assert parent.name == "quad" and parent.status == "finished" and cb.parent_run_id(study) == parent.id
    assert len(children) == 6
    for trial in study.trials:
        run = children[f"trial-{trial.number}"]
        assert run.params == trial.params
        assert run.tags["state"] == trial.state.name and run.tags["trial_number"] == trial.number
        assert run.metrics["duration_sec"].last == pytest.approx(trial.duration.total_seconds())
        expected = {"COMPLETE": "finished", "FAIL": "failed", "PRUNED": "killed"}[trial.state.name]
        assert run.status == expected
        if trial.state.name == "COMPLETE":
            assert run.metrics["value"].last == pytest.approx(trial.value)
        steps = (
            [(p.step, p.value) for p in store.metric_history(run.id, "intermediate_value")]
            if trial.intermediate_values
            else []
        )
        assert steps == [(s, pytest.approx(v)) for s, v in sorted(trial.intermediate_values.items())]
    assert children["trial-2"].status == "failed" and children["trial-3"].status == "killed"
    assert parent.tags["best_trial"] == study.best_trial.number and parent.tags["direction"] == "minimize"
    assert parent.metrics["best_value"].last == pytest.approx(study.best_value)
    assert parent.tags["n_trials"] == 6


def test_multi_objective_values_and_active_run_as_parent(tmp_path):
    store = tc.set_store(tmp_path / "store")
    try:
        with tc.start_run("tuning", "outer") as outer:
            study = optuna.create_study(
                directions=["minimize", "maximize"], sampler=optuna.samplers.RandomSampler(seed=1)
            )
            study.optimize(
                lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)),
                n_trials=3,
                callbacks=[TrackerCallback(metric_names=["loss", "acc"])],
            )
        runs = store.list_runs()
        children = [r for r in runs if r.parent_id == outer.id]
        assert len(children) == 3 and store.get_run(outer.id).status == "finished"
        by_name = {r.name: r for r in children}
        for t in study.trials:
            r = by_name[f"trial-{t.number}"]
            assert r.metrics["loss"].last == pytest.approx(t.values[0]) and r.metrics["acc"].last == pytest.approx(
                t.values[1]
            )
    finally:
        tc.set_store(None)
