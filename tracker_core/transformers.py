"""Hugging Face Transformers: ``Trainer(..., callbacks=[TrackerCallback()])``.

from tracker_core.transformers import TrackerCallback
trainer = Trainer(model=model, args=args, train_dataset=ds, callbacks=[TrackerCallback(experiment="bert")])
trainer.train()

At train begin the callback joins the active run (``tc.start_run``), or starts its own. It records
the ``TrainingArguments`` as params and the model's config under ``model.`` (flattened, JSON types
kept), logs every number of ``on_log`` and ``on_evaluate`` at ``step=state.global_step`` (a value
reported by both at one step is logged once), records each checkpoint (``on_save``) in the tags
``checkpoints`` (a list of ``{"path", "step"}``) and ``last_checkpoint``, optionally saves the final
model (``log_model=True``: ``save_pretrained`` into the artifact ``model/``), and ends a run of its
own finished, failed (an exception) or killed (KeyboardInterrupt). Only world process zero logs.
transformers is imported only when this module is.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from transformers import TrainerCallback

from ._framework import RunHandle, StoreArg, flatten_params, guard_method, log_params_safely, numeric_items
from .run import Run

__all__ = ["TrackerCallback"]


class TrackerCallback(TrainerCallback):  # type: ignore[misc]
    """Log a ``transformers.Trainer``'s params, metrics and checkpoints into a tui-track run."""

    def __init__(
        self,
        experiment: str | None = None,
        run_name: str | None = None,
        *,
        store: StoreArg = None,
        tags: Mapping[str, Any] | None = None,
        log_model: bool = False,
    ) -> None:
        self._handle = RunHandle(experiment=experiment, run_name=run_name, store=store, tags=tags)
        self.log_model = log_model
        self._last: dict[str, tuple[int, float]] = {}
        self._checkpoints: list[dict[str, Any]] = []

    @property
    def run(self) -> Run | None:
        """The run this callback logs to (None before training began)."""
        return self._handle.run

    # ------------------------------------------------------------ training
    def on_init_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        trainer = _calling_trainer()
        if trainer is not None:  # Trainer calls no callback when train() raises: watch it ourselves
            guard_method(trainer, "train", self._handle)

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        self._last.clear()
        self._checkpoints = []
        run = self._handle.open(getattr(args, "run_name", None) or None)
        params = flatten_params(args.to_dict())
        config = getattr(model, "config", None)
        if config is not None and hasattr(config, "to_dict"):
            params.update(flatten_params(config.to_dict(), "model"))
        log_params_safely(run, params)
        run.set_tags({"framework": "transformers"})

    def on_log(self, args: Any, state: Any, control: Any, logs: Mapping[str, Any] | None = None, **kw: Any) -> None:
        if state.is_world_process_zero and logs:
            self._log(logs, state.global_step)

    def on_evaluate(
        self, args: Any, state: Any, control: Any, metrics: Mapping[str, Any] | None = None, **kw: Any
    ) -> None:
        if state.is_world_process_zero and metrics:
            self._log(metrics, state.global_step)

    def _log(self, values: Mapping[str, Any], step: int) -> None:
        fresh: dict[str, float] = {}
        last = self._last
        for key, value in numeric_items(values):
            if last.get(key) != (step, value):  # Trainer reports eval metrics to on_log and on_evaluate
                last[key] = (step, value)
                fresh[key] = value
        if not fresh:
            return
        run = self._handle.run
        if run is not None and not run.ended:
            run.log_metrics(fresh, step=step)
            return
        if run is None:
            self._handle.open()  # evaluate() without train()
        self._handle.log_late(lambda run: run.log_metrics(fresh, step=step))

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero or self._handle.run is None:
            return
        path = os.path.abspath(os.path.join(args.output_dir, f"checkpoint-{state.global_step}"))
        self._checkpoints.append({"path": path, "step": state.global_step})
        checkpoints = list(self._checkpoints)
        self._handle.log_late(lambda run: run.set_tags({"checkpoints": checkpoints, "last_checkpoint": path}))

    def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero or self._handle.run is None:
            return
        run = self._handle.run
        if self.log_model and model is not None and not run.ended:
            target = run.artifact_path_for("model")
            if hasattr(model, "save_pretrained"):
                model.save_pretrained(str(target))
            else:
                run.log_model(model, "model")
        self._handle.end()


def _calling_trainer() -> Any:
    """The ``transformers.Trainer`` whose method is calling this callback (found on the stack), or None."""
    from transformers import Trainer

    frame = sys._getframe(1)
    for _ in range(12):
        if frame is None:
            return None
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, Trainer):
            return candidate
        frame = frame.f_back  # type: ignore[assignment]
    return None
