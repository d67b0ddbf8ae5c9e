"""Optuna samplers by name, as study recipes and ``--sampler`` name them.

Each factory receives the recipe's options (passed to the sampler's constructor, so any
documented Optuna option works) and the study's seed and number of objectives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nas.base import RecipeError, Registry

if TYPE_CHECKING:
    import optuna


@dataclass(frozen=True)
class SamplerContext:
    """What a sampler factory knows about the study it serves."""

    seed: int | None  # the study's seed; None: unseeded
    n_objectives: int
    stream: tuple[int, ...] = ()  # differs between processes of one study (resumes, workers)

    @property
    def process_seed(self) -> int | None:
        """A seed of this process's own: samplers that draw from one RNG stream (TPE,
        random, ...) would otherwise repeat each other's draws across workers and resumes."""
        if self.seed is None:
            return None
        if not any(self.stream):
            return self.seed
        import numpy as np

        return int(np.random.SeedSequence([self.seed, *self.stream]).generate_state(1)[0])


SamplerFactory = Callable[[Mapping[str, Any], SamplerContext], "optuna.samplers.BaseSampler"]


@dataclass(frozen=True)
class SamplerEntry:
    """A registered sampler and what it supports."""

    factory: SamplerFactory
    multi_objective: bool  # whether it handles several objectives


SAMPLERS: Registry[SamplerEntry] = Registry("sampler")
list_samplers = SAMPLERS.names


def register_sampler(
    name: str, *, multi_objective: bool
) -> Callable[[SamplerFactory], SamplerFactory]:
    """Register a sampler factory under ``name``."""

    def decorator(factory: SamplerFactory) -> SamplerFactory:
        SAMPLERS.add(name, SamplerEntry(factory, multi_objective))
        return factory

    return decorator


def make_sampler(
    name: str, options: Mapping[str, Any], context: SamplerContext, where: str = "sampler"
) -> optuna.samplers.BaseSampler:
    """Construct sampler ``name``; a bad name or option is a :class:`RecipeError`."""
    try:
        entry = SAMPLERS.get(name)
    except ValueError as exc:
        raise RecipeError(f"{where}: {exc}") from None
    if context.n_objectives > 1 and not entry.multi_objective:
        multi = [n for n in SAMPLERS.names() if SAMPLERS.get(n).multi_objective]
        raise RecipeError(
            f"{where}: sampler {name!r} optimises one objective, this study has "
            f"{context.n_objectives}; use one of {', '.join(multi)}"
        )
    try:
        return entry.factory(options, context)
    except TypeError as exc:
        raise RecipeError(f"{where}.options: {exc}") from None


@register_sampler("tpe", multi_objective=True)
def _tpe(options, ctx):  # type: ignore[no-untyped-def]
    import optuna

    return optuna.samplers.TPESampler(seed=ctx.process_seed, **options)


@register_sampler("random", multi_objective=True)
def _random(options, ctx):  # type: ignore[no-untyped-def]
    import optuna

    return optuna.samplers.RandomSampler(seed=ctx.process_seed, **options)


@register_sampler("gp", multi_objective=True)
def _gp(options, ctx):  # type: ignore[no-untyped-def]
    import optuna

    return optuna.samplers.GPSampler(seed=ctx.process_seed, **options)


@register_sampler("cmaes", multi_objective=False)
def _cmaes(options, ctx):  # type: ignore[no-untyped-def]
    import optuna

    # categorical block choices fall back to independent sampling; that is expected here
    return optuna.samplers.CmaEsSampler(
        seed=ctx.process_seed, **{"warn_independent_sampling": False, **options}
    )


@register_sampler("nsga2", multi_objective=True)
def _nsga2(options, ctx):  # type: ignore[no-untyped-def]
    import optuna

    return optuna.samplers.NSGAIISampler(seed=ctx.process_seed, **options)


@register_sampler("qmc", multi_objective=True)
def _qmc(options, ctx):  # type: ignore[no-untyped-def]
    import optuna

    # the QMC sequence is indexed by trial number: every worker must share the seed
    return optuna.samplers.QMCSampler(
        seed=ctx.seed, **{"warn_independent_sampling": False, **options}
    )


@register_sampler("controller", multi_objective=True)
def _controller(options, ctx):  # type: ignore[no-untyped-def]
    from nas.samplers._controller import ControllerSampler

    # the policy is a function of the seed and the finished trials, and each trial's draws
    # are keyed by its number: every worker and resume must share the study's seed
    return ControllerSampler(seed=ctx.seed, **options)
