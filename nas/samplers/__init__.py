"""Samplers: the factory of Optuna samplers by name (the RNN controller joins it later)."""

from nas.samplers._factory import SamplerContext, list_samplers, make_sampler, register_sampler

__all__ = ["SamplerContext", "list_samplers", "make_sampler", "register_sampler"]
