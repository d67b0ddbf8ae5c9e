"""Training one architecture with PyTorch Lightning (imports torch and lightning on first use).

The hyperparameters it reads (``TrainConfig``) and their named choices live in the
torch-free ``nas.config``; this package registers the built-in optimizers and schedules.
"""

from nas.base import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Budget": "nas.training._budget",
        "plan_budget": "nas.training._budget",
        "fold_summary": "nas.training._folds",
        "mean_result": "nas.training._folds",
        "train_folds": "nas.training._folds",
        "TrainOptions": "nas.training._train",
        "TrainResult": "nas.training._train",
        "train_architecture": "nas.training._train",
        "build_seeded": "nas.training._train",
        "EpochProgress": "nas.training._progress",
        "EpochCheckpoint": "nas.training._callbacks",
        "cpu_threads": "nas.training._threads",
        "evaluate": "nas.training._metrics",
        "compute_metrics": "nas.training._metrics",
        "make_optimizer": "nas.training._optimizers",
        "make_schedule": "nas.training._schedules",
    },
)

__all__ = [
    "Budget",
    "EpochCheckpoint",
    "EpochProgress",
    "TrainOptions",
    "TrainResult",
    "build_seeded",
    "compute_metrics",
    "cpu_threads",
    "evaluate",
    "fold_summary",
    "make_optimizer",
    "make_schedule",
    "mean_result",
    "plan_budget",
    "train_architecture",
    "train_folds",
]
