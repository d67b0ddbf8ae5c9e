"""NumericTPE: the controller's default inner sampler for the numeric ranges it delegates.

The controller decides categorical and small ranges itself and hands the wide numeric
ones (a learning rate, a weight decay) to an inner sampler over its trial window.
Optuna's ``TPESampler`` did that for 2.5-3.5 ms per trial, a quarter of the controller's
own cost (BENCHMARKS.md, "Platform overhead"), mostly in general machinery that a few
float and int ranges do not use. This is the same algorithm for those ranges, with
Optuna 5's single-objective defaults, at about half the cost:

- 10 random start-up trials;
- the good group is the best ``min(ceil(n / 10), 25)`` finished trials: complete ones by
  value, then pruned ones by the last step they reached and its value, then infeasible
  ones by their violation;
- observations older than the newest 25 weigh less, linearly;
- 24 candidates are drawn from the good trials' Parzen estimator (``_parzen.py``), and
  the one with the highest ratio of good to bad density wins;
- the ranges that every finished trial in the window shares are drawn jointly
  (relative sampling), the rest one at a time.

Unlike Optuna's sampler, each trial's draws come from a generator keyed by the seed and
the trial number, so a resumed study or another worker draws the same values for a trial
when the finished trials before it are the same. Multi-objective studies go to Optuna's
TPE, whose split ranks trials by non-domination.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, FloatDistribution, IntDistribution
from optuna.samplers import BaseSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from nas.samplers._controller._parzen import NumericDistribution, ParzenEstimator, Ranges

N_STARTUP_TRIALS = 10  # random trials before the estimator (Optuna's default)
N_EI_CANDIDATES = 24  # candidates scored per draw (Optuna's default)
_STATES = (TrialState.COMPLETE, TrialState.PRUNED)
_FORGET_EVERY = 200  # trials read before forgetting those that left the view


def good_count(n: int) -> int:
    """How many of ``n`` finished trials form the good group (Optuna's default gamma)."""
    return min(math.ceil(0.1 * n), 25)


def recency_weights(n: int) -> np.ndarray:
    """Weights of ``n`` observations, oldest first: all 1 up to 25, then the older ones
    ramp down linearly (Optuna's default weights)."""
    if n < 25:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, num=n - 25), np.ones(25)])


def violation(trial: FrozenTrial) -> float:
    """A trial's total constraint violation (0: feasible)."""
    return sum(v for v in trial.constraints.values() if v > 0)


@dataclass(frozen=True)
class _Finished:
    """What the sampler reads of a finished trial, once: finished trials do not change."""

    ranges: frozenset[tuple[str, tuple[Any, ...]]]  # its int/float ranges, hashable
    violation: float

    @classmethod
    def of(cls, trial: FrozenTrial) -> _Finished:
        ranges = frozenset(
            (name, (type(dist), *vars(dist).values()))
            for name, dist in trial.distributions.items()
            if isinstance(dist, (FloatDistribution, IntDistribution)) and not dist.single()
        )
        return cls(ranges, violation(trial))


def split(
    trials: Sequence[FrozenTrial],
    n_good: int,
    direction: StudyDirection,
    violation_of: Callable[[FrozenTrial], float] = violation,
) -> tuple[list[FrozenTrial], list[FrozenTrial]]:
    """The good and the bad finished trials, each in trial-number order.

    Feasible complete trials rank by value, then feasible pruned ones by the last step
    they reached (later first) and its intermediate value (a pruned trial with none ranks
    after those with some), then infeasible ones by their total violation."""
    sign = -1.0 if direction == StudyDirection.MAXIMIZE else 1.0
    complete, pruned, infeasible = [], [], []
    for trial in trials:
        excess = violation_of(trial)
        if excess > 0:
            infeasible.append((excess, trial))
        elif trial.state == TrialState.COMPLETE:
            complete.append((sign * trial.values[0], trial))
        elif trial.intermediate_values:
            step, value = max(trial.intermediate_values.items())
            pruned.append((-step, math.inf if math.isnan(value) else sign * value, trial))
        else:
            pruned.append((1, 0.0, trial))
    ranked = [
        *(t for *_, t in sorted(complete, key=lambda r: r[0])),
        *(t for *_, t in sorted(pruned, key=lambda r: r[:2])),
        *(t for *_, t in sorted(infeasible, key=lambda r: r[0])),
    ]
    good, bad = ranked[:n_good], ranked[n_good:]
    return sorted(good, key=lambda t: t.number), sorted(bad, key=lambda t: t.number)


class NumericTPE(BaseSampler):
    """Optuna's TPE (single-objective defaults) for int and float ranges, cheap per trial.

    Made for the controller's delegated ranges (``ControllerSampler(inner_sampler=...)``
    takes any sampler); it refuses categorical parameters, which the controller never
    delegates. Example::

        study = optuna.create_study(sampler=NumericTPE(seed=0))
        study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=40)
    """

    def __init__(self, seed: int | None = None) -> None:
        self._seed = int(np.random.SeedSequence().generate_state(1)[0]) if seed is None else seed
        self._multi_objective: BaseSampler | None = None
        self._finished: dict[int, _Finished] = {}  # by trial number, of one study:
        self._study: tuple[str, int] | None = None  # its name and id

    def _multi(self) -> BaseSampler:
        if self._multi_objective is None:
            self._multi_objective = optuna.samplers.TPESampler(seed=self._seed, constant_liar=False)
        return self._multi_objective

    def reseed_rng(self) -> None:
        """Nothing to reseed: each trial's draws are keyed by its number (and the seed)."""
        if self._multi_objective is not None:
            self._multi_objective.reseed_rng()

    def _rng(self, trial: FrozenTrial, names: Sequence[str]) -> np.random.Generator:
        key = zlib.crc32(",".join(names).encode())
        return np.random.default_rng([self._seed, trial.number, key])

    def _trials(self, study: Study) -> list[FrozenTrial]:
        """The finished trials in view (what was read of trials is kept per study)."""
        key = (study.study_name, study._study_id)
        if key != self._study:
            self._study, self._finished = key, {}
        return study._get_trials(deepcopy=False, states=_STATES)

    def _seen(self, trial: FrozenTrial) -> _Finished:
        seen = self._finished.get(trial.number)
        if seen is None:
            seen = self._finished[trial.number] = _Finished.of(trial)
        return seen

    def _forget_before(self, number: int) -> None:
        """Drop what was read of trials that have left the view (the window slides)."""
        if len(self._finished) > _FORGET_EVERY:
            self._finished = {n: f for n, f in self._finished.items() if n >= number}

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """The numeric ranges that every finished trial in view has, with one
        distribution, by name (Optuna's intersection search space, numeric ranges only)."""
        if len(study.directions) > 1:
            return self._multi().infer_relative_search_space(study, trial)
        trials = self._trials(study)
        if not trials:
            return {}
        self._forget_before(trials[0].number)
        common = frozenset.intersection(*(self._seen(t).ranges for t in trials))
        newest = trials[-1].distributions
        return {name: newest[name] for name in sorted(name for name, _ in common)}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if len(study.directions) > 1:
            return self._multi().sample_relative(study, trial, search_space)
        if not search_space:
            return {}
        trials = self._trials(study)
        if len(trials) < N_STARTUP_TRIALS:
            return {}  # start-up: sample_independent draws each at random
        return self._sample(trials, study.direction, trial, search_space)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if len(study.directions) > 1:
            return self._multi().sample_independent(study, trial, param_name, param_distribution)
        if not isinstance(param_distribution, (FloatDistribution, IntDistribution)):
            raise ValueError(
                f"NumericTPE samples int and float ranges only; {param_name!r} is "
                f"{param_distribution!r}"
            )
        trials = self._trials(study)
        space = {param_name: param_distribution}
        if len(trials) < N_STARTUP_TRIALS:
            ranges = Ranges.of([param_distribution])
            rng = self._rng(trial, [param_name])
            draw = ranges.untransform(rng.uniform(ranges.low, ranges.high)[None])[0, 0]
            return param_distribution.to_external_repr(float(draw))
        return self._sample(trials, study.direction, trial, space)[param_name]

    def _sample(
        self,
        trials: list[FrozenTrial],
        direction: StudyDirection,
        trial: FrozenTrial,
        space: dict[str, BaseDistribution],
    ) -> dict[str, Any]:
        names = list(space)
        dists: list[NumericDistribution] = [space[n] for n in names]  # type: ignore[misc]
        ranges = Ranges.of(dists)
        good, bad = split(
            trials, good_count(len(trials)), direction, lambda t: self._seen(t).violation
        )
        rng = self._rng(trial, names)
        below, above = self._fit(ranges, names, good), self._fit(ranges, names, bad)
        candidates = below.sample(rng, N_EI_CANDIDATES)
        best = candidates[np.argmax(below.log_pdf(candidates) - above.log_pdf(candidates))]
        return {n: d.to_external_repr(float(v)) for n, d, v in zip(names, dists, best, strict=True)}

    @staticmethod
    def _fit(ranges: Ranges, names: list[str], trials: list[FrozenTrial]) -> ParzenEstimator:
        """The estimator of the trials that have all ``names`` (weights by recency among
        them, as Optuna counts)."""
        wanted, rows = set(names), []
        for trial in trials:
            params = trial.params  # an int or float range's value is its own internal repr
            if wanted <= params.keys():
                rows.append([params[n] for n in names])
        observations = np.array(rows, dtype=float).reshape(len(rows), len(names))
        # values from before a range was narrowed (a resumed study with a new recipe) are
        # outside the model's support: left out
        inside = ((observations >= ranges.grid_low) & (observations <= ranges.grid_high)).all(1)
        if not inside.all():
            observations = observations[inside]
        return ParzenEstimator.fit(ranges, observations, recency_weights(len(observations)))
