"""tracker_core.keras against real Keras 3 on the torch backend (a tiny MLP, CPU)."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras is imported

import pytest

import tracker_core as tc

keras = pytest.importorskip("keras")
np = pytest.importorskip("numpy")

from tracker_core.keras import TrackerCallback  # noqa: E402


class Record(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs: list[tuple[int, dict]] = []
        self.batches: list[dict] = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append((epoch, dict(logs)))

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append(dict(logs))


class Boom(keras.layers.Layer):
    """Raises in the forward pass from the n-th training call on."""

    def __init__(self, at, exc, **kw):
        super().__init__(**kw)
        self.at, self.exc, self.calls = at, exc, 0

    def call(self, x, training=None):
        if training:
            self.calls += 1
            if self.calls >= self.at:
                raise self.exc("boom")
        return x


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    return x, x.sum(1, keepdims=True)


def model(extra=None):
    keras.utils.set_random_seed(0)
    layers = [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)]
    if extra is not None:
        layers.insert(2, extra)
    m = keras.Sequential(layers, name="tiny_mlp")
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse", metrics=["mae"])
    return m


def test_fit_logs_params_summary_epoch_and_batch_metrics(tmp_path):
    store = tc.Store(tmp_path / "store")
    rec = Record()
    x, y = data()
    m = model()
    cb = TrackerCallback(experiment="keras", store=store, log_every_n_batches=2, log_model=True)
    m.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0, callbacks=[cb, rec])
    (run,) = store.list_runs()
    assert run.status == "finished" and cb.run is not None and cb.run.id == run.id
    h = store.metric_histories(run.id)
    for epoch, logs in rec.epochs:
        for key, value in logs.items():
            assert any(p.step == epoch and p.value == pytest.approx(float(value)) for p in h[key]), (key, epoch)
    assert {"loss", "mae", "val_loss", "val_mae"} <= set(h)
    assert [p.step for p in h["batch/loss"]] == [2, 4, 6, 8]  # 3 batches an epoch (48 of 64 samples), every 2nd
    assert [p.value for p in h["batch/loss"]] == pytest.approx(
        [float(rec.batches[i - 1]["loss"]) for i in (2, 4, 6, 8)]
    )
    assert run.params["fit.epochs"] == 3 and run.params["fit.steps"] == 3
    assert run.params["model.name"] == "tiny_mlp" and run.params["model.total_params"] == 4 * 8 + 8 + 8 + 1
    assert run.params["optimizer.learning_rate"] == pytest.approx(0.01) and run.params["model.loss"] == "mse"
    assert (store.artifact_root(run.id) / "model_config.json").is_file()
    assert (store.artifact_root(run.id) / "model.keras").is_file()


@pytest.mark.parametrize(("exc", "status"), [(RuntimeError, "failed"), (KeyboardInterrupt, "killed")])
def test_failure_and_interrupt_in_a_step_set_the_status(tmp_path, exc, status):
    store = tc.Store(tmp_path / "store")
    x, y = data()
    m = model(Boom(6, exc))  # 4 steps an epoch: fails in the second epoch
    with pytest.raises(exc):
        m.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[TrackerCallback(store=store)])
    (run,) = store.list_runs()
    assert run.status == status
    assert [p.step for p in store.metric_history(run.id, "loss")] == [0]
