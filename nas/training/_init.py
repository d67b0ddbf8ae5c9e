"""Weight initialisation schemes by name, applied to conv, linear and recurrent weights."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from torch import nn

InitFn = Callable[["torch.Tensor"], None]


def _kaiming(w: torch.Tensor) -> None:
    from torch import nn

    nn.init.kaiming_normal_(w, nonlinearity="relu")


def _xavier(w: torch.Tensor) -> None:
    from torch import nn

    nn.init.xavier_uniform_(w)


def _orthogonal(w: torch.Tensor) -> None:
    from torch import nn

    nn.init.orthogonal_(w)


# name -> function applied to every weight matrix/kernel; None keeps PyTorch's defaults
_INITS: dict[str, InitFn | None] = {
    "default": None,
    "kaiming": _kaiming,
    "xavier": _xavier,
    "orthogonal": _orthogonal,
}


def list_inits() -> list[str]:
    """Names of the initialisation schemes."""
    return list(_INITS)


def apply_init(model: nn.Module, name: str) -> None:
    """Re-initialise conv/linear/recurrent weights of ``model`` in place (biases to zero).

    Normalization layers keep their identity initialisation.
    """
    from torch import nn

    if name not in _INITS:
        raise ValueError(f"unknown init {name!r}; available: {', '.join(_INITS)}")
    init = _INITS[name]
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
