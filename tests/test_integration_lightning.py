"""tracker_core.lightning against a real lightning.pytorch Trainer (a tiny MLP, CPU) and Fabric."""

from __future__ import annotations

import os

import pytest

import tracker_core as tc

L = pytest.importorskip("lightning")
torch = pytest.importorskip("torch")

from tracker_core.lightning import TrackerLogger  # noqa: E402


class TinyMLP(L.LightningModule):
    def __init__(self, hidden: int = 8, lr: float = 0.05, fail_at: int | None = None, exc=RuntimeError):
        super().__init__()
        self.save_hyperparameters(ignore=["exc"])
        self.net = torch.nn.Sequential(torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))
        self.fail_at, self.exc = fail_at, exc
        self.reported: list[tuple[str, float, int]] = []

    def training_step(self, batch, batch_idx):
        if self.fail_at is not None and self.global_step == self.fail_at:
            raise self.exc("boom")
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=False)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


class Spy(TrackerLogger):
    """Records what Lightning hands the logger, to compare with the store."""

    seen: list[tuple[str, float, int]]

    def log_metrics(self, metrics, step=None):
        self.__dict__.setdefault("seen", []).extend((k, float(v), step) for k, v in metrics.items())
        super().log_metrics(metrics, step)


def loader(n=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True)), batch_size=8)


def trainer(tmp_path, logger, **kw):
    return L.Trainer(
        max_epochs=2,
        logger=logger,
        accelerator="cpu",
        devices=1,
        log_every_n_steps=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=str(tmp_path),
        **kw,
    )


def test_fit_logs_every_value_at_its_step_with_hparams_and_checkpoints(tmp_path):
    store = tc.Store(tmp_path / "store")
    logger = Spy(experiment="mlp", store=store)
    t = trainer(tmp_path, logger)
    t.fit(TinyMLP(), loader(), loader(16, 1))
    (run,) = store.list_runs()
    assert logger.version == run.id and logger.name == "mlp"
    assert run.status == "finished"
    histories = store.metric_histories(run.id)
    assert logger.seen
    for key, value, step in logger.seen:
        assert any(p.step == step and p.value == pytest.approx(value) for p in histories[key]), (key, step)
    assert [p.step for p in histories["train_loss"]] == list(range(8))
    assert run.params["hidden"] == 8 and run.params["lr"] == 0.05
    saved = [os.path.basename(p) for p in run.tags["checkpoints"]]  # each save, also those pruned since
    assert saved == ["epoch=0-step=4.ckpt", "epoch=1-step=8.ckpt"]
    assert os.path.isfile(run.tags["last_checkpoint"]) and run.tags["last_checkpoint"].endswith(saved[-1])


@pytest.mark.parametrize(("exc", "status"), [(RuntimeError, "failed"), (KeyboardInterrupt, "killed")])
def test_failure_and_interrupt_set_the_status(tmp_path, exc, status):
    store = tc.Store(tmp_path / "store")
    t = trainer(tmp_path, TrackerLogger(store=store), enable_checkpointing=False)
    expected = SystemExit if exc is KeyboardInterrupt else exc  # Lightning turns Ctrl-C into sys.exit(1)
    with pytest.raises(expected):
        t.fit(TinyMLP(fail_at=3, exc=exc), loader())
    (run,) = store.list_runs()
    assert run.status == status
    assert [p.step for p in store.metric_history(run.id, "train_loss")] == [0, 1, 2]


def test_fabric_logs_through_the_same_logger(tmp_path):
    store = tc.Store(tmp_path / "store")
    logger = TrackerLogger(experiment="fab", store=store)
    fabric = L.Fabric(accelerator="cpu", devices=1, loggers=[logger])
    fabric.log_dict({"a": 1.0, "b": 2}, step=5)
    fabric.logger.log_hyperparams({"opt": {"name": "sgd", "lr": 0.1}})
    logger.finalize("success")
    (run,) = store.list_runs()
    assert run.status == "finished" and run.params == {"opt.name": "sgd", "opt.lr": 0.1}
    assert store.metric_history(run.id, "b")[0].step == 5
