"""How each Optuna distribution becomes one categorical decision of the controller.

Categorical distributions and small int/stepped ranges are choices directly. Wide ranges
are cut into ``bins`` equal bins (in log space for log ranges); the controller picks a
bin and the value is drawn uniformly inside it, then snapped to the distribution's step.
Every value returned lies inside its distribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

MAX_DIRECT_CHOICES = 16  # int/stepped ranges with at most this many values are plain choices


@dataclass(frozen=True)
class Decision:
    """A distribution seen as ``n`` options, with the maps between options and values."""

    key: str  # identity of the softmax head: parameter name plus its distribution
    n: int

    def value(self, index: int, rng: np.random.Generator) -> Any:
        raise NotImplementedError

    def index(self, value: Any) -> int:
        raise NotImplementedError


@dataclass(frozen=True)
class Choices(Decision):
    """Options listed explicitly (categorical choices or every value of a small grid)."""

    options: tuple[Any, ...] = ()

    def value(self, index: int, rng: np.random.Generator) -> Any:
        return self.options[index]

    def index(self, value: Any) -> int:
        for i, option in enumerate(self.options):
            if option == value or (isinstance(option, float) and math.isclose(option, value)):
                return i
        raise ValueError(f"{value!r} is not one of {self.options}")


@dataclass(frozen=True)
class Bins(Decision):
    """A numeric range cut into ``n`` equal bins (in log space when ``log``)."""

    low: float = 0.0
    high: float = 1.0
    log: bool = False
    step: float | None = None
    integer: bool = False

    def _t(self, v: float) -> float:
        return math.log(v) if self.log else v

    def value(self, index: int, rng: np.random.Generator) -> Any:
        lo, hi = self._t(self.low), self._t(self.high)
        width = (hi - lo) / self.n
        t = lo + (index + rng.uniform()) * width
        v = math.exp(t) if self.log else t
        if self.step is not None:
            v = self.low + round((v - self.low) / self.step) * self.step
        v = min(max(v, self.low), self.high)
        if self.integer:
            return round(v)
        return float(v)

    def index(self, value: Any) -> int:
        lo, hi = self._t(self.low), self._t(self.high)
        position = (self._t(float(value)) - lo) / (hi - lo) * self.n
        return min(max(math.floor(position), 0), self.n - 1)


def _grid(dist: IntDistribution | FloatDistribution) -> list[Any] | None:
    """Every value of an int or stepped float range, if there are few enough."""
    if isinstance(dist, IntDistribution):
        if dist.log:
            return None
        count = (dist.high - dist.low) // dist.step + 1
        return (
            list(range(dist.low, dist.high + 1, dist.step)) if count <= MAX_DIRECT_CHOICES else None
        )
    if dist.step is None:
        return None
    count = round((dist.high - dist.low) / dist.step) + 1
    if count > MAX_DIRECT_CHOICES:
        return None
    return [min(dist.low + i * dist.step, dist.high) for i in range(count)]


def decision_for(
    name: str, dist: BaseDistribution, bins: int, delegate_numeric: bool
) -> Decision | None:
    """The decision for ``dist``, or None when an inner sampler should handle it."""
    key = f"{name}|{dist!r}"
    if isinstance(dist, CategoricalDistribution):
        return Choices(key, len(dist.choices), tuple(dist.choices))
    if not isinstance(dist, (IntDistribution, FloatDistribution)):
        return None
    grid = _grid(dist)
    if grid is not None:
        return Choices(key, len(grid), tuple(grid))
    if delegate_numeric:
        return None
    step = float(dist.step) if dist.step is not None and not dist.log else None
    return Bins(
        key,
        bins,
        float(dist.low),
        float(dist.high),
        dist.log,
        step,
        isinstance(dist, IntDistribution),
    )
