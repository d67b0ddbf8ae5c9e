"""Shared torch building pieces for block families: norms, pooling, conv arithmetic, and
the small layer classes the builder uses.

Every module here is constructed through :func:`nas.blocks.layer`, so export can write it
as code; the layer classes use only ``torch`` and ``nn``, since their source is copied into
the standalone ``model.py``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from nas.blocks._code import layer

POOL_SIZE = 2  # pooling window and stride: halves each spatial dimension


def conv(spatial_dims: int, *args: Any, **kwargs: Any) -> nn.Module:
    """``nn.Conv1d`` or ``nn.Conv2d`` (by the number of spatial dimensions) of these args."""
    return layer({1: nn.Conv1d, 2: nn.Conv2d}[spatial_dims], *args, **kwargs)


def channel_norm(kind: str, channels: int, spatial_dims: int) -> nn.Module | None:
    """Normalization over (batch, channels, *spatial) tensors, or None for 'none'.

    'layer' normalises each sample over channels and positions (GroupNorm with one group),
    the conv analogue of LayerNorm.
    """
    if kind == "batch":
        return layer({1: nn.BatchNorm1d, 2: nn.BatchNorm2d}[spatial_dims], channels)
    if kind == "layer":
        return layer(nn.GroupNorm, 1, channels)
    return None


def vector_norm(kind: str, features: int) -> nn.Module | None:
    """Normalization over (batch, features) tensors, or None for 'none'."""
    if kind == "batch":
        return layer(nn.BatchNorm1d, features)
    if kind == "layer":
        return layer(nn.LayerNorm, features)
    return None


def pool(kind: str, spatial_dims: int) -> nn.Module:
    """A max or average pooling layer of window and stride ``POOL_SIZE``."""
    table = {
        ("max", 1): nn.MaxPool1d,
        ("max", 2): nn.MaxPool2d,
        ("avg", 1): nn.AvgPool1d,
        ("avg", 2): nn.AvgPool2d,
    }
    return layer(table[(kind, spatial_dims)], POOL_SIZE)


def conv_out(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Output length of a convolution along one dimension (PyTorch's formula)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def same_padding(kernel: int, dilation: int) -> int:
    """Padding that keeps the length at stride 1 for odd kernels."""
    return dilation * (kernel - 1) // 2


class Residual(nn.Module):
    """``act(body(x) + shortcut(x))``: the residual wrapper of ResNet blocks."""

    def __init__(self, body: nn.Module, shortcut: nn.Module, activation: nn.Module) -> None:
        super().__init__()
        self.body = body
        self.shortcut = shortcut
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(self.body(x) + self.shortcut(x))


class RecurrentOutputs(nn.Module):
    """Runs an ``nn.RNN``/``LSTM``/``GRU`` and keeps the per-step outputs only."""

    def __init__(self, rnn: nn.RNNBase) -> None:
        super().__init__()
        self.rnn = rnn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs, _ = self.rnn(x)
        return outputs


class Reduce(nn.Module):
    """Global pooling: ``x.<reduce>(dims)`` with reduce 'mean' or 'amax'."""

    def __init__(self, reduce: str, dims: tuple[int, ...]) -> None:
        super().__init__()
        self.reduce = reduce
        self.dims = dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.reduce == "amax":
            return x.amax(dim=self.dims)
        return x.mean(dim=self.dims)


class SelectLast(nn.Module):
    """Keep the last index along ``dim`` (the last time step)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.select(self.dim, -1)


class Affine(nn.Module):
    """``x * scale + shift`` with fixed statistics (buffers, saved with the weights): the
    standardization of raw inputs, and the mapping of standardized outputs back to the
    targets' units. ``shape`` broadcasts them over one sample, e.g. ``(C, 1)`` per channel.
    """

    def __init__(self, scale: list[float], shift: list[float], shape: list[int]) -> None:
        super().__init__()
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float32).reshape(shape))
        self.register_buffer("shift", torch.tensor(shift, dtype=torch.float32).reshape(shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.shift


class ChannelsToSequence(nn.Module):
    """(B, C, L) -> (B, L, C); (B, C, H, W) -> (B, H, C*W): rows become time steps."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 3:
            return x.transpose(1, 2)
        b, c, h, w = x.shape
        return x.permute(0, 2, 1, 3).reshape(b, h, c * w)


class SequenceToChannels(nn.Module):
    """(B, T, F) -> (B, F, T): a sequence read as a 1-D signal of F channels."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.transpose(1, 2)


class Inception(nn.Module):
    """InceptionTime's module: parallel convs of several widths over a bottleneck, plus a
    max-pool branch, concatenated, normalized, optionally added to a shortcut."""

    def __init__(
        self,
        bottleneck: nn.Module,
        branches: nn.ModuleList,
        pool_branch: nn.Module,
        norm: nn.Module,
        activation: nn.Module,
        shortcut: nn.Module | None,
    ) -> None:
        super().__init__()
        self.bottleneck = bottleneck
        self.branches = branches
        self.pool_branch = pool_branch
        self.norm = norm
        self.activation = activation
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.bottleneck(x)
        out = torch.cat([branch(z) for branch in self.branches] + [self.pool_branch(x)], dim=1)
        out = self.norm(out)
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return self.activation(out)
