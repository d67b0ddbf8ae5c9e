"""Rewards for REINFORCE: direction-aware, scale-free, defined for every trial state.

Each objective value becomes its rank among the values seen before it, mapped to
[-1, 1] (+1: better than all earlier trials, -1: worse than all), so neither the
objective's scale nor its outliers matter, and minimising is ranking by ``-value``.
Multi-objective studies use a weighted mean of the per-objective ranks (equal weights
by default). A failed trial, or one without a value, gets ``failure_reward``; a trial
violating a constraint (any ``trial.constraints`` value > 0) gets ``infeasible_reward``.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence

from optuna.study import StudyDirection
from optuna.trial import TrialState


class RankReward:
    """Turns finished trials into rewards in [-1, 1], in the order they are observed."""

    def __init__(
        self,
        failure_reward: float,
        infeasible_reward: float,
        weights: Sequence[float] | None = None,
    ) -> None:
        self.failure_reward = failure_reward
        self.infeasible_reward = infeasible_reward
        self.weights = list(weights) if weights is not None else None
        self._seen: list[list[float]] = []  # per objective, sorted "higher is better" scores

    def _rank(self, i: int, score: float, record: bool) -> float:
        seen = self._seen[i]
        if not seen:
            reward = 0.0
        else:
            below = bisect.bisect_left(seen, score)
            ties = bisect.bisect_right(seen, score) - below
            reward = 2.0 * (below + 0.5 * ties) / len(seen) - 1.0
        if record:
            bisect.insort(seen, score)
        return reward

    def score(
        self,
        state: TrialState,
        values: Sequence[float] | None,
        constraints: Mapping[str, float],
        directions: Sequence[StudyDirection],
        record: bool = False,
    ) -> float:
        """The reward of a trial; with ``record`` its values join the ranking of later ones."""
        if not self._seen:
            self._seen = [[] for _ in directions]
        if state == TrialState.FAIL or values is None or len(values) != len(directions):
            return self.failure_reward
        ranks = [
            self._rank(i, v if d == StudyDirection.MAXIMIZE else -v, record)
            for i, (v, d) in enumerate(zip(values, directions, strict=True))
        ]
        if any(c > 0 for c in constraints.values()):
            return self.infeasible_reward
        weights = self.weights or [1.0] * len(ranks)
        return sum(w * r for w, r in zip(weights, ranks, strict=True)) / sum(weights)
