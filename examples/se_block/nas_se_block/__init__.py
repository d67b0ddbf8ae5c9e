"""An example nas plugin: a squeeze-and-excitation convolution block (Hu et al. 2018).

Importing this module registers the block family ``se_conv``; it imports no torch (the
layer class loads when a block is built), so listing it or validating a space stays fast.
A recipe names it with ``plugins: [nas_se_block]``; installed with ``pip install
examples/se_block`` it arrives through the ``nas.plugins`` entry point instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from nas.base import option
from nas.blocks import CHANNELS, NORMALIZATIONS, BuiltBlock, list_activations, register_block


@dataclass(frozen=True)
class SEConvConfig:
    """Options of one squeeze-and-excitation conv block."""

    channels: int = option(16, "output channels", low=1)
    kernel: int = option(3, "kernel size (odd keeps the length)", low=1)
    reduction: int = option(
        4, "squeeze ratio: the gate's hidden width is channels // reduction", low=1
    )
    activation: str = option("relu", "nonlinearity after the conv", choices=list_activations)
    normalization: str = option("batch", "normalization after the conv", choices=NORMALIZATIONS)


def _label(c: SEConvConfig) -> str:
    return f"se{c.channels}k{c.kernel}r{c.reduction}"


@register_block("se_conv", SEConvConfig, consumes=CHANNELS, label=_label)
def build_se_conv(config: SEConvConfig, shape: tuple[int, ...]) -> BuiltBlock:
    """conv -> norm -> activation -> channel gate, for input ``(channels, *spatial)``."""
    from torch import nn

    from nas.blocks import channel_norm, conv, layer, make_activation
    from nas_se_block._layers import SqueezeExcite

    in_channels, spatial = shape[0], shape[1:]
    dims = len(spatial)
    padding = config.kernel // 2
    norm = channel_norm(config.normalization, config.channels, dims)
    parts = [
        conv(dims, in_channels, config.channels, config.kernel, padding=padding, bias=norm is None)
    ]
    parts += [norm] if norm is not None else []
    parts.append(make_activation(config.activation))
    hidden = max(1, config.channels // config.reduction)
    parts.append(layer(SqueezeExcite, config.channels, hidden, dims))
    out_spatial = tuple(s + 2 * padding - config.kernel + 1 for s in spatial)
    return BuiltBlock(layer(nn.Sequential, *parts), (config.channels, *out_spatial), CHANNELS)
