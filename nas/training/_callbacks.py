"""Callbacks: keep the best epoch's weights in memory and restore them when training ends."""

from __future__ import annotations

import copy
import math

import lightning.pytorch as pl
from typing_extensions import override


class BestWeights(pl.Callback):
    """Remembers the weights of the best validation epoch and loads them at the end.

    Keeping them in memory (a state-dict copy per improvement) avoids checkpoint files;
    the models a search trains are small.
    """

    def __init__(self, monitor: str, mode: str, restore: bool = True) -> None:
        self.monitor, self.mode, self.restore = monitor, mode, restore
        self.best: float | None = None
        self.best_epoch = -1
        self._state: dict | None = None

    def _improved(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.best is None:
            return True
        return value > self.best if self.mode == "max" else value < self.best

    @override
    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or self.monitor not in trainer.callback_metrics:
            return
        value = float(trainer.callback_metrics[self.monitor])
        if self._improved(value):
            self.best, self.best_epoch = value, trainer.current_epoch
            if self.restore:
                self._state = copy.deepcopy(pl_module.state_dict())

    @override
    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._state is not None:
            pl_module.load_state_dict(self._state)
