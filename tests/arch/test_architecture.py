from __future__ import annotations

import json

import pytest

from nas import ArchitectureError
from nas.arch import VERSION, Architecture
from tests.conftest import PAPER_CNN, SPACES, random_architectures


@pytest.mark.parametrize("space_file", sorted(SPACES.glob("*.yaml")), ids=lambda p: p.stem)
def test_json_round_trip_of_sampled_architectures(space_file):
    _, archs = random_architectures(space_file, 25)
    for arch, _ in archs:
        text = arch.to_json()
        again = Architecture.from_json(text)
        assert again == arch
        assert again.to_json() == text


def test_paper_cnn_file_round_trips():
    arch = Architecture.from_json(PAPER_CNN.read_text())
    assert [b.config.channels for _, b in arch.blocks()] == [25, 25, 25]
    assert arch.train.lr == 0.01 and arch.train.batch_size == 100
    assert Architecture.from_json(arch.to_json()) == arch


def test_json_is_versioned():
    data = json.loads(PAPER_CNN.read_text())
    assert Architecture.from_json(json.dumps(data)).to_dict()["version"] == VERSION
    data["version"] = VERSION + 1
    with pytest.raises(ArchitectureError, match="version .* not supported"):
        Architecture.from_dict(data, "x.json")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["stages"][0]["blocks"][0].update(type="conv3d"), r"stages\[0\]\.blocks\[0\]\.type: unknown block type 'conv3d'"),
        (lambda d: d["stages"][0]["blocks"][0].update(kernel=0), r"stages\[0\]\.blocks\[0\]\.kernel: expected an integer >= 1, got 0"),
        (lambda d: d["stages"][0]["blocks"][0].update(activation="swish"), r"blocks\[0\]\.activation: expected one of 'relu'"),
        (lambda d: d["stages"][0]["blocks"][0].update(colour="red"), r"blocks\[0\]\.colour: unknown option; allowed: channels"),
        (lambda d: d["train"].update(optimizer="lbfgs"), r"train\.optimizer: expected one of 'sgd'"),
        (lambda d: d["train"].update(batch_size="100"), r"train\.batch_size: expected an integer >= 1, got '100'"),
        (lambda d: d.update(readout="mean"), r"readout: expected one of flatten"),
        (lambda d: d.update(extra=1), r"extra: unknown key"),
    ],
)
def test_invalid_json_names_the_key_path(mutate, message):
    data = json.loads(PAPER_CNN.read_text())
    mutate(data)
    with pytest.raises(ArchitectureError, match=message) as info:
        Architecture.from_dict(data, "my.json")
    assert str(info.value).startswith("my.json: ")


def test_not_json_is_a_clear_error():
    with pytest.raises(ArchitectureError, match="a.json: not valid JSON"):
        Architecture.from_json("{nope", "a.json")


def test_summary_names_blocks_and_training():
    arch = Architecture.from_json(PAPER_CNN.read_text())
    assert arch.summary() == "conv25k5s2 > conv25k3s2 > conv25k3s2 | flatten | adam lr=0.01 bs=100"
