"""Keras 3: ``model.fit(..., callbacks=[TrackerCallback()])`` (any backend; torch with ``KERAS_BACKEND=torch``).

from tracker_core.keras import TrackerCallback
model.fit(x, y, epochs=5, validation_split=0.2, callbacks=[TrackerCallback(experiment="mlp", log_every_n_batches=50)])

Logs ``fit``'s params (``fit.epochs``, ``fit.steps``, ``fit.batch_size`` when known), a summary of
the model (``model.name``, ``model.class``, ``model.total_params``, ``model.trainable_params``,
``model.layers``, ``optimizer.*`` from the optimizer's config) and its full config as the artifact
``model_config.json``; every epoch's metrics at ``step=epoch``; with ``log_every_n_batches=N`` the
training batch metrics as ``batch/<name>`` every N batches at the global batch number; optionally
the final model (``log_model=True``: ``model.keras``). A run of its own ends finished, failed or
killed (KeyboardInterrupt inside a training step); an active run is joined instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import keras

from ._framework import RunHandle, StoreArg, flatten_params, guard_method, log_params_safely, numeric_items
from .run import Run

__all__ = ["TrackerCallback"]


class TrackerCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Log a Keras ``fit`` into a tui-track run."""

    def __init__(
        self,
        experiment: str | None = None,
        run_name: str | None = None,
        *,
        store: StoreArg = None,
        tags: Mapping[str, Any] | None = None,
        log_every_n_batches: int | None = None,
        log_model: bool = False,
    ) -> None:
        super().__init__()
        if log_every_n_batches is not None and (type(log_every_n_batches) is not int or log_every_n_batches < 1):
            from .errors import ValidationError

            raise ValidationError(
                f"log_every_n_batches must be a positive integer or None, got {log_every_n_batches!r}"
            )
        self._handle = RunHandle(experiment=experiment, run_name=run_name, store=store, tags=tags)
        self.log_every_n_batches = log_every_n_batches
        self.log_model = log_model
        self._batches = 0

    @property
    def run(self) -> Run | None:
        """The run this callback logs to (None before ``fit`` began)."""
        return self._handle.run

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self._handle.run = None if self._handle.owned else self._handle.run
        run = self._handle.open(getattr(self.model, "name", None))
        self._batches = 0
        model = self.model
        params: dict[str, Any] = flatten_params({k: v for k, v in (self.params or {}).items() if v is not None}, "fit")
        params.update(_model_summary(model))
        log_params_safely(run, params)
        run.set_tags({"framework": "keras", "keras_backend": keras.backend.backend()})
        try:
            run.log_text(json.dumps(model.get_config(), default=str, indent=1), "model_config.json")
        except (NotImplementedError, TypeError, ValueError):
            pass  # a subclassed model without get_config
        guard_method(model, "train_step", self._handle)  # Keras calls no callback when fit raises

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._batches += 1
        n = self.log_every_n_batches
        if n is not None and logs and self._batches % n == 0 and self._handle.run is not None:
            values = {f"batch/{k}": v for k, v in numeric_items(logs)}
            self._handle.run.log_metrics(values, step=self._batches)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        if logs and self._handle.run is not None:
            self._handle.run.log_metrics(dict(numeric_items(logs)), step=epoch)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        run = self._handle.run
        if run is None:
            return
        if self.log_model and not run.ended:
            self.model.save(str(run.artifact_path_for("model.keras")))
        self._handle.end()


def _model_summary(model: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"model.name": model.name, "model.class": type(model).__name__}
    try:
        out["model.total_params"] = int(model.count_params())
        out["model.trainable_params"] = int(sum(int(w.numpy().size) for w in model.trainable_weights))
    except ValueError:  # not built yet
        pass
    out["model.layers"] = len(getattr(model, "layers", ()))
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        config = {k: v for k, v in optimizer.get_config().items() if not isinstance(v, Mapping)}
        out.update(flatten_params(config, "optimizer"))
    loss = getattr(model, "loss", None)
    if loss is not None:
        out["model.loss"] = loss if isinstance(loss, str) else getattr(loss, "name", type(loss).__name__)
    return out
