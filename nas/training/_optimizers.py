"""The built-in optimizers of ``nas.config.OPTIMIZERS``; each factory takes the parameters
and the TrainConfig (torch is imported when one is built)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from nas.config import OPTIMIZERS, register_optimizer

if TYPE_CHECKING:
    import torch

    from nas.config import TrainConfig


def make_optimizer(
    params: Iterable[torch.nn.Parameter], config: TrainConfig
) -> torch.optim.Optimizer:
    """The optimizer ``config.optimizer`` over ``params``."""
    return OPTIMIZERS.get(config.optimizer)(params, config)


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
