"""A deployable bundle of one architecture, verified before it is written.

    out/
      architecture.json     the Architecture (nas.Architecture.from_json reads it)
      weights.safetensors   trained weights (a plain state dict)
      model.onnx            checked in onnxruntime against PyTorch on real inputs
      model.pt              TorchScript (torch.jit.load, no nas needed)
      model.py              standalone PyTorch code that loads weights.safetensors
      bundle.json           shapes, task, metrics, provenance
      README.md             model card

``nas.load(out)`` rebuilds the ``nn.Module`` from architecture.json and the weights.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nas._errors import ExportError
from nas.arch import Architecture
from nas.builder import NASNet, build_model, measure_latency_ms
from nas.data import Dataset
from nas.export._codegen import standalone_source
from nas.training import evaluate

BUNDLE_FORMAT = "nas.bundle"
BUNDLE_VERSION = 1
ONNX_OPSET = 17  # a current opset every onnxruntime release of the last years runs
ONNX_TOLERANCE = 1e-4  # max abs difference allowed between onnxruntime and PyTorch (fp32)
PARITY_BATCH = 256  # real inputs used for the ONNX and TorchScript checks
FORMATS = ("onnx", "torchscript", "python")
BUNDLE_FILES = (  # every file a bundle may hold; a re-export removes them first
    "architecture.json",
    "weights.safetensors",
    "bundle.json",
    "README.md",
    "model.onnx",
    "model.pt",
    "model.py",
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
    format: str = BUNDLE_FORMAT
    version: int = BUNDLE_VERSION


def export_onnx(model: NASNet, sample: torch.Tensor, path: Path) -> float:
    """Write ``model`` as ONNX and return the max abs difference to PyTorch on ``sample``.

    Uses the TorchScript-based exporter: it handles every block family (LSTM/GRU
    included) with a dynamic batch dimension and needs no extra package.
    """
    import onnxruntime

    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecation notes of the TorchScript-based exporter
        torch.onnx.export(
            model,
            (sample[:1],),
            str(path),
            dynamo=False,
            opset_version=ONNX_OPSET,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        )
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ours = session.run(None, {"input": sample.numpy()})[0]
    with torch.no_grad():
        theirs = model(sample).numpy()
    return float(np.abs(ours - theirs).max())


def _model_card(arch: Architecture, info: BundleInfo, commands: dict[str, str]) -> str:
    metric_rows = "\n".join(
        f"| validation {k.removeprefix('val_')} | {v:.4f} |" for k, v in info.metrics.items()
    )
    test_rows = "\n".join(f"| **test {k}** | **{v:.4f}** |" for k, v in info.test_metrics.items())
    source = info.source
    onnx = "not exported" if info.onnx_max_abs_diff is None else f"{info.onnx_max_abs_diff:.2e}"
    shape = ", ".join(map(str, info.input_shape))
    return f"""# {arch.summary()}

Exported by `nas export` from study `{source["study"]}`, trial {source["trial"]}
({"retrained on train + validation" if source["retrained"] else "weights from the search"}).

| | |
| --- | --- |
| data | {info.data} |
| task | {info.task}, input {tuple(info.input_shape)}, {info.num_outputs} outputs |
{metric_rows}
{test_rows}
| parameters | {info.n_params:,} |
| FLOPs per sample | {info.flops:,} |
| latency (batch 1, CPU, median) | {info.latency_ms:.3f} ms |
| ONNX vs PyTorch max abs diff | {onnx} |

The test metrics were computed at export time; the search itself never saw the test set.

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
) -> BundleInfo:
    """Verify and write the bundle for a trained ``model``; returns bundle.json's content."""
    from safetensors.torch import save_file

    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ExportError(
            f"--formats: unknown format {unknown[0]!r}; available: {', '.join(FORMATS)}"
        )
    model = model.cpu().eval()
    out.mkdir(parents=True, exist_ok=True)
    if (out / "bundle.json").exists():  # replacing an earlier bundle: leave none of its files
        for name in BUNDLE_FILES:
            (out / name).unlink(missing_ok=True)
    files = ["architecture.json", "weights.safetensors", "bundle.json", "README.md"]
    (out / "architecture.json").write_text(arch.to_json())
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(
        state,
        str(out / "weights.safetensors"),
        metadata={"architecture": arch.to_json(indent=None)},
    )

    sample = torch.from_numpy(dataset.x_val[:PARITY_BATCH])
    onnx_diff = None
    if "onnx" in formats:
        onnx_diff = export_onnx(model, sample, out / "model.onnx")
        if not onnx_diff <= ONNX_TOLERANCE:
            raise ExportError(
                f"ONNX parity check failed: max abs difference {onnx_diff:.3g} > {ONNX_TOLERANCE}"
            )
        files.append("model.onnx")
    if "torchscript" in formats:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # RNN shape checks are constants in a trace: fine here
            scripted = torch.jit.trace(model, sample[:1])
            difference = (scripted(sample) - model(sample)).abs().max().item()
        if difference > ONNX_TOLERANCE:
            raise ExportError(f"TorchScript check failed: max abs difference {difference:.3g}")
        scripted.save(str(out / "model.pt"))
        files.append("model.pt")
    if "python" in formats:
        (out / "model.py").write_text(standalone_source(model, arch.summary()))
        files.append("model.py")

    x_test, y_test = torch.from_numpy(dataset.x_test), torch.from_numpy(dataset.y_test)
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
        onnx_max_abs_diff=onnx_diff,
        files=sorted(files),
    )
    (out / "bundle.json").write_text(json.dumps(asdict(info), indent=2))
    (out / "README.md").write_text(_model_card(arch, info, commands))
    return info


def load(directory: str | Path) -> NASNet:
    """Rebuild an exported model (eval mode) from a bundle folder.

    Example::

        model = nas.load("best/")
        logits = model(torch.zeros(1, *model.report.input_shape))
    """
    from safetensors.torch import load_file

    folder = Path(directory)
    try:
        info = json.loads((folder / "bundle.json").read_text())
        arch = Architecture.from_json(
            (folder / "architecture.json").read_text(), str(folder / "architecture.json")
        )
    except FileNotFoundError as exc:
        raise ExportError(
            f"{folder}: not a nas bundle ({Path(exc.filename).name} is missing)"
        ) from None
    if info.get("format") != BUNDLE_FORMAT or info.get("version", 0) > BUNDLE_VERSION:
        raise ExportError(
            f"{folder}: bundle format {info.get('format')} v{info.get('version')} is not supported"
        )
    model = build_model(arch, tuple(info["input_shape"]), info["num_outputs"])
    model.load_state_dict(load_file(str(folder / "weights.safetensors")))
    return model.eval()
