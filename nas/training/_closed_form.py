"""Models whose features are fixed: fit the features to the data, solve the output layer.

A model whose layers before ``output`` hold no trainable parameter but a layer fitted to
data (the ``rocket`` block's random convolutions) is a linear model on fixed features.
Gradient steps on 50-100 series train such a head badly (measured on
PickupGestureWiimoteZ: 58-84% by Adam, 90% in closed form), so it is solved the way
MiniRocket solves it: ridge regression on standardized features, the penalty chosen
among ``ALPHAS`` by exact leave-one-out error on the training split (one SVD serves
every penalty: scikit-learn's ``RidgeCV``). Classes are regressed as ±1 targets, as
``RidgeClassifierCV`` does; regression targets in the model's standardized units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from nas.config import CLASSIFICATION
from nas.training._data import EVAL_BATCH_SIZE

ALPHAS = tuple(float(a) for a in torch.logspace(-3, 3, 10))  # scikit-learn's ridge CV grid
OUTPUT = "output"


@dataclass(frozen=True)
class RidgeFit:
    """The penalty a closed-form fit chose and its leave-one-out error."""

    alpha: float
    loo_mse: float  # mean squared leave-one-out error of the (standardized) targets

    def note(self) -> str:
        return (
            f"output layer solved by ridge regression (alpha {self.alpha:.3g}, chosen by "
            f"leave-one-out error among {len(ALPHAS)} values)"
        )


def _split(model: nn.Module) -> tuple[list[nn.Module], list[nn.Module]]:
    """The layers before ``output`` and those from it on (none: not a built network)."""
    layers = getattr(model, "layers", None)
    if not isinstance(layers, nn.ModuleDict) or OUTPUT not in layers:
        return [], []
    modules = list(layers.values())
    cut = list(layers).index(OUTPUT)
    return modules[:cut], modules[cut:]


def _feature_layers(model: nn.Module) -> list[nn.Module]:
    return _split(model)[0]


def fits_to_data(model: nn.Module) -> bool:
    """A layer before ``output`` fits itself to training data (``init_from_data``)."""
    return any(hasattr(m, "init_from_data") for m in _feature_layers(model))


def init_from_data(model: nn.Module, x: torch.Tensor) -> None:
    """Let each layer that fits itself to data (``init_from_data``) do so, on the
    training inputs as they reach it; a model without such a layer is left alone."""
    layers = _feature_layers(model)
    fitted = [i for i, m in enumerate(layers) if hasattr(m, "init_from_data")]
    if not fitted:
        return
    with torch.no_grad():
        for module in layers[: fitted[-1]]:  # inputs of the last fitted layer, no further
            if hasattr(module, "init_from_data"):
                module.init_from_data(x)
            x = _apply(module, x)
        layers[fitted[-1]].init_from_data(x)


def has_fixed_features(model: nn.Module) -> bool:
    """The layers before ``output`` learn nothing by gradient, and one is fitted to data."""
    layers = _feature_layers(model)
    output = model.layers[OUTPUT] if layers else None
    return (
        isinstance(output, nn.Linear)
        and fits_to_data(model)
        and not any(p.requires_grad for m in layers for p in m.parameters())
    )


def _apply(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return torch.cat([module(part) for part in x.split(EVAL_BATCH_SIZE)])


def features(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The inputs of the output layer for ``x`` (eval mode, no gradient)."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for module in _feature_layers(model):
            x = _apply(module, x)
    model.train(was_training)
    return x


def _targets(model: nn.Module, y: torch.Tensor, task: str, n_outputs: int) -> torch.Tensor:
    if task == CLASSIFICATION:
        return nn.functional.one_hot(y.long(), n_outputs).double() * 2.0 - 1.0
    z = y.reshape(len(y), -1).double()
    scale = model.layers["output_scale"] if "output_scale" in model.layers else None  # noqa: SIM401 (ModuleDict has no get)
    if scale is not None:  # the output layer predicts standardized targets
        z = (z - scale.shift.reshape(1, -1).double()) / scale.scale.reshape(1, -1).double()
    return z


def solve_ridge(
    features: torch.Tensor, targets: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, RidgeFit]:
    """Ridge regression of ``targets`` (N, K) on ``features`` (N, F), standardized, with an
    intercept; the penalty with the least leave-one-out error among ``ALPHAS`` (scikit-
    learn's ``RidgeCV``, whose efficient leave-one-out serves every penalty at once).

    Returns the weight (K, F) and bias (K,) of one linear layer on the raw features.
    """
    from sklearn.linear_model import RidgeCV
    from sklearn.preprocessing import StandardScaler

    f = features.detach().double().cpu().numpy()
    t = targets.detach().double().cpu().numpy()
    scaler = StandardScaler().fit(f)
    ridge = RidgeCV(alphas=ALPHAS).fit(scaler.transform(f), t)
    coef = torch.from_numpy(ridge.coef_).reshape(t.shape[1], -1) / torch.from_numpy(scaler.scale_)
    bias = torch.from_numpy(np.atleast_1d(ridge.intercept_)) - coef @ torch.from_numpy(scaler.mean_)
    return coef, bias, RidgeFit(float(ridge.alpha_), -float(ridge.best_score_))


def fit_output(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, task: str
) -> tuple[RidgeFit, torch.Tensor]:
    """Solve ``model``'s output layer by ridge regression on ``(x, y)``, in place; returns
    the fit and the model's outputs for ``x`` (from the features already computed)."""
    output: nn.Linear = model.layers[OUTPUT]
    targets = _targets(model, y, task, output.out_features)
    f = features(model, x)
    weight, bias, fit = solve_ridge(f, targets)
    with torch.no_grad():
        output.weight.copy_(weight.to(output.weight.dtype))
        output.bias.copy_(bias.to(output.bias.dtype))
        for module in _split(model)[1]:
            f = module(f)
    return fit, f
