"""Training one architecture with PyTorch Lightning (imports torch and lightning on first use).

The hyperparameters it reads (``TrainConfig``) and their named choices live in the
torch-free ``nas.config``; this package registers the built-in optimizers and schedules.
"""

from nas.base import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "TrainOptions": "nas.training._train",
        "TrainResult": "nas.training._train",
        "train_architecture": "nas.training._train",
        "build_seeded": "nas.training._train",
        "evaluate": "nas.training._metrics",
        "make_optimizer": "nas.training._optimizers",
        "make_schedule": "nas.training._schedules",
    },
)

__all__ = [
    "TrainOptions",
    "TrainResult",
    "build_seeded",
    "evaluate",
    "make_optimizer",
    "make_schedule",
    "train_architecture",
]
