"""A one-shot supernet: every child architecture of a space computed with one bank of
shared weights (ENAS, Pham et al. 2018).

A child is built as a stand-alone model would be (:func:`build_model`); then each of its
weight tensors is tied to the bank's tensor for the same layer position, block type,
parameter and shape, created by the first child that needed it. So two children that put
a 64-channel, kernel-5 conv at ``feature.1`` share its weights whatever their activation,
dilation or pooling there (options that change no shape), and a choice that changes a
shape gets weights of its own. A child is a plain :class:`NASNet` whose state dict loads
into ``build_model(arch)`` and computes the same function: what lets the one-shot phase
hand its ranking to stand-alone trials.

Per-choice weights rather than slices of the widest layer (Once-for-All, Cai et al.
2020): the spaces here mix block families (conv, residual, inception, recurrent, dense)
whose options change more than a width, and tying tensors by shape needs nothing from a
block beyond what it already builds.

    supernet = SuperNet(input_shape=(1, 40), num_outputs=10)
    child = supernet.child(arch)  # shares weights with every other child
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from nas.arch import Architecture
from nas.builder._build import NASNet, build_model

CACHED_CHILDREN = 256  # children kept built (their weights live in the bank regardless)


def _slot(*parts: object) -> str:
    return "w" + hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:20]


class SuperNet(nn.Module):
    """The bank of shared weights and the children computed with it."""

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_outputs: int,
        *,
        preprocessing: Mapping[str, Any] | None = None,
        device: torch.device | str = "cpu",
    ) -> None:
        super().__init__()
        self.input_shape, self.num_outputs = tuple(input_shape), num_outputs
        self.preprocessing = dict(preprocessing or {})
        self.device = torch.device(device)
        self.bank = nn.ParameterDict()
        self._buffers_bank: dict[str, torch.Tensor] = {}  # batch-norm statistics, shared alike
        self._built: OrderedDict[str, NASNet] = OrderedDict()

    def child(self, arch: Architecture) -> NASNet:
        """``arch`` computed with the bank's weights; tensors it is the first to need are
        added to the bank (an optimizer over :meth:`parameters` must pick them up)."""
        key = arch.to_json(indent=None)
        if key in self._built:
            self._built.move_to_end(key)
            return self._built[key]
        model = build_model(
            arch, self.input_shape, self.num_outputs, preprocessing=self.preprocessing,
            profile=False,
        )  # fmt: skip
        types = {name.replace(".", "_"): block.type for name, block in arch.blocks()}
        for layer_name, layer in model.layers.items():
            kind = types.get(layer_name, "")
            for path, tensor in [*layer.named_parameters(), *layer.named_buffers()]:
                slot = _slot(layer_name, kind, path, tuple(tensor.shape))
                owner_path, _, leaf = path.rpartition(".")
                owner = layer.get_submodule(owner_path)
                if isinstance(tensor, nn.Parameter):
                    if slot not in self.bank:
                        self.bank[slot] = nn.Parameter(tensor.detach().to(self.device))
                    setattr(owner, leaf, self.bank[slot])  # an RNN refreshes its flat weights
                else:
                    if slot not in self._buffers_bank:
                        self._buffers_bank[slot] = tensor.to(self.device)
                    setattr(owner, leaf, self._buffers_bank[slot])
        model.to(self.device)
        self._built[key] = model
        if len(self._built) > CACHED_CHILDREN:
            self._built.popitem(last=False)
        return model
