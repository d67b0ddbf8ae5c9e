"""Export formats: one registry entry per file a bundle may hold beyond the weights.

Each format writes its file for a trained model and checks it against PyTorch on real
inputs; a format that cannot reproduce the model's outputs fails the export. A new format
is one registration (here, or in a plugin)::

    @register_format("tflite", "model.tflite")
    def _tflite(model, sample, path, title) -> float | None: ...
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nas.base import ExportError, Registry

if TYPE_CHECKING:
    import torch

    from nas.builder import NASNet

ONNX_OPSET = 17  # a current opset every onnxruntime release of the last years runs
TOLERANCE = 1e-4  # max abs difference allowed between an exported model and PyTorch (fp32)
ONNX_TOLERANCE = TOLERANCE

# (model in eval mode on the CPU, sample inputs, file to write, model title) -> max abs
# difference to PyTorch on the sample, or None for a format that runs no model (code)
WriteFn = Callable[["NASNet", "torch.Tensor", Path, str], "float | None"]


@dataclass(frozen=True)
class ExportFormat:
    """A registered export format."""

    name: str  # as ``--formats`` names it
    filename: str  # the file it writes in the bundle
    write: WriteFn


FORMATS: Registry[ExportFormat] = Registry("format")
list_formats = FORMATS.names


def register_format(name: str, filename: str) -> Callable[[WriteFn], WriteFn]:
    """Register the decorated writer as export format ``name`` writing ``filename``."""

    def decorator(write: WriteFn) -> WriteFn:
        FORMATS.add(name, ExportFormat(name, filename, write))
        return write

    return decorator


def check_parity(name: str, difference: float) -> float:
    """``difference`` if within :data:`TOLERANCE`, else an :class:`ExportError`."""
    if not difference <= TOLERANCE:
        raise ExportError(
            f"{name} parity check failed: max abs difference {difference:.3g} > {TOLERANCE}"
        )
    return difference


@register_format("onnx", "model.onnx")
def export_onnx(model: NASNet, sample: torch.Tensor, path: Path, title: str = "") -> float:
    """Write ``model`` as ONNX and return the max abs difference to PyTorch on ``sample``.

    Uses the TorchScript-based exporter: it handles every block family (LSTM/GRU
    included) with a dynamic batch dimension and needs no extra package.
    """
    import numpy as np
    import onnxruntime
    import torch

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


@register_format("torchscript", "model.pt")
def _torchscript(model: NASNet, sample: torch.Tensor, path: Path, title: str) -> float:
    import torch

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # RNN shape checks are constants in a trace: fine here
        scripted = torch.jit.trace(model, sample[:1])
        difference = (scripted(sample) - model(sample)).abs().max().item()
    scripted.save(str(path))
    return difference


@register_format("python", "model.py")
def _python(model: NASNet, sample: torch.Tensor, path: Path, title: str) -> None:
    from nas.export._codegen import standalone_source

    path.write_text(standalone_source(model, title))
    return None
