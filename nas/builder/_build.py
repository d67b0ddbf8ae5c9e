"""Architecture -> ``nn.Module``, with shape inference across layouts.

Blocks consume one of three layouts (channels-first maps, sequences, vectors). The builder
walks the blocks, inserts layout adapters where consecutive blocks disagree (a 2-D map
read by a recurrent block uses rows as time steps), applies the readout before the first
vector block, and ends with a linear layer to ``num_outputs``::

    model = build_model(arch, input_shape=(1, 40), num_outputs=10)
    print(model.report.n_params, model.report.flops, model.report.notes)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from nas.arch import Architecture
from nas.base import ArchitectureError
from nas.blocks import (
    CHANNELS,
    SEQUENCE,
    VECTOR,
    ChannelsToSequence,
    Layout,
    SequenceToChannels,
    get_block,
    get_readout,
    layer,
)
from nas.builder._init import apply_init


@dataclass(frozen=True)
class LayerInfo:
    """One row of a model's layer table."""

    name: str  # e.g. "feature.0.conv", "readout.flatten", "output"
    out_shape: tuple[int, ...]  # without the batch dimension
    params: int
    flops: int | None = None  # forward FLOPs for one sample, filled by count_flops


@dataclass(frozen=True)
class ModelReport:
    """What the builder made: layers, sizes, cost, and the decisions it took."""

    input_shape: tuple[int, ...]
    num_outputs: int
    layers: tuple[LayerInfo, ...]
    notes: tuple[str, ...]  # e.g. "feature.2.conv: max pooling skipped: ..."
    n_params: int
    flops: int  # forward FLOPs for one sample (torch.utils.flop_counter)


class NASNet(nn.Module):
    """A built architecture: named layers applied in order. ``report`` describes it."""

    report: ModelReport

    def __init__(self, layers: dict[str, nn.Module]) -> None:
        super().__init__()
        self.layers = nn.ModuleDict(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for module in self.layers.values():
            x = module(x)
        return x


def _adapter(
    src: Layout, dst: Layout, shape: tuple[int, ...], where: str
) -> tuple[nn.Module, tuple[int, ...]]:
    if src == CHANNELS and dst == SEQUENCE:
        # (C, L) -> (L, C); (C, H, W) -> (H, C * W)
        return layer(ChannelsToSequence), (
            (shape[1], shape[0]) if len(shape) == 2 else (shape[1], shape[0] * shape[2])
        )
    if src == SEQUENCE and dst == CHANNELS:
        return layer(SequenceToChannels), (shape[1], shape[0])
    raise ArchitectureError(f"{where}: a {dst} block cannot follow a {src} block")


def build_model(arch: Architecture, input_shape: tuple[int, ...], num_outputs: int) -> NASNet:
    """Build ``arch`` for inputs of shape ``input_shape`` (channels first, no batch).

    Args:
        arch: the architecture; its ``train.init`` sets the weight initialisation.
        input_shape: ``(C, L)`` for 1-D signals or ``(C, H, W)`` for 2-D images.
        num_outputs: classes (logits) or regression targets.

    Raises:
        ArchitectureError: the architecture cannot be built for this input.
    """
    if len(input_shape) not in (2, 3) or min(input_shape) < 1:
        raise ArchitectureError(
            f"input_shape {tuple(input_shape)}: expected (C, L) or (C, H, W) with positive sizes"
        )
    shape, layout = tuple(int(s) for s in input_shape), CHANNELS
    layers: dict[str, nn.Module] = {}
    infos: list[LayerInfo] = []
    notes: list[str] = []

    def add(name: str, module: nn.Module, out_shape: tuple[int, ...]) -> None:
        layers[name.replace(".", "_")] = module
        infos.append(LayerInfo(name, out_shape, sum(p.numel() for p in module.parameters())))

    def readout() -> None:
        nonlocal shape, layout
        r = get_readout(arch.readout)
        out = (r.out_features(layout, shape),)
        add(f"readout.{arch.readout}", r.module(layout, shape), out)
        shape, layout = out, VECTOR

    for name, block in arch.blocks():
        family = get_block(block.type)
        if family.consumes == VECTOR and layout != VECTOR:
            readout()
        elif family.consumes != layout:
            adapter, shape = _adapter(layout, family.consumes, shape, name)
            add(f"{name}.to_{family.consumes}", adapter, shape)
            layout = family.consumes
        try:
            built = family.build(block.config, shape)
        except ArchitectureError as exc:
            raise ArchitectureError(f"{name}: {exc}") from None
        add(name, built.module, built.out_shape)
        notes += [f"{name}: {note}" for note in built.notes]
        shape, layout = built.out_shape, built.layout
    if layout != VECTOR:
        readout()
    add("output", layer(nn.Linear, shape[0], num_outputs), (num_outputs,))

    model = NASNet(layers)
    apply_init(model, arch.train.init)
    from nas.builder._profile import count_flops

    flops, per_layer = count_flops(model, tuple(input_shape))
    infos = [
        LayerInfo(i.name, i.out_shape, i.params, per_layer.get(key, 0))
        for i, key in zip(infos, layers, strict=True)
    ]
    model.report = ModelReport(
        input_shape=tuple(input_shape),
        num_outputs=num_outputs,
        layers=tuple(infos),
        notes=tuple(notes),
        n_params=sum(p.numel() for p in model.parameters()),
        flops=flops,
    )
    return model
