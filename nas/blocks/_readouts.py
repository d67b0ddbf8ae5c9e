"""Readouts: how a feature map or sequence becomes a vector before dense blocks.

``flatten`` keeps everything, ``global_avg``/``global_max`` pool over positions (or time),
``last`` keeps the last time step (for 2-D maps, rows are time steps: the last row).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nas.base import Registry
from nas.blocks._code import layer
from nas.blocks._registry import CHANNELS, Layout

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True)
class Readout:
    """A registered readout: output size and module for a given input layout and shape."""

    name: str
    out_features: Callable[[Layout, tuple[int, ...]], int]
    module: Callable[[Layout, tuple[int, ...]], nn.Module]


def _flatten_size(layout: Layout, shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def _pooled_size(layout: Layout, shape: tuple[int, ...]) -> int:
    return shape[0] if layout == CHANNELS else shape[-1]


def _last_size(layout: Layout, shape: tuple[int, ...]) -> int:
    if layout == CHANNELS:  # (C, L) -> C ; (C, H, W) -> C * W
        return math.prod(shape) // shape[1]
    return shape[-1]


def _flatten_module(layout: Layout, shape: tuple[int, ...]) -> nn.Module:
    from torch import nn

    return layer(nn.Flatten)


def _pool_module(reduce: str) -> Callable[[Layout, tuple[int, ...]], nn.Module]:
    def make(layout: Layout, shape: tuple[int, ...]) -> nn.Module:
        from nas.blocks._layers import Reduce

        # channels layout pools every spatial dim; sequence layout pools time (dim 1)
        dims = tuple(range(2, len(shape) + 1)) if layout == CHANNELS else (1,)
        return layer(Reduce, reduce, dims)

    return make


def _last_module(layout: Layout, shape: tuple[int, ...]) -> nn.Module:
    from torch import nn

    from nas.blocks._layers import SelectLast

    # channels (B, C, L) or (B, C, H, W): time is dim 2; sequence (B, T, F): time is dim 1
    return layer(
        nn.Sequential, layer(SelectLast, 2 if layout == CHANNELS else 1), layer(nn.Flatten)
    )


READOUTS: Registry[Readout] = Registry("readout")
for _readout in (
    Readout("flatten", _flatten_size, _flatten_module),
    Readout("global_avg", _pooled_size, _pool_module("mean")),
    Readout("global_max", _pooled_size, _pool_module("amax")),
    Readout("last", _last_size, _last_module),
):
    READOUTS.add(_readout.name, _readout)
list_readouts = READOUTS.names
get_readout = READOUTS.get
