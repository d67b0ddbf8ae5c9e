"""Learning more from each trial: PPO's clipped updates over a replay of finished trials.

One REINFORCE step per trial learns from tens of rewards where Zoph & Le used 12,800. So
after each finished trial the policy takes ``epochs`` clipped policy-gradient steps (PPO,
Schulman et al. 2017; used for NAS by Zoph et al. 2018) over the last ``size`` finished
trials, each decision weighted by the ratio of its probability now to its probability
under the policy that drew it (uniform for the random start-up trials, which are so
learned from off-policy). Ratios are per decision, not per trial: a product over 17
decisions leaves the clip range after one step, and the trial stops teaching anything.
A trial's reward is re-ranked against every trial seen so far at each update, and the
advantages are standardized over the replay, so the policy keeps being pushed
from the worse recent trials toward the better ones. The entropy bonus starts high and
decays, so a few lucky early trials cannot collapse the policy.

Everything here is a deterministic function of the trials' order and stored records, so
a resumed study and every worker build the same policy.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch
from optuna.study import StudyDirection
from optuna.trial import TrialState
from torch import Tensor

from nas.samplers._controller._adam import PolicyAdam
from nas.samplers._controller._policy import Policy
from nas.samplers._controller._reward import RankReward

Loss = Callable[[Tensor, Tensor, Tensor], Tensor]  # (log_prob, valid, count) -> loss


@dataclass(frozen=True)
class Experience:
    """One finished trial as the learner replays it."""

    keys: list[str]  # decision keys, in order
    indices: list[int]  # the choice made at each
    behaviour: list[float]  # each choice's log-probability under the policy that drew it
    state: TrialState
    values: Sequence[float] | None
    constraints: Mapping[str, float]


@dataclass(frozen=True)
class ReplayConfig:
    """How much each finished trial teaches the policy."""

    size: int = 64  # finished trials replayed at each update
    epochs: int = 4  # clipped gradient steps per finished trial
    clip: float = 0.2  # PPO's ratio clip
    entropy_start: float = 0.05  # entropy bonus at the first trial ...
    anneal: int = 50  # ... decaying linearly to the sampler's entropy_weight over these trials


class ReplayLearner:
    """Keeps the replay and takes the steps, on the sampler's policy and optimizer."""

    def __init__(
        self,
        config: ReplayConfig,
        policy: Policy,
        optimizer: PolicyAdam,
        rewards: RankReward,
    ) -> None:
        self.config, self.policy, self.optimizer, self.rewards = config, policy, optimizer, rewards
        self.replay: deque[Experience] = deque(maxlen=config.size)

    def entropy_weight(self, learned: int, final: float) -> float:
        """The entropy bonus after ``learned`` trials: linear from the start to ``final``."""
        left = max(0.0, 1.0 - learned / max(1, self.config.anneal))
        return final + (self.config.entropy_start - final) * left

    def _score(self, e: Experience, directions: Sequence[StudyDirection]) -> float:
        return self.rewards.score(e.state, e.values, e.constraints, directions)

    def _steps(self, loss: Loss, entropy_weight: float) -> None:
        """``epochs`` steps on ``loss(log_prob, valid, ...)`` minus the entropy bonus, each
        over the whole replay in one batched pass of the policy."""
        sequences = [(e.keys, e.indices) for e in self.replay]
        for _ in range(self.config.epochs):
            log_prob, entropy, valid = self.policy.sequences(sequences)
            count = valid.sum()
            total = loss(log_prob, valid, count) - entropy_weight * entropy.sum() / count
            self.optimizer.zero_grad()
            total.backward()
            self.optimizer.step()

    def imitate(
        self, experience: Experience, directions: Sequence[StudyDirection], entropy_weight: float
    ) -> None:
        """Priority-queue training (Abolafia et al. 2018): keep the ``size`` best trials
        so far (of those better than the median) and take ``epochs`` steps raising their
        likelihood."""
        if experience.keys and experience.state == TrialState.COMPLETE:
            self.replay.append(experience)
        # the best trials so far, and only those better than most (a queue padded with
        # poor trials would teach the policy to repeat them)
        scored = [(self._score(e, directions), e) for e in self.replay]
        ranked = sorted((pair for pair in scored if pair[0] > 0), key=lambda pair: -pair[0])
        self.replay = deque([e for _, e in ranked[: self.config.size]], maxlen=self.config.size)
        if self.replay:
            self._steps(lambda log_prob, valid, count: -log_prob.sum() / count, entropy_weight)

    def learn(
        self, experience: Experience, directions: Sequence[StudyDirection], entropy_weight: float
    ) -> None:
        """Add ``experience`` and take the clipped steps over the replay."""
        if experience.keys:
            self.replay.append(experience)
        if not self.replay:
            return
        scores = torch.tensor([self._score(e, directions) for e in self.replay])
        advantage = scores - scores.mean()
        if len(scores) > 1:
            advantage = advantage / (scores.std() + 1e-6)
        steps = max(len(e.keys) for e in self.replay)
        behaviour = torch.zeros(steps, len(self.replay))
        for b, e in enumerate(self.replay):
            behaviour[: len(e.behaviour), b] = torch.tensor(e.behaviour)
        clip = self.config.clip

        def clipped(log_prob: Tensor, valid: Tensor, count: Tensor) -> Tensor:
            ratio = torch.exp((log_prob - behaviour).clamp(max=20.0))
            surrogate = torch.minimum(
                ratio * advantage, ratio.clamp(1.0 - clip, 1.0 + clip) * advantage
            )
            return -(surrogate * valid).sum() / count

        self._steps(clipped, entropy_weight)
