"""The layer behind the ``rocket`` block: MiniRocket's transform as a torch module.

Its source is copied into a bundle's standalone ``model.py``, so it uses ``torch`` and
``nn`` only. See ``nas.blocks._rocket`` for the design.
"""

from __future__ import annotations

import torch
from torch import nn


class RandomConvFeatures(nn.Module):
    """MiniRocket's transform: ``(batch, channels, length)`` -> ``(batch, features)``.

    The kernels, channel subsets and biases are buffers (saved with the weights); the
    biases are zero until :meth:`init_from_data` fits them to training series.
    """

    chunk_activations = 2**24  # conv outputs computed at once (memory stays ~100 MB)

    def __init__(self, channels: int, dilations: list[int], biases: list[int]) -> None:
        super().__init__()
        self.dilations = list(dilations)
        self.counts = list(biases)
        placements = [
            (a, b, c)
            for a in range(9)
            for b in range(a + 1, 9)
            for c in range(b + 1, 9)
        ]  # fmt: skip
        kernels = -torch.ones(len(placements), 9)
        for row, where in enumerate(placements):
            kernels[row, list(where)] = 2.0
        self.register_buffer("weight", kernels[:, None, :].repeat(1, channels, 1))
        for j, count in enumerate(self.counts):
            self.register_buffer(f"bias{j}", torch.zeros(len(placements), count))

    def _outputs(self, x: torch.Tensor, j: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Convolution outputs at dilation ``j``: padded (even pairs) and unpadded (odd)."""
        d = self.dilations[j]
        out = torch.nn.functional.conv1d(x, self.weight, padding=4 * d, dilation=d)
        length = x.shape[-1]
        unpadded = out[..., 4 * d : length - 4 * d] if length > 8 * d else out
        return out, unpadded

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.onnx.is_in_onnx_export():  # traced once, for any batch size
            return self._features(x)
        chunk = max(1, self.chunk_activations // (self.weight.shape[0] * x.shape[-1]))
        return torch.cat([self._features(part) for part in x.split(chunk)])

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        features = []
        for j in range(len(self.dilations)):
            padded, unpadded = self._outputs(x, j)
            bias = getattr(self, f"bias{j}")
            first = j % 2  # pairs (kernel k, dilation j) with k + j even use padding
            parts = []
            for start, out in ((first, padded), (1 - first, unpadded)):
                b = bias[start::2]
                ppv = (out[:, start::2, None, :] > b[None, :, :, None]).float().mean(-1)
                parts.append(ppv)
            # interleave back into kernel order: (batch, kernels, biases)
            both = torch.empty(
                x.shape[0], bias.shape[0], bias.shape[1], dtype=parts[0].dtype, device=x.device
            )
            both[:, first::2] = parts[0]
            both[:, 1 - first :: 2] = parts[1]
            features.append(both.flatten(1))
        return torch.cat(features, 1)

    @torch.no_grad()
    def init_from_data(self, x: torch.Tensor) -> None:
        """Fit the biases: for each (kernel, dilation), quantiles of the convolution of one
        training series drawn at random (torch's global generator: seeded per trial),
        interpolated between its sorted outputs."""
        total = sum(self.counts) * self.weight.shape[0]
        index = torch.arange(1, total + 1, dtype=torch.float64)
        quantiles = torch.remainder(index * ((5**0.5 + 1) / 2), 1.0).to(torch.float32)
        offset = 0
        kernels = self.weight.shape[0]
        for j, count in enumerate(self.counts):
            rows = torch.randint(len(x), (kernels,))
            d = self.dilations[j]
            # each kernel convolved with its own series only: one grouped convolution
            own = torch.nn.functional.conv1d(
                x[rows].reshape(1, -1, x.shape[-1]),
                self.weight,
                padding=4 * d,
                dilation=d,
                groups=kernels,
            )[0]  # (kernels, length)
            q = quantiles[offset : offset + kernels * count].view(kernels, count).to(x.device)
            # linear interpolation between order statistics, as MiniRocket's np.quantile:
            # a bias is then rarely an output itself, and an output exactly at a bias
            # would flip with the last bit of another runtime's convolution (ONNX parity)
            sorted_rows = own.sort(dim=1).values
            position = q * (own.shape[1] - 1)
            below = position.floor().long()
            above = position.ceil().long()
            low, high = sorted_rows.gather(1, below), sorted_rows.gather(1, above)
            bias = low + (position - below.to(position.dtype)) * (high - low)
            getattr(self, f"bias{j}").copy_(bias)
            offset += kernels * count
