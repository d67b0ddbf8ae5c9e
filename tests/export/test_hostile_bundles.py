"""A malformed or hostile bundle is one ExportError naming the file, never another
exception, and a too-large model is refused before anything is allocated."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import save_file

from nas.arch import Architecture, Block, Stage
from nas.base import ArchitectureError, ExportError
from nas.blocks import ConvConfig, DenseConfig
from nas.builder import build_model
from nas.export import load

ARCH = Architecture(
    stages=(Stage("feature", (Block("conv", ConvConfig(4)),)), Stage("head", ())),
)
INFO = {"format": "nas.bundle", "version": 1, "input_shape": [1, 16], "num_outputs": 3,
        "task": "classification"}  # fmt: skip


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundle")
    (folder / "architecture.json").write_text(ARCH.to_json())
    (folder / "bundle.json").write_text(json.dumps(INFO))
    save_file(build_model(ARCH, (1, 16), 3).state_dict(), str(folder / "weights.safetensors"))
    return folder


def test_the_well_formed_bundle_loads(good):
    assert load(good)(torch.zeros(2, 1, 16)).shape == (2, 3)


def edit_json(name, change):
    def apply(folder):
        path = folder / name
        path.write_text(json.dumps(change(json.loads(path.read_text()))))

    return apply


def write(name, content: bytes | str):
    def apply(folder):
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())

    return apply


def remove(name):
    return lambda folder: (folder / name).unlink()


def arch_with(**changes):
    return edit_json("architecture.json", lambda d: {**d, **changes})


def other_weights(folder):
    other = Architecture(stages=(Stage("feature", (Block("conv", ConvConfig(8)),)),))
    save_file(build_model(other, (1, 16), 3).state_dict(), str(folder / "weights.safetensors"))


def renamed_weights(folder):
    state = build_model(ARCH, (1, 16), 3).state_dict()
    save_file({f"x.{k}": v for k, v in state.items()}, str(folder / "weights.safetensors"))


CASES = {
    "no bundle.json": (remove("bundle.json"), "bundle.json"),
    "no architecture.json": (remove("architecture.json"), "architecture.json"),
    "no weights": (remove("weights.safetensors"), "weights.safetensors"),
    "bundle.json not JSON": (write("bundle.json", "{nope"), "bundle.json"),
    "bundle.json binary": (write("bundle.json", b"\xff\xfe\x00\x81"), "bundle.json"),
    "bundle.json a list": (write("bundle.json", "[1, 2]"), "bundle.json"),
    "bundle.json deeply nested": (write("bundle.json", "[" * 100_000 + "]" * 100_000),
                                  "bundle.json"),
    "another format": (edit_json("bundle.json", lambda d: {**d, "format": "x"}), "bundle.json"),
    "a future version": (edit_json("bundle.json", lambda d: {**d, "version": 99}),
                         "bundle.json"),
    "input_shape a string": (edit_json("bundle.json", lambda d: {**d, "input_shape": "1,16"}),
                             "input_shape"),
    "input_shape negative": (edit_json("bundle.json", lambda d: {**d, "input_shape": [1, -4]}),
                             "input_shape"),
    "num_outputs zero": (edit_json("bundle.json", lambda d: {**d, "num_outputs": 0}),
                         "num_outputs"),
    "task unknown": (edit_json("bundle.json", lambda d: {**d, "task": "ranking"}), "task"),
    "ensemble huge": (edit_json("bundle.json", lambda d: {**d, "ensemble": 10**9}), "ensemble"),
    "preprocessing a list": (edit_json("bundle.json", lambda d: {**d, "preprocessing": [1]}),
                             "preprocessing"),
    "num_outputs missing": (edit_json("bundle.json", lambda d: {k: v for k, v in d.items()
                                                                 if k != "num_outputs"}),
                            "num_outputs"),
    "architecture not JSON": (write("architecture.json", "]["), "architecture.json"),
    "architecture deeply nested": (write("architecture.json", '{"stages": ' + "[" * 100_000),
                                   "architecture.json"),
    "architecture a number": (write("architecture.json", "3"), "architecture.json"),
    "unknown block": (arch_with(stages=[{"name": "f", "blocks": [{"type": "warp"}]}]),
                      "architecture.json"),
    "duplicate stage names": (arch_with(stages=[{"name": "f", "blocks": []},
                                                {"name": "f", "blocks": []}]), "used twice"),
    "bad stage name": (arch_with(stages=[{"name": "../x", "blocks": []}]), "architecture.json"),
    "weights of another model": (other_weights, "weights.safetensors"),
    "weights under other names": (renamed_weights, "weights.safetensors"),
    "weights truncated": (write("weights.safetensors", b"\x08\x00\x00\x00\x00\x00\x00\x00{}"),
                          "weights.safetensors"),
    "weights garbage": (write("weights.safetensors", b"\xff" * 64), "weights.safetensors"),
    "huge dense layers": (arch_with(stages=[{"name": "h", "blocks": [
        {"type": "dense", "units": 20000}, {"type": "dense", "units": 20000}]}]),
        "parameters, more than"),
    "a conv of 10^12 channels": (arch_with(stages=[{"name": "f", "blocks": [
        {"type": "conv", "channels": 10**12}]}]), "architecture.json"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_a_malformed_bundle_is_one_export_error(good, tmp_path, case):
    folder = tmp_path / "b"
    shutil.copytree(good, folder)
    spoil, named = CASES[case]
    spoil(folder)
    with pytest.raises(ExportError) as info:
        load(folder)
    message = str(info.value)
    assert named in message and str(folder) in message, message
    assert "\n" not in message


def test_the_size_limit_is_checked_before_allocating_and_can_be_raised(good, tmp_path):
    folder = tmp_path / "b"
    shutil.copytree(good, folder)
    wide = Architecture(stages=(Stage("h", (Block("dense", DenseConfig(64)),)),))
    (folder / "architecture.json").write_text(wide.to_json())
    save_file(build_model(wide, (1, 16), 3).state_dict(), str(folder / "weights.safetensors"))
    with pytest.raises(ExportError, match=r"1,283 parameters, more than the 1,000 allowed"):
        load(folder, max_params=1000)
    assert load(folder, max_params=2000)(torch.zeros(1, 1, 16)).shape == (1, 3)


def test_from_dict_enforces_the_space_loaders_stage_rules():
    doc = ARCH.to_dict()
    doc["stages"] = [{"name": "f", "blocks": []}, {"name": "f", "blocks": []}]
    with pytest.raises(ArchitectureError, match="stage name 'f' is used twice"):
        Architecture.from_dict(doc, "x.json")
    doc["stages"] = [{"name": "f g", "blocks": []}]
    with pytest.raises(ArchitectureError, match=r"stages\[0\].name: expected a name of letters"):
        Architecture.from_dict(doc, "x.json")
