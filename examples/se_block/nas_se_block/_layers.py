"""The squeeze-and-excitation gate. It uses only ``torch`` and ``nn``: ``nas export`` copies
this class's source into the standalone model.py."""

from __future__ import annotations

import torch
from torch import nn


class SqueezeExcite(nn.Module):
    """Rescale each channel by a gate computed from the channel means (Hu et al. 2018)."""

    def __init__(self, channels: int, hidden: int, spatial_dims: int) -> None:
        super().__init__()
        self.dims = tuple(range(2, 2 + spatial_dims))
        self.squeeze = nn.Linear(channels, hidden)
        self.excite = nn.Linear(hidden, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.excite(torch.relu(self.squeeze(x.mean(dim=self.dims)))))
        return x * gate.reshape(*gate.shape, *([1] * len(self.dims)))
