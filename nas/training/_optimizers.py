"""Optimizers by name. Each factory takes the parameters and the TrainConfig."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from nas.training._config import TrainConfig

OptimizerFactory = Callable[
    ["Iterable[torch.nn.Parameter]", "TrainConfig"], "torch.optim.Optimizer"
]
_OPTIMIZERS: dict[str, OptimizerFactory] = {}


def register_optimizer(name: str) -> Callable[[OptimizerFactory], OptimizerFactory]:
    """Register an optimizer factory under ``name``."""

    def decorator(factory: OptimizerFactory) -> OptimizerFactory:
        _OPTIMIZERS[name] = factory
        return factory

    return decorator


def list_optimizers() -> list[str]:
    """Names of the registered optimizers."""
    return list(_OPTIMIZERS)


def make_optimizer(
    params: Iterable[torch.nn.Parameter], config: TrainConfig
) -> torch.optim.Optimizer:
    """The optimizer ``config.optimizer`` over ``params``."""
    try:
        factory = _OPTIMIZERS[config.optimizer]
    except KeyError:
        raise ValueError(
            f"unknown optimizer {config.optimizer!r}; available: {', '.join(_OPTIMIZERS)}"
        ) from None
    return factory(params, config)


@register_optimizer("sgd")
def _sgd(params, c):  # type: ignore[no-untyped-def]
    import torch

    return torch.optim.SGD(params, lr=c.lr, weight_decay=c.weight_decay)


@register_optimizer("sgd_momentum")
def _sgd_momentum(params, c):  # type: ignore[no-untyped-def]
    import torch

    return torch.optim.SGD(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)


@register_optimizer("sgd_nesterov")
def _sgd_nesterov(params, c):  # type: ignore[no-untyped-def]
    import torch

    return torch.optim.SGD(
        params, lr=c.lr, momentum=c.momentum, nesterov=True, weight_decay=c.weight_decay
    )


@register_optimizer("adam")
def _adam(params, c):  # type: ignore[no-untyped-def]
    import torch

    return torch.optim.Adam(params, lr=c.lr, weight_decay=c.weight_decay)


@register_optimizer("adamw")
def _adamw(params, c):  # type: ignore[no-untyped-def]
    import torch

    return torch.optim.AdamW(params, lr=c.lr, weight_decay=c.weight_decay)


@register_optimizer("rmsprop")
def _rmsprop(params, c):  # type: ignore[no-untyped-def]
    import torch

    return torch.optim.RMSprop(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)


@register_optimizer("adagrad")
def _adagrad(params, c):  # type: ignore[no-untyped-def]
    import torch

    return torch.optim.Adagrad(params, lr=c.lr, weight_decay=c.weight_decay)
