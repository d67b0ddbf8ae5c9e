"""Convolution block: conv -> norm -> activation -> pooling -> dropout, 1-D or 2-D.

The dimensionality follows the incoming tensor, so the same config is a ``Conv1d`` on
signals and a ``Conv2d`` on images.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from nas.base import ArchitectureError, option
from nas.blocks._activations import list_activations
from nas.blocks._choices import NORMALIZATIONS, POOLINGS
from nas.blocks._registry import CHANNELS, BuiltBlock, register_block


@dataclass(frozen=True)
class ConvConfig:
    """Options of one convolution block."""

    channels: int = option(32, "output channels", low=1)
    kernel: int = option(3, "kernel size (square for 2-D)", low=1)
    stride: int = option(1, "stride", low=1)
    dilation: int = option(1, "dilation", low=1)
    padding: int | None = option(
        None, "zero padding; null keeps the length at stride 1", kind=int, low=0, nullable=True
    )
    activation: str = option("relu", "nonlinearity after the conv", choices=list_activations)
    normalization: str = option("none", "normalization after the conv", choices=NORMALIZATIONS)
    pooling: str = option("none", "2x pooling after the activation", choices=POOLINGS)
    dropout: float = option(0.0, "dropout probability", low=0.0, high=0.95)


def _label(c: ConvConfig) -> str:
    text = f"conv{c.channels}k{c.kernel}"
    text += f"s{c.stride}" if c.stride > 1 else ""
    text += f"d{c.dilation}" if c.dilation > 1 else ""
    text += f"+{c.pooling}pool" if c.pooling != "none" else ""
    return text


def _fit(config: ConvConfig, spatial: tuple[int, ...]) -> tuple[ConvConfig, list[str]]:
    """Adjust stride, then padding, so no spatial dimension collapses below 1."""
    from nas.blocks._layers import conv_out, same_padding

    def out(c: ConvConfig) -> tuple[int, ...]:
        pad = same_padding(c.kernel, c.dilation) if c.padding is None else c.padding
        return tuple(conv_out(s, c.kernel, c.stride, pad, c.dilation) for s in spatial)

    notes: list[str] = []
    if min(out(config)) < 1 and config.stride > 1:
        config = replace(config, stride=1)
        notes.append(f"stride skipped: input {spatial} would collapse")
    if min(out(config)) < 1 and config.padding is not None:
        config = replace(config, padding=None)
        notes.append(f"padding widened: kernel {config.kernel} larger than input {spatial}")
    if min(out(config)) < 1:
        raise ArchitectureError(
            f"conv kernel {config.kernel} (dilation {config.dilation}) does not fit input {spatial}"
        )
    return config, notes


@register_block("conv", ConvConfig, consumes=CHANNELS, label=_label)
def build_conv(config: ConvConfig, shape: tuple[int, ...]) -> BuiltBlock:
    """Build a conv block for input ``(channels, *spatial)``."""
    from torch import nn

    from nas.blocks._activations import make_activation
    from nas.blocks._code import layer
    from nas.blocks._layers import POOL_SIZE, channel_norm, conv, conv_out, pool, same_padding

    in_channels, spatial = shape[0], shape[1:]
    dims = len(spatial)
    config, notes = _fit(config, spatial)
    padding = (
        same_padding(config.kernel, config.dilation) if config.padding is None else config.padding
    )
    norm = channel_norm(config.normalization, config.channels, dims)
    layers: list[nn.Module] = [
        conv(
            dims,
            in_channels,
            config.channels,
            config.kernel,
            stride=config.stride,
            padding=padding,
            dilation=config.dilation,
            bias=norm is None,
        )
    ]
    if norm is not None:
        layers.append(norm)
    layers.append(make_activation(config.activation))
    spatial = tuple(
        conv_out(s, config.kernel, config.stride, padding, config.dilation) for s in spatial
    )
    if config.pooling != "none":
        if min(spatial) >= POOL_SIZE:
            layers.append(pool(config.pooling, dims))
            spatial = tuple(s // POOL_SIZE for s in spatial)
        else:
            notes.append(f"{config.pooling} pooling skipped: input {spatial} would collapse")
    if config.dropout > 0:
        layers.append(layer(nn.Dropout, config.dropout))
    module = layer(nn.Sequential, *layers)
    return BuiltBlock(module, (config.channels, *spatial), CHANNELS, tuple(notes))
