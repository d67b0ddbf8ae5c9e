"""The named choices of a TrainConfig: optimizers, learning-rate schedules, initialisations.

The registries live here, in the torch-free config layer, so a search space or an
architecture file is validated without importing torch; the entries are registered by the
layers that implement them (``nas.training`` for optimizers and schedules, ``nas.builder``
for initialisations), imported the first time a registry is read. A plugin adds one the
same way::

    from nas.config import OPTIMIZERS

    @OPTIMIZERS.register("lion")
    def _lion(params, config): ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nas.base import Registry

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class RunLength:
    """How long the run is, for schedules that need it."""

    epochs: int  # maximum epochs
    steps_per_epoch: int  # optimizer steps per epoch
    monitor: str  # metric a plateau schedule watches
    mode: str  # "min" or "max" for that metric

    @property
    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch


# (parameters, TrainConfig) -> optimizer; the config is typed Any here because TrainConfig
# validates its choices against these registries (nas/config/_train.py imports this file)
OptimizerFactory = Callable[["Iterable[torch.nn.Parameter]", Any], "torch.optim.Optimizer"]
# (optimizer, TrainConfig, run) -> Lightning lr_scheduler config, or None for a constant rate
ScheduleFactory = Callable[["torch.optim.Optimizer", Any, RunLength], "dict[str, Any] | None"]
# applied to every weight matrix or kernel; None keeps PyTorch's defaults
InitFn = Callable[["torch.Tensor"], None] | None

OPTIMIZERS: Registry[OptimizerFactory] = Registry(
    "optimizer", builtins=("nas.training._optimizers",)
)
SCHEDULES: Registry[ScheduleFactory] = Registry("schedule", builtins=("nas.training._schedules",))
INITS: Registry[InitFn] = Registry("initialisation", builtins=("nas.builder._init",))
register_optimizer = OPTIMIZERS.register
register_schedule = SCHEDULES.register
register_init = INITS.register
list_optimizers = OPTIMIZERS.names
list_schedules = SCHEDULES.names
list_inits = INITS.names
