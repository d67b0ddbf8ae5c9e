"""A search space derived from the data: ``space: auto`` and ``nas search --data FILE``.

What a practitioner of each field would search first:

- **1-D signals**: the designs that win on time-series classification benchmarks (Fawaz
  et al. 2019; InceptionTime 2020): FCN-style conv stacks with wide kernels (up to 40),
  ResNet blocks, multi-scale inception blocks, 64-256 channels, batch norm, global
  average pooling; next to recurrent blocks for short series. Series longer than
  ``TARGET_LENGTH`` first pass a strided conv stem, so wide models stay affordable.
  Instead of the stem (or of any trained block, for short series), the ``rocket`` block:
  MiniRocket's random convolutions with an output layer solved in closed form, the
  strongest baseline on small time-series sets (Dempster et al. 2021) and a trial of
  seconds, so cross-validation compares it with the trained designs on equal terms.
- **2-D images**: small ResNets (3×3 residual blocks, strided down), global pooling.
- **Tables** (one row of features): MLPs with normalization and dropout.

Batch sizes scale with the number of training samples, and every model gets at least
``MIN_STEPS`` optimizer steps, however small the data (see ``nas.training.plan_budget``).
The result is an ordinary YAML document: ``nas space --data FILE`` prints it to start
from and edit.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import yaml

from nas.base import count
from nas.space._loader import parse_space

if TYPE_CHECKING:
    from nas.data import Dataset
    from nas.space._space import SearchSpace

AUTO = "auto"  # the value of a recipe's ``space:`` that asks for this
TARGET_LENGTH = 192  # series longer than this are strided down by the stem
RECURRENT_MAX_LENGTH = 400  # recurrent blocks are offered up to this length (after the stem)
MIN_STEPS = 600  # least optimizer steps of every model (small data: more passes)
ROUNDS = 30  # validation rounds (epochs) of a run
PATIENCE = 8  # rounds without improvement before early stopping
BATCHES = (8, 16, 32, 64, 128, 256)
SAMPLES_PER_BATCH = 16  # the smallest batch offered is about 1/16 of the training set
ROCKET_FEATURES = 10_000  # MiniRocket's default
ROCKET_MIN_LENGTH = 9  # its kernels' length


def batch_sizes(n_train: int) -> list[int]:
    """Three batch sizes around ``n_train / 16``: small data gets small batches (more,
    noisier steps), large data large ones (fast epochs)."""
    target = max(BATCHES[0], n_train / SAMPLES_PER_BATCH)
    start = max(i for i, b in enumerate(BATCHES) if b <= target or i == 0)
    start = min(start, len(BATCHES) - 3)
    sizes = [b for b in BATCHES[start : start + 3] if b <= n_train]
    return sizes or [BATCHES[0]]


def _training(data: Dataset, n_train: int) -> dict[str, Any]:
    training: dict[str, Any] = {
        "optimizer": ["adam", "adamw"],
        "lr": {"low": 3.0e-4, "high": 1.0e-2, "log": True},
        "weight_decay": {"low": 1.0e-5, "high": 1.0e-2, "log": True},
        "batch_size": batch_sizes(n_train),
        "epochs": ROUNDS,
        "min_steps": MIN_STEPS,
        "patience": PATIENCE,
        "schedule": ["constant", "cosine"],
    }
    if data.task == "classification":
        training["label_smoothing"] = [0.0, 0.1]
    if data.kind != "table":
        training["input_noise"] = [0.0, 0.05]
    return training


def _signal_stages(data: Dataset) -> tuple[list[dict[str, Any]], list[str]]:
    length = data.input_shape[-1]
    stages: list[dict[str, Any]] = []
    rocket = {"rocket": {"features": ROCKET_FEATURES}} if length >= ROCKET_MIN_LENGTH else {}
    if length > TARGET_LENGTH:
        stride = math.ceil(length / TARGET_LENGTH)
        stages.append({
            "name": "stem",
            "n_blocks": 1,
            "blocks": {"conv": {"channels": [32, 64], "kernel": 2 * stride + 1, "stride": stride,
                                "normalization": "batch", "activation": "relu"}, **rocket},
        })  # fmt: skip
        length = math.ceil(length / stride)
    elif rocket:  # no stem, or the rocket block (which ends the network)
        stages.append({"name": "stem", "n_blocks": {"low": 0, "high": 1}, "blocks": rocket})
    kernels = [k for k in (3, 5, 8, 16, 24, 40) if k <= max(3, length // 2)]
    odd = [k for k in (3, 5, 7, 9, 15, 21) if k <= max(3, length // 2)]
    blocks: dict[str, Any] = {
        "conv": {"channels": [64, 128, 256], "kernel": kernels, "normalization": "batch",
                 "activation": "relu", "dropout": [0.0, 0.1]},
        "residual": {"channels": [64, 128], "kernel": odd, "normalization": "batch",
                     "activation": "relu"},
        "inception": {"filters": [16, 32], "kernel": [k for k in (9, 19, 39) if k <= length]
                      or [3], "bottleneck": 32, "residual": True},
    }  # fmt: skip
    if length <= RECURRENT_MAX_LENGTH:
        blocks["recurrent"] = {"cell": ["gru", "lstm"], "hidden": [32, 64, 128],
                               "bidirectional": [True, False]}  # fmt: skip
    stages.append({"name": "feature", "n_blocks": {"low": 1, "high": 3}, "blocks": blocks})
    return stages, ["global_avg", "global_max"]


def _image_stages(data: Dataset) -> tuple[list[dict[str, Any]], list[str]]:
    size = min(data.input_shape[1:])
    stride = [1, 2] if size >= 8 else 1
    return [
        {"name": "stem", "n_blocks": 1,
         "blocks": {"conv": {"channels": [16, 32], "kernel": 3, "normalization": "batch"}}},
        {"name": "feature", "n_blocks": {"low": 1, "high": 4},
         "blocks": {"residual": {"channels": [32, 64, 128], "kernel": 3, "stride": stride,
                                 "normalization": "batch", "activation": "relu"}}},
    ], ["global_avg", "global_max"]  # fmt: skip


def _table_stages(data: Dataset) -> tuple[list[dict[str, Any]], list[str]]:
    return [
        {"name": "mlp", "n_blocks": {"low": 1, "high": 3},
         "blocks": {"dense": {"units": [64, 128, 256, 512], "activation": ["relu", "gelu", "silu"],
                              "normalization": ["none", "batch", "layer"],
                              "dropout": [0.0, 0.1, 0.3]}}},
    ], ["flatten"]  # fmt: skip


_STAGES = {"signal": _signal_stages, "image": _image_stages, "table": _table_stages}
_HEAD = {"name": "head", "n_blocks": {"low": 0, "high": 1},
         "blocks": {"dense": {"units": [64, 128], "dropout": [0.0, 0.3]}}}  # fmt: skip


def auto_space_doc(data: Dataset, n_train: int | None = None) -> dict[str, Any]:
    """The space for ``data`` as a YAML-ready mapping; ``n_train`` is the number of
    samples a model trains on (default: the training split's)."""
    n_train = n_train or len(data.x_train)
    stages, readout = _STAGES[data.kind](data)
    if data.kind != "table":
        stages.append(_HEAD)
    shape = "x".join(map(str, data.input_shape))
    return {
        "name": f"auto-{data.name}",
        "description": (
            f"derived by nas from {data.name}: {data.kind} {shape}, {data.task} "
            f"({count(data.num_outputs, 'output')}), {n_train} training samples"
        ),
        "stages": stages,
        "readout": readout,
        "training": _training(data, n_train),
    }


def auto_space_text(data: Dataset, n_train: int | None = None) -> str:
    """The derived space as YAML text (what ``nas space --data`` prints)."""
    doc = auto_space_doc(data, n_train)
    header = (
        f"# Search space derived by nas from {data.name} (nas space --data).\n"
        "# Edit it and pass it as a recipe's space: to search your own variant.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=100)


def auto_space(data: Dataset, n_train: int | None = None) -> SearchSpace:
    """The derived space, parsed and validated like any space file."""
    return parse_space(auto_space_text(data, n_train), f"<space derived from {data.name}>",
                       default_name=f"auto-{data.name}")  # fmt: skip
