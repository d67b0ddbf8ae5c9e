"""Optuna samplers by name, as study recipes and ``--sampler`` name them.

Each factory receives the recipe's options (passed to the sampler's constructor, so any
documented Optuna option works) and the study's seed and number of objectives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nas.base import RecipeError, Registry, check_options

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
    check_options(options, where)
    try:
        return entry.factory(options, context)
    except (TypeError, ValueError) as exc:  # an unknown option, or one Optuna refuses
        raise RecipeError(f"{where}.options: {exc}") from None


def optuna_sampler(
    class_name: str, *, shared_seed: bool = False, **defaults: Any
) -> SamplerFactory:
    """A factory of ``optuna.samplers.<class_name>``: the recipe's options over ``defaults``,
    seeded per process (``shared_seed``: with the study's seed, for samplers whose draws are
    indexed by trial number, so every worker and resume must share it)."""

    def make(options: Mapping[str, Any], ctx: SamplerContext) -> optuna.samplers.BaseSampler:
        import optuna

        seed = ctx.seed if shared_seed else ctx.process_seed
        return getattr(optuna.samplers, class_name)(seed=seed, **{**defaults, **options})

    return make


# categorical block choices make CMA-ES and QMC sample them independently: expected here
_QUIET = {"warn_independent_sampling": False}
for _name, _factory, _multi in (
    ("tpe", optuna_sampler("TPESampler"), True),
    ("random", optuna_sampler("RandomSampler"), True),
    ("gp", optuna_sampler("GPSampler"), True),
    ("cmaes", optuna_sampler("CmaEsSampler", **_QUIET), False),
    ("nsga2", optuna_sampler("NSGAIISampler"), True),
    ("qmc", optuna_sampler("QMCSampler", shared_seed=True, **_QUIET), True),
):
    SAMPLERS.add(_name, SamplerEntry(_factory, _multi))


@register_sampler("controller", multi_objective=True)
def _controller(options, ctx):  # type: ignore[no-untyped-def]
    from nas.samplers._controller import ControllerSampler

    # the policy is a function of the seed and the finished trials, and each trial's draws
    # are keyed by its number: every worker and resume must share the study's seed
    return ControllerSampler(seed=ctx.seed, **options)
