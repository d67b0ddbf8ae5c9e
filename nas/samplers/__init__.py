"""Samplers: the RNN controller and the factory of Optuna samplers by name.

``ControllerSampler`` imports torch, so it loads on first use.
"""

from nas.base import lazy_exports
from nas.samplers._factory import (
    SAMPLERS,
    SamplerContext,
    list_samplers,
    make_sampler,
    register_sampler,
)

__getattr__, __dir__ = lazy_exports(
    __name__, dict.fromkeys(("ControllerSampler", "ControllerRecord"), "nas.samplers._controller")
)

__all__ = [
    "SAMPLERS",
    "ControllerRecord",
    "ControllerSampler",
    "SamplerContext",
    "list_samplers",
    "make_sampler",
    "register_sampler",
]
