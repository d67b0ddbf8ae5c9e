"""Residual block (He et al. 2016): basic (two k×k convs) or bottleneck (1×1, k×k, 1×1)."""

from __future__ import annotations

from dataclasses import dataclass

from nas.base import option
from nas.blocks._activations import list_activations
from nas.blocks._choices import NORMALIZATIONS
from nas.blocks._registry import CHANNELS, BuiltBlock, register_block

# odd, so the shortcut and the body keep equal sizes; up to 41 for the wide kernels that
# win on time series (ResNet for TSC: 8/5/3; InceptionTime: 40/20/10)
_ODD_KERNELS = tuple(range(1, 42, 2))
BOTTLENECK_REDUCTION = 4  # bottleneck width = channels // 4, as in ResNet-50


@dataclass(frozen=True)
class ResidualConfig:
    """Options of one residual block."""

    channels: int = option(32, "output channels", low=1)
    kernel: int = option(3, "kernel size of the k×k convs (odd)", choices=_ODD_KERNELS)
    stride: int = option(1, "stride of the first k×k conv and the shortcut", low=1)
    variant: str = option("basic", "basic or bottleneck body", choices=("basic", "bottleneck"))
    activation: str = option("relu", "nonlinearity", choices=list_activations)
    normalization: str = option("batch", "normalization after each conv", choices=NORMALIZATIONS)


def _label(c: ResidualConfig) -> str:
    kind = "res" if c.variant == "basic" else "resbn"
    return f"{kind}{c.channels}k{c.kernel}" + (f"s{c.stride}" if c.stride > 1 else "")


@register_block("residual", ResidualConfig, consumes=CHANNELS, label=_label)
def build_residual(config: ResidualConfig, shape: tuple[int, ...]) -> BuiltBlock:
    """Build a residual block for input ``(channels, *spatial)``."""
    from torch import nn

    from nas.blocks._activations import make_activation
    from nas.blocks._code import layer
    from nas.blocks._layers import Residual, channel_norm, conv, conv_out

    in_channels, spatial = shape[0], shape[1:]
    dims = len(spatial)
    use_bias = config.normalization == "none"
    stride = config.stride  # odd kernels with k//2 padding never collapse a dimension

    def unit(c_in: int, c_out: int, kernel: int, s: int, act: bool) -> list[nn.Module]:
        layers = [conv(dims, c_in, c_out, kernel, stride=s, padding=kernel // 2, bias=use_bias)]
        norm = channel_norm(config.normalization, c_out, dims)
        layers += [norm] if norm is not None else []
        layers += [make_activation(config.activation)] if act else []
        return layers

    k, c = config.kernel, config.channels
    if config.variant == "basic":
        body = unit(in_channels, c, k, stride, True) + unit(c, c, k, 1, False)
    else:
        mid = max(1, c // BOTTLENECK_REDUCTION)
        body = unit(in_channels, mid, 1, 1, True) + unit(mid, mid, k, stride, True)
        body += unit(mid, c, 1, 1, False)
    if in_channels == c and stride == 1:
        shortcut: nn.Module = layer(nn.Identity)
    else:
        shortcut = layer(nn.Sequential, *unit(in_channels, c, 1, stride, False))
    body_module = layer(nn.Sequential, *body)
    module = layer(Residual, body_module, shortcut, make_activation(config.activation))
    out_spatial = tuple(conv_out(s, k, stride, k // 2, 1) for s in spatial)
    return BuiltBlock(module, (c, *out_spatial), CHANNELS)
