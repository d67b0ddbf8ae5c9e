"""A deployable bundle of one architecture, verified before it is written.

    out/
      architecture.json     the Architecture (nas.Architecture.from_json reads it)
      architectures.json    an ensemble of several trials: the list of their architectures
      weights.safetensors   trained weights (a plain state dict)
      model.onnx            checked in onnxruntime against PyTorch on real inputs
      model.pt              TorchScript (torch.jit.load, no nas needed)
      model.py              standalone PyTorch code that loads weights.safetensors
      bundle.json           shapes, task, metrics, provenance
      README.md             model card

``nas.load(out)`` rebuilds the ``nn.Module`` from architecture.json and the weights
(:mod:`nas.export._load`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nas.arch import Architecture
from nas.base import ExportError, count
from nas.builder import NASNet, measure_latency_ms
from nas.data import Dataset, raw_inputs
from nas.export._formats import FORMATS, check_parity
from nas.training import evaluate

BUNDLE_FORMAT = "nas.bundle"
BUNDLE_VERSION = 1
PARITY_BATCH = 256  # real inputs used for the parity checks of the exported formats
CORE_FILES = ("architecture.json", "weights.safetensors", "bundle.json", "README.md")
ARCHITECTURES_FILE = "architectures.json"  # only in an ensemble of several architectures


def bundle_files() -> list[str]:
    """Every file a bundle may hold (a re-export removes them first)."""
    return [*CORE_FILES, ARCHITECTURES_FILE, *(f.filename for _, f in FORMATS.items())]


def check_formats(formats: tuple[str, ...]) -> None:
    """Reject unknown ``--formats`` names, listing the registered ones."""
    for name in formats:
        if name not in FORMATS:
            raise ExportError(
                f"--formats: unknown format {name!r}; available: {', '.join(FORMATS.names())}"
            )


@dataclass(frozen=True)
class BundleInfo:
    """Contents of bundle.json."""

    input_shape: list[int]
    num_outputs: int
    task: str
    data: str
    metrics: dict[str, float]  # validation metrics of the trial
    test_metrics: dict[str, float]  # evaluated at export time
    n_params: int
    flops: int
    latency_ms: float
    source: dict[str, Any]  # study, trial, storage, seed, retrained
    onnx_max_abs_diff: float | None = None
    files: list[str] = field(default_factory=list)
    max_abs_diff: dict[str, float] = field(default_factory=dict)  # per format that runs a model
    plugins: list[str] = field(default_factory=list)  # modules nas.load imports first
    plugin_path: str | None = None  # the folder searched first for them (the recipe's)
    ensemble: int = 0  # members of an averaging ensemble (0: one model)
    member_weights: list[float] | None = None  # each member's weight (None: equal)
    # each member's index in architectures.json (None: every member is architecture.json's)
    member_architectures: list[int] | None = None
    classes: list[str] | None = None  # the user's label of each output class
    preprocessing: dict[str, Any] = field(default_factory=dict)  # what the data went through
    raw_inputs: bool = False  # the model standardizes its inputs itself (input_scale layer)
    format: str = BUNDLE_FORMAT
    version: int = BUNDLE_VERSION


def _model_card(arch: Architecture, info: BundleInfo, commands: dict[str, str]) -> str:
    metric_rows = "\n".join(
        f"| validation {k.removeprefix('val_')} | {v:.4f} |" for k, v in info.metrics.items()
    )
    test_rows = "\n".join(f"| **test {k}** | **{v:.4f}** |" for k, v in info.test_metrics.items())
    source = info.source
    onnx = "not exported" if info.onnx_max_abs_diff is None else f"{info.onnx_max_abs_diff:.2e}"
    shape = ", ".join(map(str, info.input_shape))
    return f"""# {arch.summary()}

Exported by `nas export` from study `{source["study"]}`, trial {source["trial"]}.
Model: {source.get("model") or ("retrained" if source["retrained"] else "search weights")}.

| | |
| --- | --- |
| data | {info.data} |
| task | {info.task}, input {tuple(info.input_shape)}, {count(info.num_outputs, "output")} |
{metric_rows}
{test_rows}
| parameters | {info.n_params:,} |
| FLOPs per sample | {info.flops:,} |
| latency (batch 1, CPU, median) | {info.latency_ms:.3f} ms |
| ONNX vs PyTorch max abs diff | {onnx} |

The test metrics were computed at export time; the search itself never saw the test set.
{_inputs_section(info)}
## Files

{chr(10).join(f"- `{name}`" for name in info.files)}

## Use

```python
import onnxruntime, numpy as np
session = onnxruntime.InferenceSession("model.onnx")
x = np.zeros((1, {shape}), np.float32)
logits = session.run(None, {{"input": x}})[0]

import torch
scripted = torch.jit.load("model.pt")          # TorchScript
from model import load; model = load()        # plain PyTorch, no nas needed
import nas; model = nas.load(".")              # with nas
```

## Reproduce

Retrain this architecture with the trial's hyperparameters and seed:

```
{commands["train"]}
```

Re-export it, retrained on train + validation:

```
{commands["export"]}
```
"""


def _inputs_section(info: BundleInfo) -> str:
    """What a deployed model must do to its inputs and outputs (from bundle.json)."""
    lines = []
    scaling = info.preprocessing.get("standardize")
    if scaling and info.raw_inputs:
        per = scaling.get("per", "channel")
        lines.append(
            f"- Give the model raw inputs: it standardizes them itself, per {per}, with the "
            "training split's mean and std (its `input_scale` layer; the numbers are in "
            "`bundle.json` → `preprocessing.standardize`)."
        )
    elif scaling:
        per = scaling.get("per", "channel")
        lines.append(
            f"- Inputs were standardized per {per}: `x = (x - mean) / std` with the `mean` "
            "and `std` in `bundle.json` → `preprocessing.standardize`; do the same first."
        )
    if info.preprocessing.get("target"):
        lines.append(
            "- Outputs are in the targets' own units: the network predicts standardized "
            "targets and its `output_scale` layer maps them back (`preprocessing.target`)."
        )
    if info.preprocessing.get("one_hot"):
        lines.append(
            "- Categorical columns were one-hot encoded before the model saw them: do the "
            "same first (`preprocessing.one_hot` names them, "
            "`preprocessing.standardize.columns` gives the feature order)."
        )
    if info.classes:
        shown = ", ".join(f"{i}: {c}" for i, c in enumerate(info.classes[:20]))
        lines.append(
            f"- Output index → class: {shown}" + (" ..." if len(info.classes) > 20 else "")
        )
    return ("\n## Inputs and outputs\n\n" + "\n".join(lines) + "\n") if lines else ""


def write_bundle(
    out: Path,
    arch: Architecture,
    model: NASNet,
    dataset: Dataset,
    *,
    formats: tuple[str, ...],
    source: dict[str, Any],
    metrics: dict[str, float],
    commands: dict[str, str],
    plugins: tuple[str, ...] = (),
    plugin_path: str | None = None,
    member_archs: list[Architecture] | None = None,
) -> BundleInfo:
    """Verify and write the bundle for a trained ``model`` (a NASNet or an Ensemble of
    them); returns bundle.json's content. ``member_archs``: the architecture of each member
    of an ensemble (``arch`` is then the heaviest member's); listed only when they differ.

    The bundle's model takes raw inputs: when the data was standardized, the model is
    exported behind an ``input_scale`` layer holding the training split's statistics, and
    every check (format parity, test metrics, latency) feeds it raw inputs.
    """
    from nas.builder import Ensemble

    check_formats(formats)
    model = _deployable(model.cpu().eval(), dataset.preprocessing)
    _clear(out)
    files = _write_weights(out, arch, model)
    indices = _write_architectures(out, member_archs) if member_archs else None
    if indices is not None:
        files.append(ARCHITECTURES_FILE)
    x_val = raw_inputs(dataset.x_val[:PARITY_BATCH], dataset.preprocessing)
    sample = torch.from_numpy(x_val)
    differences = {}
    for name in formats:
        entry = FORMATS.get(name)
        difference = entry.write(model, sample, out / entry.filename, arch.summary())
        if difference is not None:
            differences[name] = check_parity(name, difference)
        files.append(entry.filename)

    x_test = torch.from_numpy(raw_inputs(dataset.x_test, dataset.preprocessing))
    y_test = torch.from_numpy(dataset.y_test)
    info = BundleInfo(
        input_shape=list(dataset.input_shape),
        num_outputs=dataset.num_outputs,
        task=dataset.task,
        data=dataset.describe(),
        metrics=metrics,
        test_metrics=evaluate(model, x_test, y_test, dataset.task),
        n_params=model.report.n_params,
        flops=model.report.flops,
        latency_ms=measure_latency_ms(model, dataset.input_shape),
        source=source,
        onnx_max_abs_diff=differences.get("onnx"),
        files=sorted(files),
        max_abs_diff=differences,
        plugins=list(plugins),
        plugin_path=plugin_path if plugins else None,
        ensemble=len(model.members) if isinstance(model, Ensemble) else 0,
        member_weights=list(model.weights)
        if isinstance(model, Ensemble) and model.weights
        else None,
        member_architectures=indices,
        classes=list(dataset.classes) if dataset.classes else None,
        preprocessing=dataset.preprocessing,
        raw_inputs=_takes_raw(model),
    )
    (out / "bundle.json").write_text(json.dumps(asdict(info), indent=2))
    (out / "README.md").write_text(_model_card(arch, info, commands))
    return info


def _deployable(model: nn.Module, preprocessing: dict[str, Any]) -> nn.Module:
    """``model`` (or an ensemble of its members) taking raw inputs; ``model`` itself is
    left as it was."""
    from nas.builder import Ensemble, make_ensemble, with_raw_inputs

    if isinstance(model, Ensemble):
        members = [with_raw_inputs(m, preprocessing) for m in model.members]  # type: ignore[arg-type]
        task = "classification" if model.classification else "regression"
        return make_ensemble(members, task, model.weights).eval()
    return with_raw_inputs(model, preprocessing)  # type: ignore[arg-type]


def _takes_raw(model: nn.Module) -> bool:
    from nas.builder import Ensemble

    network = model.members[0] if isinstance(model, Ensemble) else model
    return "input_scale" in network.layers  # type: ignore[operator]


def _clear(out: Path) -> None:
    """Create ``out``; when it holds an earlier bundle, leave none of its files."""
    out.mkdir(parents=True, exist_ok=True)
    if (out / "bundle.json").exists():
        for name in bundle_files():
            (out / name).unlink(missing_ok=True)


def _write_architectures(out: Path, archs: list[Architecture]) -> list[int] | None:
    """architectures.json, each distinct architecture once; returns each member's index
    (None, and no file, when all members share one architecture: architecture.json's)."""
    distinct: list[Architecture] = []
    for arch in archs:
        if arch not in distinct:
            distinct.append(arch)
    if len(distinct) == 1:
        return None
    documents = [json.loads(arch.to_json()) for arch in distinct]
    (out / ARCHITECTURES_FILE).write_text(json.dumps(documents, indent=2))
    return [distinct.index(arch) for arch in archs]


def _write_weights(out: Path, arch: Architecture, model: NASNet) -> list[str]:
    """architecture.json and weights.safetensors; returns the bundle's core file names."""
    from safetensors.torch import save_file

    (out / "architecture.json").write_text(arch.to_json())
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(
        state,
        str(out / "weights.safetensors"),
        metadata={"architecture": arch.to_json(indent=None)},
    )
    return list(CORE_FILES)
