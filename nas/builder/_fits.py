"""Will a model fit in memory? Sized on PyTorch's meta device, before anything is allocated.

A hand-written or hostile architecture (two 20,000-unit dense layers, a conv with 10^12
channels) would otherwise take the machine's memory, or crash with an allocator error,
before any check ran. ``memory_needed`` builds the model on the ``meta`` device (shapes,
no storage) and counts what training it would hold: weights, gradients and two optimizer
moments per parameter, plus a batch's activations for the forward and backward pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nas.base import ArchitectureError, available_memory

if TYPE_CHECKING:
    from nas.arch import Architecture
    from nas.builder._build import ModelReport

BYTES = 4  # float32
TRAINING_COPIES = 4  # weights, gradients, Adam's two moments
ACTIVATION_COPIES = 2  # forward outputs kept for the backward pass, and their gradients
MAX_PARAMS = 100_000_000  # default limit of nas.load on architectures read from files


@dataclass(frozen=True)
class MemoryEstimate:
    """What one model needs."""

    n_params: int
    activations: int  # elements per sample over every layer's output

    @classmethod
    def of(cls, report: ModelReport) -> MemoryEstimate:
        """The needs of a model built already (on the meta device, say)."""
        activations = sum(math.prod(layer.out_shape) for layer in report.layers)
        return cls(report.n_params, activations)

    def training_bytes(self, batch_size: int) -> int:
        return BYTES * (
            TRAINING_COPIES * self.n_params + ACTIVATION_COPIES * self.activations * batch_size
        )

    def inference_bytes(self) -> int:
        return BYTES * (self.n_params + self.activations)


def memory_needed(
    arch: Architecture,
    input_shape: tuple[int, ...],
    num_outputs: int,
    preprocessing: Mapping[str, Any] | None = None,
) -> MemoryEstimate:
    """Parameters and activations of ``arch`` for this input, without allocating them."""
    import torch

    from nas.builder._build import build_model

    with torch.device("meta"):
        model = build_model(arch, input_shape, num_outputs, preprocessing=preprocessing)
    return MemoryEstimate.of(model.report)


def check_fits(estimate: MemoryEstimate, needed: int, where: str, what: str) -> None:
    """Raise ``ArchitectureError`` if ``needed`` bytes exceed the memory left."""
    free = available_memory()
    if free is not None and needed > free:
        raise ArchitectureError(
            f"{where}: {what} needs about {_gb(needed)} ({estimate.n_params:,} parameters), "
            f"more than the {_gb(free)} of memory available"
        )


def _gb(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"
