"""Builds an ``nn.Module`` from an Architecture, and applies weight initialisations.

Importing the package is light (the torch-free ``_init`` registers the initialisations of
``nas.config.INITS``); the builder itself imports torch on first use.
"""

from nas.base import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        **dict.fromkeys(
            ("LayerInfo", "ModelReport", "NASNet", "build_model", "with_raw_inputs"),
            "nas.builder._build",
        ),
        **dict.fromkeys(("count_flops", "measure_latency_ms"), "nas.builder._profile"),
        **dict.fromkeys(("Ensemble", "make_ensemble"), "nas.builder._ensemble"),
        "apply_init": "nas.builder._init",
        "SuperNet": "nas.builder._supernet",
        **dict.fromkeys(
            ("MAX_PARAMS", "MemoryEstimate", "check_fits", "memory_needed"), "nas.builder._fits"
        ),
    },
)

__all__ = [
    "MAX_PARAMS",
    "Ensemble",
    "LayerInfo",
    "MemoryEstimate",
    "ModelReport",
    "NASNet",
    "SuperNet",
    "apply_init",
    "build_model",
    "check_fits",
    "count_flops",
    "make_ensemble",
    "measure_latency_ms",
    "memory_needed",
    "with_raw_inputs",
]
