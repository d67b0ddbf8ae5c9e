"""Inception block (InceptionTime, Ismail Fawaz et al. 2020): multi-scale convolution.

A 1×1 bottleneck, then parallel convs with kernels ``k``, ``k/2`` and ``k/4`` (made odd,
so every branch keeps the length), plus a max-pool branch; the four are concatenated
(``4 × filters`` channels), batch-normalized and activated, with an optional residual
shortcut. Kernels of 39/19/9 see a wide window at several scales at once, which is what
wins on many time-series classification problems.
"""

from __future__ import annotations

from dataclasses import dataclass

from nas.base import option
from nas.blocks._activations import list_activations
from nas.blocks._registry import CHANNELS, BuiltBlock, register_block

BRANCH_DIVISORS = (1, 2, 4)  # kernel of each conv branch: k, k/2, k/4
POOL_KERNEL = 3  # the max-pool branch's window (stride 1)


@dataclass(frozen=True)
class InceptionConfig:
    """Options of one inception block."""

    filters: int = option(32, "channels of each of the 4 branches (output: 4 × filters)", low=1)
    kernel: int = option(39, "largest branch kernel (the others: /2 and /4, made odd)", low=1)
    bottleneck: int = option(32, "channels of the 1×1 bottleneck (0: none)", low=0)
    residual: bool = option(True, "add a 1×1-conv shortcut from the block's input")
    activation: str = option("relu", "nonlinearity", choices=list_activations)


def branch_kernels(kernel: int) -> tuple[int, ...]:
    """Odd kernels ``k, k/2, k/4`` (at least 1), largest first."""
    return tuple(max(1, kernel // d) | 1 for d in BRANCH_DIVISORS)


def _label(c: InceptionConfig) -> str:
    return f"incep{4 * c.filters}k{c.kernel}" + ("r" if c.residual else "")


@register_block("inception", InceptionConfig, consumes=CHANNELS, label=_label)
def build_inception(config: InceptionConfig, shape: tuple[int, ...]) -> BuiltBlock:
    """Build an inception block for input ``(channels, *spatial)``; sizes are kept."""
    from torch import nn

    from nas.blocks._activations import make_activation
    from nas.blocks._code import layer
    from nas.blocks._layers import Inception, channel_norm, conv

    in_channels, spatial = shape[0], shape[1:]
    dims = len(spatial)
    out_channels = 4 * config.filters
    use_bottleneck = config.bottleneck > 0 and in_channels > 1
    mid = config.bottleneck if use_bottleneck else in_channels
    bottleneck = (
        conv(dims, in_channels, mid, 1, bias=False) if use_bottleneck else layer(nn.Identity)
    )
    notes = []
    kernels = branch_kernels(config.kernel)
    if kernels[0] != config.kernel:
        notes.append(f"inception kernels {'/'.join(map(str, kernels))} (odd, to keep the size)")
    branches = layer(
        nn.ModuleList,
        [conv(dims, mid, config.filters, k, padding=k // 2, bias=False) for k in kernels],
    )
    max_pool = {1: nn.MaxPool1d, 2: nn.MaxPool2d}[dims]
    pool_branch = layer(
        nn.Sequential,
        layer(max_pool, POOL_KERNEL, stride=1, padding=POOL_KERNEL // 2),
        conv(dims, in_channels, config.filters, 1, bias=False),
    )
    norm = channel_norm("batch", out_channels, dims)
    shortcut = None
    if config.residual:
        shortcut = layer(
            nn.Sequential,
            conv(dims, in_channels, out_channels, 1, bias=False),
            channel_norm("batch", out_channels, dims),
        )
    module = layer(
        Inception, bottleneck, branches, pool_branch, norm, make_activation(config.activation),
        shortcut,
    )  # fmt: skip
    return BuiltBlock(module, (out_channels, *spatial), CHANNELS, tuple(notes))
