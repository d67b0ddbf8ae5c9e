"""Callbacks: keep the best epoch's weights in memory, stop early, restore them at the end."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from typing import Any

import lightning.pytorch as pl
from typing_extensions import override


class BestWeights(pl.Callback):
    """Remembers the weights of the best validation epoch, stops after ``patience`` epochs
    without a better one, and loads the best weights at the end.

    "Better" is lexicographic: a better ``monitor`` value, or an equal one with a lower
    ``tiebreak`` (validation loss). On small validation sets accuracy saturates (1.0 from
    the first epoch on); the loss still tells a model that keeps improving from one that
    got lucky, so training neither stops at the first perfect epoch nor keeps it.
    Keeping weights in memory (a state-dict copy per improvement) avoids checkpoint files;
    the models a search trains are small.
    """

    def __init__(
        self,
        monitor: str,
        mode: str,
        restore: bool = True,
        *,
        patience: int = 0,
        tiebreak: str | None = None,
    ) -> None:
        self.monitor, self.mode, self.restore = monitor, mode, restore
        self.patience, self.tiebreak = patience, tiebreak
        self.best: tuple[float, float] | None = None
        self.best_epoch = -1
        self.stopped_early = False
        self._state: dict | None = None

    def _key(self, value: float, tie: float) -> tuple[float, float]:
        """Larger is better, for either mode."""
        return (value if self.mode == "max" else -value, -tie)

    def _improved(self, key: tuple[float, float]) -> bool:
        if not all(math.isfinite(k) for k in key):
            return False
        return self.best is None or key > self.best

    @override
    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        metrics = trainer.callback_metrics
        if trainer.sanity_checking or self.monitor not in metrics:
            return
        tie = float(metrics[self.tiebreak]) if self.tiebreak in metrics else 0.0
        key = self._key(float(metrics[self.monitor]), tie)
        if self._improved(key):
            self.best, self.best_epoch = key, trainer.current_epoch
            if self.restore:
                self._state = copy.deepcopy(pl_module.state_dict())
        elif self.patience > 0 and trainer.current_epoch - self.best_epoch >= self.patience:
            trainer.should_stop = True
            self.stopped_early = True

    @override
    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._state is not None:
            pl_module.load_state_dict(self._state)

    @override
    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch,
                "stopped_early": self.stopped_early, "weights": self._state}  # fmt: skip

    @override
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        best = state_dict["best"]
        self.best = tuple(best) if best is not None else None  # type: ignore[assignment]
        self.best_epoch, self.stopped_early = state_dict["best_epoch"], state_dict["stopped_early"]
        self._state = state_dict["weights"]


class EpochCheckpoint(pl.Callback):
    """Writes a full checkpoint (weights, optimizer, schedules, best epoch, RNG and batch
    order) after an epoch, at most every ``every_s`` seconds, and passes it to ``saved``
    (the search uploads it to the study's artifact store). ``TrainOptions.resume_from``
    continues from one exactly where it stopped."""

    def __init__(
        self, path: str, every_s: float, saved: Callable[[str, int], None] | None = None
    ) -> None:
        self.path, self.every_s, self.saved = path, every_s, saved
        self._last = time.monotonic()

    @override
    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._last = time.monotonic()

        def after_epoch() -> None:
            if time.monotonic() - self._last < self.every_s or trainer.should_stop:
                return
            trainer.save_checkpoint(self.path)
            self._last = time.monotonic()
            if self.saved is not None:
                self.saved(self.path, trainer.current_epoch)

        pl_module.epoch_end_hooks.append(after_epoch)  # type: ignore[union-attr]
