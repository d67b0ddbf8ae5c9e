"""Export a trial as a verified, deployable bundle; ``load`` reads one back.

The export-format registry is light; writing or loading a bundle imports torch on first use.
"""

import sys
import types
from typing import Any

from nas.base import lazy_exports
from nas.export._formats import (
    FORMATS,
    ONNX_TOLERANCE,
    TOLERANCE,
    ExportFormat,
    export_onnx,
    list_formats,
    register_format,
)

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        **dict.fromkeys(
            ("BundleInfo", "bundle_files", "check_formats", "write_bundle"),
            "nas.export._bundle",
        ),
        "load": "nas.export._load",
        "standalone_source": "nas.export._codegen",
        "export": "nas.export._api",
        **dict.fromkeys(
            (
                "ExportRequest",
                "export_trial",
                "fold_ensemble",
                "check_request",
                "check_not_collapsed",
                "retrain_passes",
                "retrained",
                "trials_ensemble",
            ),
            "nas.export._export",
        ),
        **dict.fromkeys(("PickRule", "select_trial"), "nas.export._select"),
    },
)

__all__ = [
    "FORMATS",
    "ONNX_TOLERANCE",
    "TOLERANCE",
    "BundleInfo",
    "ExportFormat",
    "ExportRequest",
    "PickRule",
    "bundle_files",
    "check_formats",
    "check_not_collapsed",
    "check_request",
    "export",
    "export_onnx",
    "export_trial",
    "fold_ensemble",
    "list_formats",
    "load",
    "register_format",
    "retrain_passes",
    "retrained",
    "select_trial",
    "standalone_source",
    "trials_ensemble",
    "write_bundle",
]


class _CallablePackage(types.ModuleType):
    """``nas.export`` is this package and, called, the function ``nas.export(study, out)``
    (Python binds a package's name on its parent when it is imported, so the two must be
    one object)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.export(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
