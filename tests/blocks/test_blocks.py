"""Every registered block family × 1-D and 2-D input × every readout: build, forward, backward.

Cases are generated from the registries, so a new block type is covered without
touching this file.
"""

from __future__ import annotations

import pytest
import torch

from nas.arch import Architecture, Block, Stage
from nas.base import ArchitectureError
from nas.blocks import VECTOR, get_block, list_blocks, list_readouts, register_block
from nas.builder import build_model

INPUTS = {"1d": (2, 24), "2d": (1, 8, 8)}
UNSUPPORTED = {("rocket", "2d"): "rocket reads 1-D series"}  # refused with this message


def _arch(block_type: str, readout: str) -> Architecture:
    family = get_block(block_type)
    block = Block(block_type, family.config())
    if family.final:  # nothing but the output layer follows it
        stages = (Stage("feature", (block,)), Stage("head", ()))
    elif family.consumes == VECTOR:
        stages = (Stage("head", (block, block)),)
    else:  # two blocks, so a block also sees its own output layout
        stages = (Stage("feature", (block, block)), Stage("head", ()))
    return Architecture(stages=stages, readout=readout)


@pytest.mark.parametrize("readout", list_readouts())
@pytest.mark.parametrize("dims", list(INPUTS))
@pytest.mark.parametrize("block_type", list_blocks())
def test_block_builds_runs_forward_and_backward(block_type, dims, readout):
    torch.manual_seed(0)
    if (block_type, dims) in UNSUPPORTED:
        with pytest.raises(ArchitectureError, match=UNSUPPORTED[block_type, dims]):
            build_model(_arch(block_type, readout), INPUTS[dims], num_outputs=5)
        return
    model = build_model(_arch(block_type, readout), INPUTS[dims], num_outputs=5)
    x = torch.randn(4, *INPUTS[dims], requires_grad=True)
    out = model(x)
    assert out.shape == (4, 5)
    out.square().mean().backward()
    if get_block(block_type).final:  # fixed features: the gradient stops at the block
        assert torch.isfinite(out).all()
    else:
        assert x.grad is not None and torch.isfinite(x.grad).all()
    for name, p in model.named_parameters():
        assert p.grad is not None, f"{name} got no gradient"
    assert model.report.n_params == sum(p.numel() for p in model.parameters())
    assert model.report.flops > 0


@pytest.mark.parametrize("block_type", list_blocks())
def test_every_family_has_documented_defaults(block_type):
    from nas.base import option_specs

    family = get_block(block_type)
    specs = option_specs(family.config)
    assert specs, "a block family needs searchable options"
    assert all(spec.doc for spec in specs.values())
    assert family.label(family.config())


def test_unknown_block_lists_registered_names():
    with pytest.raises(ValueError, match="unknown block type 'nope'; registered: conv, dense"):
        get_block("nope")


def test_a_name_registers_once():
    with pytest.raises(ValueError, match="already registered"):
        register_block("conv", object, consumes="channels", label=str)(lambda c, s: None)
