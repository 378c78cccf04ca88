"""PyTorch Lightning: ``Trainer(logger=TrackerLogger(...))``, also with Fabric and ``pytorch_lightning``.

from tracker_core.lightning import TrackerLogger
trainer = lightning.Trainer(max_epochs=3, logger=TrackerLogger(experiment="mnist"))
trainer.fit(model, train_loader, val_loader)

``name`` is the experiment, ``version`` the run id. ``log_hyperparams`` records params (flattened,
JSON types kept), ``log_metrics(metrics, step)`` every value at its step, and after each checkpoint
save the paths ModelCheckpoint keeps are recorded in the tag ``checkpoints`` (``last_checkpoint``,
``best_checkpoint``). ``finalize(status)`` ends a run the logger started: ``success`` finished,
``failed`` failed (killed when a KeyboardInterrupt is ending training); a later ``trainer.test()``
with the same logger reopens the run for its metrics. A run active when the logger first logs is
joined instead (its owner ends it). Only rank zero logs. The Lightning flavour is the installed
``lightning`` package, else ``pytorch_lightning``.
"""

from __future__ import annotations

import os
from argparse import Namespace
from collections.abc import Mapping
from typing import Any

from ._framework import RunHandle, StoreArg, flatten_params, log_params_safely, numeric_items, status_of
from .records import FAILED, FINISHED, KILLED
from .run import Run

try:
    from lightning.pytorch.loggers.logger import Logger, rank_zero_experiment
    from lightning.pytorch.utilities import rank_zero_only
except ImportError:  # the standalone package
    from pytorch_lightning.loggers.logger import Logger, rank_zero_experiment
    from pytorch_lightning.utilities import rank_zero_only

__all__ = ["TrackerLogger"]


class TrackerLogger(Logger):  # type: ignore[misc]
    """A Lightning logger writing into a tui-track run."""

    def __init__(
        self,
        experiment: str | None = None,
        run_name: str | None = None,
        *,
        store: StoreArg = None,
        tags: Mapping[str, Any] | None = None,
        run_id: str | None = None,
        prefix: str = "",
    ) -> None:
        super().__init__()
        self._handle = RunHandle(experiment=experiment, run_name=run_name, store=store, tags=tags)
        if run_id is not None:  # resume an existing run
            from . import fluent

            self._handle.run = fluent.start_run(run_id=run_id, store=store)
            self._handle.owned = True
        self._prefix = prefix
        self._checkpoints: list[str] = []

    # ------------------------------------------------------------- identity
    @property
    def name(self) -> str:
        """The experiment's name."""
        run = self._handle.run
        if run is None:
            return self._handle.experiment or "default"
        return run.store.get_experiment(run.experiment_id).name

    @property
    def version(self) -> str:
        """The run id (the run starts here if it has not yet)."""
        return str(self.experiment.id)

    @property
    def save_dir(self) -> str | None:
        """None: checkpoints go under the Trainer's ``default_root_dir``, never into the store."""
        return None

    @property
    @rank_zero_experiment  # type: ignore[untyped-decorator,unused-ignore]
    def experiment(self) -> Run:
        """The tui-track run (started on first use, or the active run joined)."""
        run = self._handle.run
        if run is None:
            run = self._handle.open()
            run.set_tags({"framework": "lightning"})
        return run

    # --------------------------------------------------------------- logging
    @rank_zero_only  # type: ignore[untyped-decorator,unused-ignore]
    def log_hyperparams(self, params: dict[str, Any] | Namespace, *args: Any, **kwargs: Any) -> None:
        if isinstance(params, Namespace):
            params = vars(params)
        if params:
            log_params_safely(self.experiment, flatten_params(dict(params)))

    @rank_zero_only  # type: ignore[untyped-decorator,unused-ignore]
    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        prefix = self._prefix
        values = {f"{prefix}{k}" if prefix else k: v for k, v in numeric_items(metrics)}
        if values:
            self.experiment  # noqa: B018 - starts the run on first use
            self._handle.log_late(lambda run: run.log_metrics(values, step=step))

    @rank_zero_only  # type: ignore[untyped-decorator,unused-ignore]
    def save(self) -> None:
        run = self._handle.run
        if run is not None and not run.ended:
            run.flush()

    @rank_zero_only  # type: ignore[untyped-decorator,unused-ignore]
    def finalize(self, status: str) -> None:
        """End the run (if the logger started it): success/failed from Lightning, mapped to our statuses."""
        run = self._handle.run
        if run is None or run.ended:
            return
        if status == "finished":  # Lightning's SLURM requeue handler: the process is about to be requeued
            run.flush()
            return
        import sys

        exc = sys.exc_info()[1]  # Lightning finalizes inside its except block
        ours = FINISHED if status == "success" else status_of(exc) if exc is not None else FAILED
        if ours == FINISHED:
            self._handle.end(status=FINISHED)
        else:
            self._handle.end(exc, status=KILLED if isinstance(exc, KeyboardInterrupt) else ours)

    @rank_zero_only  # type: ignore[untyped-decorator,unused-ignore]
    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        paths = {
            "last_checkpoint": getattr(checkpoint_callback, "_last_checkpoint_saved", "")
            or getattr(checkpoint_callback, "last_model_path", "")
            or "",
            "best_checkpoint": getattr(checkpoint_callback, "best_model_path", "") or "",
        }
        kept = list(getattr(checkpoint_callback, "best_k_models", {}) or {})
        for path in [*kept, paths["last_checkpoint"], paths["best_checkpoint"]]:
            if path and os.path.abspath(path) not in self._checkpoints:
                self._checkpoints.append(os.path.abspath(path))
        tags = {k: os.path.abspath(v) for k, v in paths.items() if v}
        tags["checkpoints"] = list(self._checkpoints)  # type: ignore[assignment]
        self._handle.log_late(lambda run: run.set_tags(tags))
