"""How a search validates a trial: a stratified holdout, or K-fold cross-validation, and
whether the validation data can separate trials at all.

``validation: auto`` (the default) cross-validates when the training pool holds fewer
than ``AUTO_FOLDS_BELOW`` samples. Why 1000: measured on MNIST-1D subsets
(``benchmarks/validation_noise.py``, BENCHMARKS.md "Validation noise"), a 20% holdout's
accuracy moves by 8.5 / 2.1 / 2.7 points (sd over splits) at 100 / 300 / 1000 training
samples with the split alone, as much as good architectures differ, and by 0.9 at 3000;
5-fold cross-validation cuts that about 3× for 5× the training, which small data can
afford. (At 90% accuracy the binomial standard error of a 0.2·N holdout is 2.1 points at
N = 1000, the same order.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nas.study._sections import DEFAULT_FOLDS, ValidationSettings

if TYPE_CHECKING:
    from nas.data import Dataset

AUTO_FOLDS_BELOW = 1000  # auto: cross-validate training pools smaller than this
MIN_VALIDATED_PER_CLASS = 10  # fewer validated samples per class: trials tie by chance
MIN_VALIDATED = 50  # fewer validated samples: accuracy moves in steps over 2 points


@dataclass(frozen=True)
class ValidationPlan:
    """The validation a search runs."""

    folds: int  # 1: the holdout split; K > 1: K-fold cross-validation of the pool
    reason: str  # why, in words, e.g. "auto: 270 training samples < 1000"

    @property
    def cross_validates(self) -> bool:
        return self.folds > 1

    def describe(self) -> str:
        kind = f"{self.folds}-fold cross-validation" if self.cross_validates else "holdout"
        return f"{kind} ({self.reason})"


def plan_validation(settings: ValidationSettings, data: Dataset) -> ValidationPlan:
    """Resolve ``auto`` against the data's size."""
    if settings.method == "folds":
        return ValidationPlan(settings.folds or DEFAULT_FOLDS, "validation: folds")
    if settings.method == "holdout":
        return ValidationPlan(1, "validation: holdout")
    if data.n_pool < AUTO_FOLDS_BELOW:
        return ValidationPlan(
            DEFAULT_FOLDS, f"auto: {data.n_pool} training samples < {AUTO_FOLDS_BELOW}"
        )
    return ValidationPlan(1, f"auto: {data.n_pool} training samples >= {AUTO_FOLDS_BELOW}")


def validation_warning(plan: ValidationPlan, data: Dataset) -> str | None:
    """A warning when the validated samples are too few to separate trials (None: fine).

    Cross-validation validates every sample of the pool once; a holdout only its split.
    """
    if data.task != "classification":
        return None
    y = np.concatenate([data.y_train, data.y_val]) if plan.cross_validates else data.y_val
    counts = np.bincount(y, minlength=data.num_outputs)
    counts = counts[counts > 0]
    if counts.min() >= MIN_VALIDATED_PER_CLASS and len(y) >= MIN_VALIDATED:
        return None
    step = 100.0 / len(y)  # the mean over folds, too, moves in steps of one sample
    what = "cross-validation validates" if plan.cross_validates else "validation holds"
    advice = (
        "more labelled data is the only cure; compare trials by val_loss too (nas best does)"
        if plan.cross_validates
        else "use validation: {folds: 5} in the recipe"
    )
    return (
        f"{what} {len(y)} samples ({counts.min()} to {counts.max()} per class; trials are "
        f"separable from {MIN_VALIDATED} samples and {MIN_VALIDATED_PER_CLASS} per class): "
        f"accuracy moves in steps of {step:.1f} points, so "
        f"trials tie and the best is partly luck; {advice}"
    )
