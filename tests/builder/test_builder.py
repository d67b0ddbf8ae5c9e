from __future__ import annotations

import pytest
import torch

from nas import ArchitectureError
from nas.arch import Architecture, Block, Stage
from nas.blocks import ConvConfig, DenseConfig, RecurrentConfig
from nas.builder import build_model
from nas.config import list_inits
from tests.conftest import PAPER_CNN


def _features(*blocks: Block, readout: str = "flatten") -> Architecture:
    return Architecture(stages=(Stage("feature", blocks),), readout=readout)


def test_paper_cnn_shapes_params_and_flops():
    model = build_model(Architecture.from_json(PAPER_CNN.read_text()), (1, 40), 10)
    shapes = [(layer.name, layer.out_shape) for layer in model.report.layers]
    assert shapes == [
        ("feature.0.conv", (25, 19)),
        ("feature.1.conv", (25, 10)),
        ("feature.2.conv", (25, 5)),
        ("readout.flatten", (125,)),
        ("output", (10,)),
    ]
    # Greydanus' CNN: 150 + 1900 + 1900 + 1260 parameters
    assert model.report.n_params == 5210
    # 2 FLOPs per multiply-accumulate: convs (out positions x out ch x in ch x k) + linear
    macs = 19 * 25 * 1 * 5 + 10 * 25 * 25 * 3 + 5 * 25 * 25 * 3 + 125 * 10
    assert model.report.flops == 2 * macs
    assert sum(layer.flops for layer in model.report.layers) == model.report.flops


def test_recurrent_flops_are_counted():
    def flops(cell: str) -> int:
        arch = _features(Block("recurrent", RecurrentConfig(cell, 8, 1, False)))
        return build_model(arch, (4, 10), 3).report.layers[1].flops

    # per step and sample: gates x (in x hidden + hidden x hidden) MACs, 2 FLOPs each
    for cell, gates in (("rnn", 1), ("gru", 3), ("lstm", 4)):
        assert flops(cell) == 2 * 10 * gates * (4 * 8 + 8 * 8)


def test_2d_input_to_recurrent_reads_rows_as_time_steps():
    arch = _features(
        Block("conv", ConvConfig(channels=3, kernel=3)),
        Block("recurrent", RecurrentConfig("gru", hidden=5)),
        readout="last",
    )
    model = build_model(arch, (1, 8, 6), 2)
    layers = {layer.name: layer.out_shape for layer in model.report.layers}
    assert layers["feature.0.conv"] == (3, 8, 6)
    assert layers["feature.1.recurrent.to_sequence"] == (8, 3 * 6)  # (rows, channels x cols)
    assert layers["feature.1.recurrent"] == (8, 5)
    # the adapter really puts row h at time step h
    x = torch.zeros(1, 3, 8, 6)
    x[0, :, 2, :] = 1.0
    seq = model.layers["feature_1_recurrent_to_sequence"](x)
    assert seq[0, 2].sum() == 18 and seq.sum() == 18


def test_conv_after_recurrent_reads_features_as_channels():
    arch = _features(
        Block("recurrent", RecurrentConfig("gru", hidden=6)),
        Block("conv", ConvConfig(channels=4, kernel=3)),
    )
    model = build_model(arch, (2, 12), 3)
    layers = {layer.name: layer.out_shape for layer in model.report.layers}
    assert layers["feature.0.recurrent"] == (12, 6)
    assert layers["feature.1.conv.to_channels"] == (6, 12)
    assert model(torch.randn(2, 2, 12)).shape == (2, 3)


def test_spatial_size_never_collapses_and_decisions_are_recorded():
    arch = _features(
        Block("conv", ConvConfig(channels=4, kernel=3, stride=2, pooling="max")),
        Block("conv", ConvConfig(channels=4, kernel=3, stride=2, pooling="max")),
        Block("conv", ConvConfig(channels=4, kernel=5, padding=0, pooling="avg")),
    )
    model = build_model(arch, (1, 8), 2)
    shapes = [layer.out_shape for layer in model.report.layers]
    assert shapes[:3] == [(4, 2), (4, 1), (4, 1)]
    notes = "\n".join(model.report.notes)
    assert "feature.1.conv: max pooling skipped" in notes
    assert "feature.2.conv: padding widened: kernel 5 larger than input (1,)" in notes
    assert "feature.2.conv: avg pooling skipped" in notes
    assert model(torch.randn(3, 1, 8)).shape == (3, 2)


def test_a_kernel_that_cannot_fit_is_an_architecture_error():
    # an even kernel loses one position even with padding: length 1 -> 0
    arch = _features(Block("conv", ConvConfig(channels=4, kernel=2)))
    with pytest.raises(ArchitectureError, match=r"feature.0.conv: conv kernel 2 .* does not fit input \(1,\)"):
        build_model(arch, (1, 1), 2)


def test_feature_block_after_dense_is_an_architecture_error():
    arch = Architecture(
        stages=(Stage("head", (Block("dense", DenseConfig(8)),)), Stage("more", (Block("conv", ConvConfig()),)))
    )
    with pytest.raises(ArchitectureError, match="more.0.conv: a channels block cannot follow a vector block"):
        build_model(arch, (1, 16), 2)


def test_bad_input_shape_is_an_architecture_error():
    with pytest.raises(ArchitectureError, match=r"input_shape \(40,\): expected \(C, L\) or \(C, H, W\)"):
        build_model(Architecture.from_json(PAPER_CNN.read_text()), (40,), 10)


@pytest.mark.parametrize("init", [name for name in list_inits() if name != "default"])
def test_weight_init_changes_weights_and_zeroes_biases(init):
    from dataclasses import replace

    base = _features(Block("conv", ConvConfig(8, 3)), Block("recurrent", RecurrentConfig("lstm", 8)))
    torch.manual_seed(0)
    default = build_model(base, (1, 16), 3)
    torch.manual_seed(0)
    other = build_model(replace(base, train=replace(base.train, init=init)), (1, 16), 3)
    conv_default = default.layers["feature_0_conv"][0]
    conv_other = other.layers["feature_0_conv"][0]
    assert not torch.equal(conv_default.weight, conv_other.weight)
    assert torch.count_nonzero(conv_other.bias) == 0
    rnn = other.layers["feature_1_recurrent"].rnn
    assert torch.count_nonzero(rnn.bias_hh_l0) == 0
    if init == "orthogonal":
        w = rnn.weight_hh_l0  # (4H, H): orthonormal columns
        assert torch.allclose(w.T @ w, torch.eye(8), atol=1e-5)
