"""Activation functions by name (torch is imported only when one is built).

A plugin adds one with ``ACTIVATIONS.add("hardswish", torch_activation("Hardswish"))`` or any
zero-argument factory that builds its module through :func:`nas.blocks.layer`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nas.base import Registry
from nas.blocks._code import layer

if TYPE_CHECKING:
    from torch import nn

ActivationFactory = Callable[[], "nn.Module"]
ACTIVATIONS: Registry[ActivationFactory] = Registry("activation")
list_activations = ACTIVATIONS.names


def torch_activation(class_name: str, **kwargs: Any) -> ActivationFactory:
    """A factory of ``torch.nn.<class_name>(**kwargs)``."""

    def make() -> nn.Module:
        from torch import nn

        return layer(getattr(nn, class_name), **kwargs)

    return make


for _name, _class in (
    ("relu", "ReLU"),
    ("leaky_relu", "LeakyReLU"),
    ("elu", "ELU"),
    ("gelu", "GELU"),
    ("silu", "SiLU"),
    ("mish", "Mish"),
    ("tanh", "Tanh"),
    ("sigmoid", "Sigmoid"),
):
    ACTIVATIONS.add(_name, torch_activation(_class))


def make_activation(name: str) -> nn.Module:
    """A fresh activation module for ``name``."""
    return ACTIVATIONS.get(name)()
