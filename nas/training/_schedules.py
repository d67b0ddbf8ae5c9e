"""The built-in learning-rate schedules of ``nas.config.SCHEDULES``, as Lightning
``lr_scheduler`` configs.

Each factory gets the optimizer, the TrainConfig and the run length; it returns the dict
Lightning's ``configure_optimizers`` accepts, or None for a constant rate. Per-step
schedules (cosine, one-cycle, warmup) know the exact number of optimizer steps.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from nas.config import SCHEDULES, RunLength, register_schedule

if TYPE_CHECKING:
    import torch

    from nas.config import TrainConfig


def make_schedule(
    optimizer: torch.optim.Optimizer, config: TrainConfig, run: RunLength
) -> dict[str, Any] | None:
    """The Lightning scheduler config for ``config.schedule``."""
    return SCHEDULES.get(config.schedule)(optimizer, config, run)


@register_schedule("constant")
def _constant(optimizer, c, run):  # type: ignore[no-untyped-def]
    return None


@register_schedule("step")
def _step(optimizer, c, run):  # type: ignore[no-untyped-def]
    from torch.optim.lr_scheduler import StepLR

    step_size = max(1, math.ceil(run.epochs / 3))
    return {"scheduler": StepLR(optimizer, step_size, gamma=c.lr_decay), "interval": "epoch"}


@register_schedule("exponential")
def _exponential(optimizer, c, run):  # type: ignore[no-untyped-def]
    from torch.optim.lr_scheduler import ExponentialLR

    gamma = max(c.lr_decay, 1e-12) ** (1.0 / run.epochs)
    return {"scheduler": ExponentialLR(optimizer, gamma), "interval": "epoch"}


@register_schedule("cosine")
def _cosine(optimizer, c, run):  # type: ignore[no-untyped-def]
    from torch.optim.lr_scheduler import CosineAnnealingLR

    return {"scheduler": CosineAnnealingLR(optimizer, run.total_steps), "interval": "step"}


@register_schedule("onecycle")
def _onecycle(optimizer, c, run):  # type: ignore[no-untyped-def]
    from torch.optim.lr_scheduler import OneCycleLR

    # Cycle momentum only where the optimizer already uses it: Adagrad has none, and
    # cycling plain SGD's zero momentum would silently turn momentum on.
    defaults = optimizer.defaults
    uses_momentum = "betas" in defaults or defaults.get("momentum", 0) > 0
    scheduler = OneCycleLR(
        optimizer, max_lr=c.lr, total_steps=run.total_steps, cycle_momentum=uses_momentum
    )
    return {"scheduler": scheduler, "interval": "step"}


@register_schedule("warmup_cosine")
def _warmup_cosine(optimizer, c, run):  # type: ignore[no-untyped-def]
    from torch.optim.lr_scheduler import LambdaLR

    total = run.total_steps
    warmup = int(c.warmup_fraction * total)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return {"scheduler": LambdaLR(optimizer, factor), "interval": "step"}


@register_schedule("plateau")
def _plateau(optimizer, c, run):  # type: ignore[no-untyped-def]
    from torch.optim.lr_scheduler import ReduceLROnPlateau

    scheduler = ReduceLROnPlateau(
        optimizer, mode=run.mode, factor=c.lr_decay, patience=c.plateau_patience
    )
    return {"scheduler": scheduler, "interval": "epoch", "monitor": run.monitor}
