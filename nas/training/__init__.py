"""Training one architecture with PyTorch Lightning.

The hyperparameter config and its registries import no torch; the trainer itself
(``train_architecture``) is imported on first use.
"""

from nas._lazy import lazy_exports
from nas.training._config import TrainConfig
from nas.training._init import list_inits
from nas.training._optimizers import list_optimizers, register_optimizer
from nas.training._schedules import list_schedules, register_schedule

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "TrainOptions": "nas.training._train",
        "TrainResult": "nas.training._train",
        "train_architecture": "nas.training._train",
        "build_seeded": "nas.training._train",
        "evaluate": "nas.training._metrics",
    },
)

__all__ = [
    "TrainConfig",
    "TrainOptions",
    "TrainResult",
    "build_seeded",
    "evaluate",
    "list_inits",
    "list_optimizers",
    "list_schedules",
    "register_optimizer",
    "register_schedule",
    "train_architecture",
]
