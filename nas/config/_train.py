"""Training hyperparameters of one architecture: the ``training:`` section of a space."""

from __future__ import annotations

from dataclasses import dataclass

from nas.base import option
from nas.config._choices import list_inits, list_optimizers, list_schedules


@dataclass(frozen=True)
class TrainConfig:
    """How one architecture is trained. Every field may be fixed or searched in YAML."""

    optimizer: str = option("adam", "optimizer", choices=list_optimizers)
    lr: float = option(1e-3, "(peak) learning rate", low=0.0)
    weight_decay: float = option(0.0, "L2 penalty (decoupled for adamw)", low=0.0)
    momentum: float = option(
        0.9, "momentum of sgd_momentum/sgd_nesterov/rmsprop", low=0.0, high=1.0
    )
    batch_size: int = option(128, "training batch size (capped at the training set's size)", low=1)
    epochs: int = option(
        20, "maximum training epochs; with steps/min_steps: rounds of validation", low=1
    )
    min_steps: int = option(
        0, "least optimizer steps: small data gets more passes per epoch to reach it", low=0
    )
    steps: int | None = option(
        None,
        "optimizer steps of the whole run (instead of epochs)",
        kind=int,
        low=1,
        nullable=True,
    )
    schedule: str = option("constant", "learning-rate schedule", choices=list_schedules)
    lr_decay: float = option(
        0.1,
        "step: factor per third of the run; exponential: total factor; plateau: factor",
        low=0.0,
        high=1.0,
    )
    warmup_fraction: float = option(
        0.1, "warmup_cosine: share of steps warming up", low=0.0, high=0.9
    )
    plateau_patience: int = option(2, "plateau: epochs without improvement before decay", low=0)
    init: str = option("default", "weight initialisation", choices=list_inits)
    grad_clip: float = option(0.0, "gradient norm clipping (0 = off)", low=0.0)
    label_smoothing: float = option(0.0, "label smoothing (classification)", low=0.0, high=0.5)
    input_noise: float = option(0.0, "std of Gaussian noise added to training inputs", low=0.0)
    patience: int = option(10, "early stopping: epochs without improvement (0 = off)", low=0)
