"""The LightningModule that trains one built architecture."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import lightning.pytorch as pl
import torch
from torch import nn
from typing_extensions import override

from nas.base import TrainingError
from nas.config import CLASSIFICATION, RunLength, TrainConfig
from nas.training._metrics import EPOCH_TIME, TRAIN_LOSS, compute_metrics
from nas.training._optimizers import make_optimizer
from nas.training._schedules import make_schedule


class ArchitectureModule(pl.LightningModule):
    """Trains ``model`` with the optimizer, schedule, loss and augmentation of ``config``.

    Logging is per epoch only (one host sync per epoch): ``train_loss``, ``epoch_time`` and
    the validation metrics of :func:`compute_metrics`. ``history`` keeps them per epoch.

    Optimization is manual (zero_grad, backward, clip, step, schedule in ``training_step``):
    Lightning's automatic loop wraps every step in a closure and a round of hooks, which on
    small models cost as much as the step itself (benchmarks/throughput.py). Precision
    (loss scaling for 16-mixed) still goes through Lightning's ``manual_backward`` and
    optimizer wrapper.
    """

    def __init__(self, model: nn.Module, config: TrainConfig, task: str, run: RunLength) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["model"])
        self.model = model
        self.config, self.task, self.run = config, task, run
        if task == CLASSIFICATION:
            self.loss_fn: nn.Module = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
        else:
            self.loss_fn = nn.MSELoss()
        self.automatic_optimization = False
        self._plain: torch.optim.Optimizer | None = None
        self._step_schedule: Any = None  # stepped after every optimizer step
        self._epoch_schedule: Any = None  # stepped after each epoch's validation
        self.history: list[dict[str, float]] = []
        # called after each epoch's bookkeeping (history, epoch schedule): checkpoints
        self.epoch_end_hooks: list[Callable[[], None]] = []
        self._restored_schedules: dict[str, Any] | None = None  # from a checkpoint
        self._val_outputs: list[tuple[torch.Tensor, torch.Tensor]] = []
        self._val_metrics: dict[str, torch.Tensor] = {}

    @override
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    @override
    def on_train_epoch_start(self) -> None:
        self._epoch_start = time.perf_counter()
        self._loss_sum = torch.zeros((), device=self.device)
        self._batches = 0

    @override
    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        # a group of up to STEPS_PER_CALL mini-batches (see nas.training._data)
        size = self.config.batch_size
        last = None
        for x, y in zip(batch[0].split(size), batch[1].split(size), strict=True):
            last = self._step(x, y)
        return last

    def _step(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """One optimizer step on one mini-batch."""
        if self.config.input_noise > 0:
            x = x + self.config.input_noise * torch.randn_like(x)
        out = self.model(x)
        if self.task == CLASSIFICATION:
            loss = self.loss_fn(out, y)
        else:  # the loss of standardized targets: the same for targets in any units
            scale = self.model.target_scale() if hasattr(self.model, "target_scale") else None
            out = out.reshape(y.shape)
            loss = (
                self.loss_fn(out / scale, y / scale) if scale is not None else self.loss_fn(out, y)
            )
        if self._plain is not None:  # no loss scaling: plain PyTorch, no per-step hooks
            self._plain.zero_grad(set_to_none=True)
            loss.backward()
            if self.config.grad_clip:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
            self._plain.step()
        else:  # 16-mixed: Lightning's precision plugin scales the loss and unscales grads
            optimizer = self._optimizer
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(loss)
            if self.config.grad_clip:
                self.clip_gradients(optimizer, gradient_clip_val=self.config.grad_clip)
            optimizer.step()
        if self._step_schedule is not None:
            self._step_schedule.step()
        self._loss_sum += loss.detach()
        self._batches += 1
        return loss

    @override
    def on_train_start(self) -> None:
        self._optimizer = self.optimizers()
        # 32-true and bf16-mixed need no loss scaling, so their steps skip Lightning's
        # per-step hooks (autocast still wraps the forward pass, through training_step)
        scaled = self.trainer.precision not in ("32-true", "bf16-mixed")
        self._plain = None if scaled else self._optimizer.optimizer

    @override
    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        self._val_outputs.append((self.model(x), y))

    @override
    def on_validation_epoch_end(self) -> None:
        outputs = torch.cat([o for o, _ in self._val_outputs])
        targets = torch.cat([t for _, t in self._val_outputs])
        self._val_outputs.clear()
        self._val_metrics = compute_metrics(self.task, outputs, targets)
        self.log_dict(self._val_metrics)

    @override
    def on_train_epoch_end(self) -> None:
        train_loss = float(self._loss_sum / max(1, self._batches))  # the epoch's one sync
        if not math.isfinite(train_loss):
            raise TrainingError(
                f"training loss became {train_loss} in epoch {self.current_epoch}; "
                f"try a lower learning rate or gradient clipping"
            )
        seconds = time.perf_counter() - self._epoch_start
        if self._epoch_schedule is not None:
            if isinstance(self._epoch_schedule, torch.optim.lr_scheduler.ReduceLROnPlateau):
                self._epoch_schedule.step(float(self._val_metrics[self.run.monitor]))
            else:
                self._epoch_schedule.step()
        self.log_dict({TRAIN_LOSS: train_loss, EPOCH_TIME: seconds})
        self.history.append(
            {"epoch": self.current_epoch, TRAIN_LOSS: train_loss, EPOCH_TIME: seconds}
            | {k: float(v) for k, v in self._val_metrics.items()}
        )
        for hook in self.epoch_end_hooks:
            hook()

    @override
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """What Lightning does not keep: the history, the schedules stepped here, and the
        global RNG (dropout, input noise), so that a resumed run continues identically."""
        # the hyperparameters are rebuilt from the architecture; kept out, the checkpoint
        # holds only tensors and plain values (torch.load's weights_only=True reads it)
        checkpoint.pop("hyper_parameters", None)
        checkpoint.pop("hparams_name", None)
        checkpoint["nas"] = {
            "history": self.history,
            "step_schedule": self._step_schedule.state_dict() if self._step_schedule else None,
            "epoch_schedule": self._epoch_schedule.state_dict() if self._epoch_schedule else None,
            "torch_rng": torch.get_rng_state(),
        }

    @override
    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        state = checkpoint["nas"]
        self.history = list(state["history"])
        self._restored_schedules = state  # applied once configure_optimizers made them
        torch.set_rng_state(state["torch_rng"])

    @override
    def configure_optimizers(self) -> Any:
        optimizer = make_optimizer(self.model.parameters(), self.config)
        schedule = make_schedule(optimizer, self.config, self.run)
        if schedule is None:
            return optimizer
        key = "step_schedule" if schedule["interval"] == "step" else "epoch_schedule"
        setattr(self, f"_{key}", schedule["scheduler"])
        if self._restored_schedules is not None and self._restored_schedules[key] is not None:
            schedule["scheduler"].load_state_dict(self._restored_schedules[key])
        return optimizer  # its schedule is stepped here, not by Lightning
