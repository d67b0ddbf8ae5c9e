"""Torch-free configuration: training hyperparameters, their named choices, and metrics.

Everything here validates and describes; nothing trains. It sits below ``nas.arch`` so an
architecture file or a search space is checked without importing torch.
"""

from nas.config._choices import (
    INITS,
    OPTIMIZERS,
    SCHEDULES,
    InitFn,
    OptimizerFactory,
    RunLength,
    ScheduleFactory,
    list_inits,
    list_optimizers,
    list_schedules,
    register_init,
    register_optimizer,
    register_schedule,
)
from nas.config._metrics import (
    CLASSIFICATION,
    DIRECTIONS,
    METRICS,
    REGRESSION,
    TASKS,
    VAL_ACC,
    VAL_LOSS,
    VAL_R2,
    VAL_RMSE,
    Metric,
    cost_metrics,
    primary_metric,
)
from nas.config._train import TrainConfig

__all__ = [
    "CLASSIFICATION",
    "DIRECTIONS",
    "INITS",
    "METRICS",
    "OPTIMIZERS",
    "REGRESSION",
    "SCHEDULES",
    "TASKS",
    "VAL_ACC",
    "VAL_LOSS",
    "VAL_R2",
    "VAL_RMSE",
    "InitFn",
    "Metric",
    "OptimizerFactory",
    "RunLength",
    "ScheduleFactory",
    "TrainConfig",
    "cost_metrics",
    "list_inits",
    "list_optimizers",
    "list_schedules",
    "primary_metric",
    "register_init",
    "register_optimizer",
    "register_schedule",
]
