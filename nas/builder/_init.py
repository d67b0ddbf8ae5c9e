"""The built-in weight initialisations of ``nas.config.INITS``, applied by the builder to
conv, linear and recurrent weights (torch is imported when one is applied)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nas.config import INITS

if TYPE_CHECKING:
    import torch
    from torch import nn


def _kaiming(w: torch.Tensor) -> None:
    from torch import nn

    nn.init.kaiming_normal_(w, nonlinearity="relu")


def _xavier(w: torch.Tensor) -> None:
    from torch import nn

    nn.init.xavier_uniform_(w)


def _orthogonal(w: torch.Tensor) -> None:
    from torch import nn

    nn.init.orthogonal_(w)


INITS.add("default", None)  # PyTorch's own initialisation
INITS.add("kaiming", _kaiming)
INITS.add("xavier", _xavier)
INITS.add("orthogonal", _orthogonal)


def apply_init(model: nn.Module, name: str) -> None:
    """Re-initialise conv/linear/recurrent weights of ``model`` in place (biases to zero).

    Normalization layers keep their identity initialisation.
    """
    from torch import nn

    init = INITS.get(name)
    if init is None:
        return
    for module in model.modules():
        if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            init(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.RNNBase):
            for pname, param in module.named_parameters():
                if pname.startswith("weight"):
                    init(param)
                else:
                    nn.init.zeros_(param)
