"""Architecture -> ``nn.Module``, with shape inference across layouts.

Blocks consume one of three layouts (channels-first maps, sequences, vectors). The builder
walks the blocks, inserts layout adapters where consecutive blocks disagree (a 2-D map
read by a recurrent block uses rows as time steps), applies the readout before the first
vector block, and ends with a linear layer to ``num_outputs``::

    model = build_model(arch, input_shape=(1, 40), num_outputs=10)
    print(model.report.n_params, model.report.flops, model.report.notes)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import nn

from nas.arch import Architecture
from nas.base import ArchitectureError
from nas.blocks import (
    CHANNELS,
    SEQUENCE,
    VECTOR,
    Affine,
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

    def target_scale(self) -> torch.Tensor | None:
        """The std of each regression target (None: outputs are not rescaled): a loss
        divided by it is the loss of standardized targets."""
        if "output_scale" not in self.layers:
            return None
        return self.layers["output_scale"].scale  # type: ignore[return-value]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for module in self.layers.values():
            x = module(x)
        return x


def input_scale(record: Mapping[str, Any], input_shape: tuple[int, ...]) -> nn.Module:
    """The ``Affine`` layer ``(x - mean) / std`` of a standardization record."""
    from nas.data import input_scale_shape

    std = [float(v) for v in record["std"]]
    shift = [-float(m) / s for m, s in zip(record["mean"], std, strict=True)]
    shape = input_scale_shape(dict(record), input_shape)
    return layer(Affine, [1.0 / s for s in std], shift, shape)


def with_raw_inputs(model: NASNet, preprocessing: Mapping[str, Any]) -> NASNet:
    """``model`` preceded by its data's input standardization (the same weights), so that
    it takes raw inputs; ``model`` itself when the data was not standardized."""
    record = preprocessing.get("standardize")
    if not record or "input_scale" in model.layers:
        return model
    first = input_scale(record, model.report.input_shape)
    wrapped = NASNet({"input_scale": first, **dict(model.layers.items())})
    info = LayerInfo("input_scale", model.report.input_shape, 0)
    wrapped.report = replace(model.report, layers=(info, *model.report.layers))
    return wrapped


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


def build_model(
    arch: Architecture,
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    preprocessing: Mapping[str, Any] | None = None,
    raw_inputs: bool = False,
    profile: bool = True,
) -> NASNet:
    """Build ``arch`` for inputs of shape ``input_shape`` (channels first, no batch).

    Args:
        arch: the architecture; its ``train.init`` sets the weight initialisation.
        input_shape: ``(C, L)`` for 1-D signals or ``(C, H, W)`` for 2-D images.
        num_outputs: classes (logits) or regression targets.
        preprocessing: the dataset's record. Regression ``target`` statistics end the model
            with an ``output_scale`` layer: the network predicts standardized targets and
            the model returns them in the targets' units.
        raw_inputs: start with an ``input_scale`` layer applying the record's input
            ``standardize`` statistics, so the model takes raw inputs (exported models;
            training data is standardized already).
        profile: count the model's FLOPs per layer (``report.flops``); off, they are 0
            (a one-shot supernet builds thousands of children and needs only their layers).

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
    target = (preprocessing or {}).get("target")
    if target:
        add("output_scale", layer(Affine, target["std"], target["mean"], [num_outputs]),
            (num_outputs,))  # fmt: skip
    inputs = (preprocessing or {}).get("standardize")
    if raw_inputs and inputs:
        layers = {"input_scale": input_scale(inputs, tuple(input_shape)), **layers}
        infos.insert(0, LayerInfo("input_scale", tuple(int(s) for s in input_shape), 0))

    model = NASNet(layers)
    apply_init(model, arch.train.init)
    from nas.builder._profile import count_flops

    flops, per_layer = count_flops(model, tuple(input_shape)) if profile else (0, {})
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
