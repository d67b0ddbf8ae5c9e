"""Activation functions by name (torch is imported only when one is built)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn

# name used in YAML -> torch.nn class name
_ACTIVATIONS: dict[str, str] = {
    "relu": "ReLU",
    "leaky_relu": "LeakyReLU",
    "elu": "ELU",
    "gelu": "GELU",
    "silu": "SiLU",
    "mish": "Mish",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
}


def list_activations() -> list[str]:
    """Names of the supported activations."""
    return list(_ACTIVATIONS)


def make_activation(name: str) -> nn.Module:
    """A fresh activation module for ``name``."""
    from torch import nn

    try:
        return getattr(nn, _ACTIVATIONS[name])()
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; available: {', '.join(_ACTIVATIONS)}"
        ) from None
