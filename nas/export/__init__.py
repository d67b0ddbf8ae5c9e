"""Export a trial as a verified, deployable bundle; ``load`` reads one back (imports torch)."""

from nas.export._bundle import FORMATS, BundleInfo, export_onnx, load, write_bundle
from nas.export._codegen import standalone_source
from nas.export._export import ExportRequest, export_trial
from nas.export._select import PickRule, select_trial

__all__ = [
    "FORMATS",
    "BundleInfo",
    "ExportRequest",
    "PickRule",
    "export_onnx",
    "export_trial",
    "load",
    "select_trial",
    "standalone_source",
    "write_bundle",
]
