"""The one-shot supernet: every child builds from the shared bank, computes what a
stand-alone model with the same weights computes, and shares exactly the tensors whose
position, block type and shape agree."""

from __future__ import annotations

import pytest
import torch

from nas.builder import SuperNet, build_model
from tests.conftest import SPACES, random_architectures


@pytest.mark.parametrize("space_file", ["tiny.yaml", "mnist1d.yaml"])
def test_every_child_matches_a_stand_alone_model_with_its_weights(space_file):
    torch.manual_seed(0)
    _, drawn = random_architectures(SPACES / space_file, 25, seed=1)
    supernet = SuperNet((1, 40), 10)
    x = torch.randn(6, 1, 40)
    for arch, _ in drawn:
        child = supernet.child(arch).eval()
        alone = build_model(arch, (1, 40), 10).eval()
        alone.load_state_dict(child.state_dict())  # same names and shapes: loads strictly
        with torch.no_grad():
            torch.testing.assert_close(child(x), alone(x), rtol=1e-5, atol=1e-6)
        # every tensor of the child is one of the bank's
        bank = {id(p) for p in supernet.bank.values()}
        assert all(id(p) in bank for p in child.parameters())


def _conv_arch(channels: int, activation: str):
    from nas.space import load_space

    params = {"feature.n_blocks": 1, "feature.0.type": "conv", "feature.0.conv.channels": channels,
              "feature.0.conv.kernel": 3, "feature.0.conv.stride": 1, "feature.0.conv.pooling": "none",
              "head.n_blocks": 0, "readout": "flatten", "optimizer": "adam", "lr": 0.01,
              "schedule": "constant"}  # fmt: skip
    arch = load_space(SPACES / "tiny.yaml").from_params(params)
    stage = arch.stages[0]
    block = stage.blocks[0]
    from dataclasses import replace

    block = replace(block, config=replace(block.config, activation=activation))
    return replace(arch, stages=(replace(stage, blocks=(block,)), *arch.stages[1:]))


def test_children_share_weights_where_shapes_agree_and_only_there():
    supernet = SuperNet((1, 40), 10)
    relu, gelu, wide = (supernet.child(_conv_arch(c, a))
                        for c, a in ((4, "relu"), (4, "gelu"), (8, "relu")))  # fmt: skip
    relu_w = dict(relu.named_parameters())
    gelu_w = dict(gelu.named_parameters())
    wide_w = dict(wide.named_parameters())
    assert relu_w.keys() == gelu_w.keys()
    assert all(relu_w[k] is gelu_w[k] for k in relu_w)  # the activation changes no shape
    # the width changes the conv's shapes and the output layer's weight (its bias, 10
    # logits either way, is shared)
    changed = [k for k in relu_w if k != "layers.output.bias"]
    assert not any(relu_w[k] is wide_w.get(k) for k in changed)
    assert relu_w["layers.output.bias"] is wide_w["layers.output.bias"]
    # a step taken through one child moves the other, which never ran
    optimizer = torch.optim.SGD(supernet.bank.values(), lr=0.1)
    before = [p.detach().clone() for p in gelu.parameters()]
    relu(torch.randn(4, 1, 40)).sum().backward()
    optimizer.step()
    assert any(not torch.equal(b, p) for b, p in zip(before, gelu.parameters(), strict=True))


def test_batch_norm_statistics_are_shared_too():
    _, drawn = random_architectures(SPACES / "mnist1d.yaml", 40, seed=3)
    supernet = SuperNet((1, 40), 10)
    with_bn = [a for a, _ in drawn if "bn" in a.summary()]
    assert with_bn
    child = supernet.child(with_bn[0])
    buffers = {id(b) for b in supernet._buffers_bank.values()}
    assert all(id(b) in buffers for _, b in child.named_buffers())
