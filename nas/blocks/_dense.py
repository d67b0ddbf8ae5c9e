"""Dense (fully connected) block: linear -> norm -> activation -> dropout."""

from __future__ import annotations

from dataclasses import dataclass

from nas.base import option
from nas.blocks._activations import list_activations
from nas.blocks._choices import NORMALIZATIONS
from nas.blocks._registry import VECTOR, BuiltBlock, register_block


@dataclass(frozen=True)
class DenseConfig:
    """Options of one dense block."""

    units: int = option(128, "output features", low=1)
    activation: str = option("relu", "nonlinearity", choices=list_activations)
    dropout: float = option(0.0, "dropout probability", low=0.0, high=0.95)
    normalization: str = option(
        "none", "normalization after the linear map", choices=NORMALIZATIONS
    )


def _label(c: DenseConfig) -> str:
    return f"dense{c.units}"


@register_block("dense", DenseConfig, consumes=VECTOR, label=_label)
def build_dense(config: DenseConfig, shape: tuple[int, ...]) -> BuiltBlock:
    """Build a dense block for input ``(features,)``."""
    from torch import nn

    from nas.blocks._activations import make_activation
    from nas.blocks._code import layer
    from nas.blocks._layers import vector_norm

    norm = vector_norm(config.normalization, config.units)
    layers: list[nn.Module] = [layer(nn.Linear, shape[0], config.units, bias=norm is None)]
    layers += [norm] if norm is not None else []
    layers.append(make_activation(config.activation))
    if config.dropout > 0:
        layers.append(layer(nn.Dropout, config.dropout))
    return BuiltBlock(layer(nn.Sequential, *layers), (config.units,), VECTOR)
