"""Random-convolution features (MiniRocket, Dempster et al. 2021): a frozen 1-D extractor.

84 fixed kernels of length 9 (weights -1, with 2 at three of the nine positions) run at
dilations spread log-uniformly up to the series' length; each output is compared with
biases drawn from the quantiles of the convolution of training series, and the feature is
the proportion of positive values (PPV). Nothing is learned by gradient: the biases are
fitted from data once (``init_from_data``) and the features feed a linear output layer,
which ``nas.training`` then solves in closed form (ridge regression), as MiniRocket does.
On small time-series datasets this is the design to beat, so the derived space offers it
as one alternative to the trained conv stacks, and the search's validation decides.

For multivariate series each kernel reads a random subset of the channels (summed), as in
MiniRocket's multivariate variant. Half of the (kernel, dilation) pairs use padding, half
count only the positions computed without it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nas.base import ArchitectureError, option
from nas.blocks._registry import CHANNELS, VECTOR, BuiltBlock, register_block

KERNEL_LENGTH = 9
N_KERNELS = 84  # the 9-choose-3 placements of the three 2s


@dataclass(frozen=True)
class RocketConfig:
    """Options of the random-convolution feature block."""

    features: int = option(10_000, "number of features (rounded down to a multiple of 84)",
                           low=N_KERNELS, high=100_000)  # fmt: skip
    max_dilations: int = option(32, "most dilations per kernel", low=1, high=64)


def plan_dilations(length: int, features: int, max_dilations: int) -> tuple[list[int], list[int]]:
    """MiniRocket's dilations for series of ``length`` and biases per dilation: exponents
    spread evenly up to ``(length - 1) / 8``, each kernel's features shared among them."""
    per_kernel = max(1, features // N_KERNELS)
    n = min(per_kernel, max_dilations)
    top = math.log2(max(1.0, (length - 1) / (KERNEL_LENGTH - 1)))
    raw = [int(2 ** (top * i / (n - 1))) if n > 1 else 1 for i in range(n)]
    dilations = sorted(set(raw))
    counts = [raw.count(d) * (per_kernel // n) for d in dilations]
    counts[0] += per_kernel - sum(counts)  # MiniRocket gives the remainder to dilation 1
    return dilations, counts


def _label(c: RocketConfig) -> str:
    return f"rocket{c.features // N_KERNELS * N_KERNELS}"


@register_block("rocket", RocketConfig, consumes=CHANNELS, final=True, label=_label)
def build_rocket(config: RocketConfig, shape: tuple[int, ...]) -> BuiltBlock:
    """Build the extractor for 1-D input ``(channels, length)``; output ``(features,)``."""
    import torch

    from nas.blocks._code import layer
    from nas.blocks._random_conv import RandomConvFeatures

    if len(shape) != 2:
        raise ArchitectureError(
            f"rocket reads 1-D series (channels, length); got input shape {shape}"
        )
    channels, length = shape
    if length < KERNEL_LENGTH:
        raise ArchitectureError(f"rocket needs series of at least 9 steps; got {length}")
    dilations, counts = plan_dilations(length, config.features, config.max_dilations)
    module = layer(RandomConvFeatures, channels, dilations, counts)
    if channels > 1:  # each kernel reads a random subset of the channels
        # drawn on the CPU (the model may be built on the meta device, to size it)
        keep = torch.zeros(N_KERNELS, channels, 1, device="cpu")
        limit = math.log2(min(channels, KERNEL_LENGTH) + 1)
        for k in range(N_KERNELS):
            size = int(2 ** (torch.rand((), device="cpu").item() * limit))
            keep[k, torch.randperm(channels, device="cpu")[: max(1, min(channels, size))]] = 1.0
        with torch.no_grad():
            module.weight.mul_(keep.to(module.weight.device))
    n_features = N_KERNELS * sum(counts)
    notes = (f"rocket: {len(dilations)} dilations up to {dilations[-1]}, {n_features} features",)
    return BuiltBlock(module, (n_features,), VECTOR, notes)
