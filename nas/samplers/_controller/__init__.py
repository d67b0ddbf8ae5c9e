"""The RNN controller sampler (imports torch)."""

from nas.samplers._controller._record import ATTR, ControllerRecord
from nas.samplers._controller._sampler import ControllerSampler

__all__ = ["ATTR", "ControllerRecord", "ControllerSampler"]
