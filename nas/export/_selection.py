"""Greedy ensemble selection (Caruana et al., ICML 2004) over out-of-fold predictions.

On small data, cross-validation often cannot tell the best few trials apart, and those
trials are different kinds of model (a rocket transform, a convolutional net, a recurrent
one) whose errors differ. Averaging them beats any one of them; which to average, and how
much of each, is chosen on predictions that no model saw in training: each trial's K fold
models, each scoring the fold it was not trained on, give one out-of-fold prediction per
training sample. Selection with replacement, starting from the best single trial, adds
whichever trial lowers the ensemble's out-of-fold loss most (log loss for
classification, squared error for regression) and stops when no addition lowers it; a
trial's weight is how often it was added. Starting from the best single trial, the
chosen ensemble's out-of-fold loss is never worse than that trial's.

Log loss compares probabilities, and not every model's logits are calibrated ones: a
rocket model's ridge-regression outputs lie near +-1, so their softmax is almost flat even
where the model is right. Each classifier's logits are therefore temperature-scaled first
(Guo et al., ICML 2017): one temperature per trial, fitted on its out-of-fold logits, which
changes no prediction but makes the probabilities comparable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

MAX_ROUNDS = 25  # additions at most (weights are multiples of 1/rounds)
TEMPERATURES = (1e-3, 1e3)  # the range a fitted temperature lies in


@dataclass(frozen=True)
class Selection:
    """The chosen weights per trial number and the out-of-fold losses behind them."""

    weights: dict[int, float]  # trial number -> weight (they sum to 1), heaviest first
    loss: float  # the ensemble's out-of-fold loss
    single: dict[int, float]  # each candidate's own out-of-fold loss

    @property
    def best_single(self) -> int:
        return min(self.single, key=lambda n: (self.single[n], n))


def out_of_fold_loss(prediction: np.ndarray, y: np.ndarray, task: str) -> float:
    """Log loss of class probabilities ``(N, C)``, or the mean squared error of ``(N, ...)``
    predictions of regression targets ``y``."""
    if task == "classification":
        chosen = prediction[np.arange(len(y)), y.astype(np.int64)]
        return float(-np.log(np.clip(chosen, 1e-12, 1.0)).mean())
    return float(np.mean((prediction - y.reshape(prediction.shape)) ** 2))


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature ``T`` that minimises the log loss of ``softmax(logits / T)``."""
    from scipy.optimize import minimize_scalar

    def loss(log_t: float) -> float:
        return out_of_fold_loss(softmax(logits / np.exp(log_t)), y, "classification")

    low, high = (float(np.log(t)) for t in TEMPERATURES)
    found = minimize_scalar(loss, bounds=(low, high), method="bounded")
    return float(np.exp(found.x))


def select_ensemble(
    predictions: Mapping[int, np.ndarray], y: np.ndarray, task: str, rounds: int = MAX_ROUNDS
) -> Selection:
    """Greedy forward selection with replacement over ``predictions`` (trial number ->
    out-of-fold probabilities or outputs for every sample of ``y``).

    Ties go to the lower trial number, so the result depends only on the predictions.
    """
    if not predictions:
        raise ValueError("select_ensemble needs at least one candidate")
    single = {n: out_of_fold_loss(p, y, task) for n, p in predictions.items()}
    first = min(single, key=lambda n: (single[n], n))
    counts = {first: 1}
    total = predictions[first].astype(np.float64)
    loss = single[first]
    for added in range(1, rounds):
        scored = [
            (out_of_fold_loss((total + p) / (added + 1), y, task), n)
            for n, p in sorted(predictions.items())
        ]
        best_loss, best = min(scored)
        if best_loss >= loss:
            break
        counts[best] = counts.get(best, 0) + 1
        total = total + predictions[best]
        loss = best_loss
    size = sum(counts.values())
    order = sorted(counts, key=lambda n: (-counts[n], n))
    return Selection({n: counts[n] / size for n in order}, loss, single)
