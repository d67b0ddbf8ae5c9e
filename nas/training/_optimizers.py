"""The built-in optimizers of ``nas.config.OPTIMIZERS``: torch optimizers fed from the
TrainConfig (learning rate, weight decay, and momentum where the optimizer has one)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from nas.config import OPTIMIZERS, OptimizerFactory

if TYPE_CHECKING:
    import torch

    from nas.config import TrainConfig


def make_optimizer(
    params: Iterable[torch.nn.Parameter], config: TrainConfig
) -> torch.optim.Optimizer:
    """The optimizer ``config.optimizer`` over ``params``."""
    return OPTIMIZERS.get(config.optimizer)(params, config)


def torch_optimizer(class_name: str, *config_fields: str, **fixed: Any) -> OptimizerFactory:
    """A factory of ``torch.optim.<class_name>`` with the config's lr and weight decay, the
    named config fields (e.g. ``momentum``) and ``fixed`` keyword arguments."""

    def make(params: Iterable[torch.nn.Parameter], config: TrainConfig) -> torch.optim.Optimizer:
        import torch

        extra = {name: getattr(config, name) for name in config_fields}
        return getattr(torch.optim, class_name)(
            params, lr=config.lr, weight_decay=config.weight_decay, **extra, **fixed
        )

    return make


for _name, _factory in (
    ("sgd", torch_optimizer("SGD")),
    ("sgd_momentum", torch_optimizer("SGD", "momentum")),
    ("sgd_nesterov", torch_optimizer("SGD", "momentum", nesterov=True)),
    ("adam", torch_optimizer("Adam")),
    ("adamw", torch_optimizer("AdamW")),  # decoupled weight decay
    ("rmsprop", torch_optimizer("RMSprop", "momentum")),
    ("adagrad", torch_optimizer("Adagrad")),
):
    OPTIMIZERS.add(_name, _factory)
