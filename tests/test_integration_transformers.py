"""tracker_core.transformers against a real Trainer: a 2-layer BERT (hidden size 32) built from a config, CPU only."""

from __future__ import annotations

import os

import pytest

import tracker_core as tc

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

from tracker_core.transformers import TrackerCallback  # noqa: E402


class Recorder(transformers.TrainerCallback):
    """What the Trainer reported, as (key, value, global_step)."""

    def __init__(self, fail_at: int | None = None, exc: type[BaseException] = RuntimeError) -> None:
        self.seen: list[tuple[str, float, int]] = []
        self.fail_at, self.exc = fail_at, exc

    def on_log(self, args, state, control, logs=None, **kw):
        self.seen += [(k, float(v), state.global_step) for k, v in (logs or {}).items() if isinstance(v, (int, float))]

    def on_evaluate(self, args, state, control, metrics=None, **kw):
        self.seen += [(k, float(v), state.global_step) for k, v in (metrics or {}).items()]

    def on_step_end(self, args, state, control, **kw):
        if self.fail_at is not None and state.global_step == self.fail_at:
            raise self.exc(f"boom at step {state.global_step}")


def tiny_trainer(tmp_path, callbacks, max_steps=6):
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=64,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=16,
        num_labels=2,
    )
    model = transformers.BertForSequenceClassification(config)
    g = torch.Generator().manual_seed(0)
    data = [
        {
            "input_ids": torch.randint(1, 64, (8,), generator=g),
            "attention_mask": torch.ones(8, dtype=torch.long),
            "labels": torch.tensor(i % 2),
        }
        for i in range(16)
    ]
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"),
        max_steps=max_steps,
        per_device_train_batch_size=4,
        logging_steps=2,
        eval_strategy="steps",
        eval_steps=3,
        save_steps=3,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        learning_rate=1e-3,
        seed=0,
    )
    return transformers.Trainer(model=model, args=args, train_dataset=data, eval_dataset=data[:8], callbacks=callbacks)


def the_run(store: tc.Store) -> tc.RunSummary:
    (run,) = store.list_runs()
    return run


@pytest.mark.slow
def test_every_reported_value_lands_with_its_step_and_params(tmp_path):
    store = tc.Store(tmp_path / "store")
    rec = Recorder()
    trainer = tiny_trainer(tmp_path, [TrackerCallback(experiment="bert", store=store, log_model=True), rec])
    trainer.train()
    trainer.evaluate()  # after training: lands in the same (reopened) run
    run = the_run(store)
    assert run.status == "finished"
    histories = store.metric_histories(run.id)
    assert rec.seen
    for key, value, step in rec.seen:
        assert any(p.step == step and p.value == pytest.approx(value) for p in histories[key]), (key, step)
    assert {p.step for p in histories["loss"]} == {2, 4, 6}
    assert [p.step for p in histories["eval_loss"]] == [3, 6]  # the same value twice at one step: once
    assert len(histories["eval_runtime"]) == 3  # the evaluate() after training is in the run too
    assert run.params["learning_rate"] == 1e-3 and run.params["max_steps"] == 6
    assert run.params["model.hidden_size"] == 32 and run.params["model.num_hidden_layers"] == 2
    assert run.params["eval_strategy"] == "steps"
    assert isinstance(run.params["per_device_train_batch_size"], int)
    assert [c["step"] for c in run.tags["checkpoints"]] == [3, 6]
    assert all(os.path.isdir(c["path"]) for c in run.tags["checkpoints"])
    assert (store.artifact_root(run.id) / "model" / "config.json").is_file()


def test_joins_the_active_run_and_leaves_ending_it_to_its_owner(tmp_path):
    store = tc.set_store(tmp_path / "store")
    try:
        with tc.start_run("bert", "outer") as outer:
            tiny_trainer(tmp_path, [TrackerCallback()], max_steps=2).train()
            assert not outer.ended
            outer.log_metric("after", 1.0)
        run = the_run(store)
        assert run.status == "finished" and "loss" in run.metrics and "after" in run.metrics
    finally:
        tc.set_store(None)


@pytest.mark.parametrize(("exc", "status"), [(RuntimeError, "failed"), (KeyboardInterrupt, "killed")])
def test_a_failing_or_interrupted_training_ends_the_run_with_its_status(tmp_path, exc, status):
    store = tc.Store(tmp_path / "store")
    trainer = tiny_trainer(tmp_path, [TrackerCallback(store=store), Recorder(fail_at=3, exc=exc)])
    with pytest.raises(exc):
        trainer.train()
    run = the_run(store)
    assert run.status == status
    assert [p.step for p in store.metric_history(run.id, "loss")] == [2]
    assert tc.active_run() is None
