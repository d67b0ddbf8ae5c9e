from __future__ import annotations

import textwrap

import pytest

from nas import SearchSpaceError
from nas.space import Choice, Fixed, FloatRange, IntRange, load_space, parse_space
from tests.conftest import SPACES

BASE = """
stages:
  - name: feature
    n_blocks: {low: 1, high: 2}
    blocks:
      conv:
        kernel: [3, 5]
"""


@pytest.mark.parametrize("space_file", sorted(SPACES.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_spaces_load(space_file):
    space = load_space(space_file)
    assert space.stages and space.text
    assert space.source == str(space_file)


def test_shipped_mnist1d_space_mixes_all_families():
    space = load_space(SPACES / "mnist1d.yaml")
    types = {b.type for stage in space.stages for b in stage.blocks}
    assert types == {"conv", "residual", "recurrent", "dense"}
    assert isinstance(space.training["lr"], FloatRange) and space.training["lr"].log


def test_value_forms():
    space = parse_space(
        textwrap.dedent(
            """
            stages:
              - name: f
                n_blocks: {low: 0, high: 3}
                blocks: {conv: {channels: 8, kernel: [3, 5], stride: [2]}}
            training:
              lr: {low: 1.0e-4, high: 1.0e-1, log: true}
              epochs: {low: 5, high: 20, step: 5}
            """
        )
    )
    conv = space.stages[0].blocks[0].options
    assert conv["channels"] == Fixed(8)
    assert conv["kernel"] == Choice((3, 5))
    assert conv["stride"] == Fixed(2)  # a one-element list is fixed, not a parameter
    assert space.stages[0].n_blocks == IntRange(0, 3)
    assert space.training["lr"] == FloatRange(1e-4, 1e-1, None, True)
    assert space.training["epochs"] == IntRange(5, 20, 5, False)
    assert space.readout == Fixed("flatten")


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        (BASE + "colour: red\n", r"x\.yaml: colour: unknown key; allowed: name, description"),
        (BASE.replace("kernel: [3, 5]", "kernel: []"), r"x\.yaml: stages\[0\]\.blocks\.conv\.kernel: empty choice list"),
        (BASE.replace("kernel: [3, 5]", "kernel: [3, five]"), r"stages\[0\]\.blocks\.conv\.kernel\[1\]: expected an integer >= 1, got 'five'"),
        (BASE.replace("kernel: [3, 5]", "kernel: {low: 7, high: 3}"), r"stages\[0\]\.blocks\.conv\.kernel: inverted range, low 7 > high 3"),
        (BASE.replace("kernel: [3, 5]", "kernal: 3"), r"stages\[0\]\.blocks\.conv\.kernal: unknown option; allowed: channels, kernel"),
        (BASE.replace("kernel: [3, 5]", "activation: swish"), r"conv\.activation: expected one of 'relu', 'leaky_relu'"),
        (BASE.replace("kernel: [3, 5]", "activation: {low: 1, high: 2}"), r"conv\.activation: a range \{low, high\} is only allowed for numbers"),
        (BASE.replace("kernel: [3, 5]", "dropout: {low: 0.0, high: 0.5, log: true}"), r"conv\.dropout: a log range needs low > 0"),
        (BASE.replace("kernel: [3, 5]", "kernel: {low: 3}"), r"conv\.kernel: a range needs 'high'"),
        (BASE.replace("kernel: [3, 5]", "kernel: [3, 3]"), r"conv\.kernel: duplicate values"),
        (BASE.replace("conv:", "conv3d:"), r"stages\[0\]\.blocks\.conv3d: unknown block type 'conv3d'; registered: conv, dense"),
        (BASE.replace("{low: 1, high: 2}", "{low: -1, high: 2}"), r"stages\[0\]\.n_blocks\.low: expected an integer >= 0"),
        (BASE + "training:\n  lr: fast\n", r"training\.lr: expected a number >= 0.0, got 'fast'"),
        (BASE + "training:\n  optimizer: [adam, lbfgs]\n", r"training\.optimizer\[1\]: expected one of 'sgd'"),
        (BASE + "training:\n  batch_size: 32.5\n", r"training\.batch_size: expected an integer >= 1, got 32.5"),
        (BASE + "readout: [flatten, mean]\n", r"readout\[1\]: expected one of 'flatten'"),
        (BASE + "  - name: feature\n    blocks: {dense: {}}\n", r"stages: stage name 'feature' is used twice"),
        (BASE.replace("conv:", "dense: {}\n      conv:"), r"stages\[0\]\.blocks: dense blocks and feature-map blocks"),
        ("stages:\n  - name: head\n    blocks: {dense: {}}\n  - name: f\n    blocks: {conv: {}}\n", r"stages\[1\]: a stage of conv blocks cannot follow a stage of dense"),
        ("stages: []\n", r"stages: expected a non-empty list"),
        ("stages:\n  - name: a.b\n    blocks: {conv: {}}\n", r"stages\[0\]\.name: expected a name of letters"),
        ("stages: [\n", r"not valid YAML"),
        ("- 1\n", r"expected a mapping with keys"),
    ],
)
def test_invalid_space_is_one_clear_error(yaml_text, message):
    with pytest.raises(SearchSpaceError, match=message):
        parse_space(yaml_text, "x.yaml")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(SearchSpaceError, match=r"nope\.yaml: search space file not found"):
        load_space(tmp_path / "nope.yaml")


def test_yaml_1_2_floats_are_numbers():
    space = parse_space(BASE + "training:\n  lr: {low: 1e-4, high: 3E-2, log: true}\n  weight_decay: [0, 1e-5, .5e-3]\n")
    assert space.training["lr"] == FloatRange(1e-4, 3e-2, None, True)
    assert space.training["weight_decay"] == Choice((0.0, 1e-5, 5e-4))
