"""The documented ranges of the sampler and pruner options a recipe passes through to
Optuna (and to nas's controller), checked before a constructor sees them.

Optuna's constructors accept many out-of-range values silently (``n_startup_trials: -3``
behaves like 0; ``sigma0: -1`` fails deep inside CMA-ES at the first trial) and NaN slips
through every comparison. So every number must be finite, and each option below must lie
in its range; an option not listed only has to be finite.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nas.base._errors import RecipeError


@dataclass(frozen=True)
class Range:
    """What one option accepts."""

    low: float | None = None
    high: float | None = None
    integer: bool = False
    open_low: bool = False  # low itself is excluded (``sigma0 > 0``)
    nullable: bool = False

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a number"
        bounds = []
        if self.low is not None:
            bounds.append(f"{'>' if self.open_low else '>='} {self.low:g}")
        if self.high is not None:
            bounds.append(f"<= {self.high:g}")
        null = " or null" if self.nullable else ""
        return f"{kind} {' and '.join(bounds)}{null}".strip()

    def accepts(self, value: Any) -> bool:
        if value is None:
            return self.nullable
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.integer and not isinstance(value, int):
            return False
        if not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.open_low else value < self.low):
            return False
        return self.high is None or value <= self.high


COUNT = Range(0, integer=True)
POSITIVE_COUNT = Range(1, integer=True)
PROBABILITY = Range(0, 1, nullable=True)
POSITIVE = Range(0, open_low=True)
# Optuna's documentation of TPE, GP, CMA-ES, NSGA-II, QMC and the pruners; the controller's
OPTION_RANGES: dict[str, Range] = {
    "n_startup_trials": COUNT,
    "n_ei_candidates": POSITIVE_COUNT,
    "prior_weight": POSITIVE,
    "sigma0": Range(0, open_low=True, nullable=True),
    "popsize": Range(1, integer=True, nullable=True),
    "inc_popsize": Range(1, integer=True),
    "n_restarts": Range(-1, integer=True),  # -1: no restarts
    "population_size": Range(2, integer=True),
    "mutation_prob": PROBABILITY,
    "crossover_prob": Range(0, 1),
    "swapping_prob": Range(0, 1),
    "n_warmup_steps": COUNT,
    "interval_steps": POSITIVE_COUNT,
    "n_min_trials": POSITIVE_COUNT,
    "percentile": Range(0, 100),
    "min_resource": Range(1, integer=True),
    "max_resource": Range(1, integer=True),
    "reduction_factor": Range(2, integer=True),
    "min_early_stopping_rate": COUNT,
    "bootstrap_count": COUNT,
    "hidden_size": POSITIVE_COUNT,
    "lr": POSITIVE,
    "entropy_weight": Range(0),
    "baseline_decay": Range(0, 1),
    "temperature": POSITIVE,
    "tanh_constant": Range(0, open_low=True, nullable=True),
    "bins": Range(2, integer=True),
    "inner_window": Range(1, integer=True, nullable=True),
    "failure_reward": Range(),
    "infeasible_reward": Range(),
    "warmup": Range(0, integer=True, nullable=True),
    "replay": POSITIVE_COUNT,
    "ppo_epochs": POSITIVE_COUNT,
    "clip": POSITIVE,
    "entropy_start": Range(0),
    "anneal": POSITIVE_COUNT,
}
AUTO = ("auto",)  # e.g. max_resource: auto


def check_options(options: Mapping[str, Any], where: str) -> None:
    """Raise :class:`RecipeError` naming ``where.options.KEY`` for a value out of its range."""
    for key, value in options.items():
        path = f"{where}.options.{key}"
        rule = OPTION_RANGES.get(key)
        if rule is not None and value not in AUTO and not rule.accepts(value):
            raise RecipeError(f"{path}: expected {rule.describe()}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise RecipeError(f"{path}: expected a finite number, got {value!r}")
        if isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if isinstance(item, float) and not math.isfinite(item):
                    raise RecipeError(f"{path}[{i}]: expected a finite number, got {item!r}")
