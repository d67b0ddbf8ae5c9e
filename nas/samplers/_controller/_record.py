"""What the controller stores on each trial it sampled: one user attr, one schema."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from optuna.study import Study
from optuna.trial import FrozenTrial

from nas.base.optuna_compat import set_trial_user_attr

ATTR = "controller"  # the trial user attr holding a ControllerRecord


@dataclass(frozen=True)
class ControllerRecord:
    """The decision order and diagnostics of one trial's rollout."""

    decisions: list[str]  # parameter names the policy decided, in suggest order
    log_prob: float  # log-probability of the sampled decisions under the policy
    entropy: float  # summed entropy of the decisions' distributions
    reward: float  # the trial's reward in [-1, 1]
    baseline: float  # the moving-average baseline when the trial ended
    learned_from: int  # trials the policy had learned from when it sampled this one
    log_probs: list[float] | None = None  # each decision's log-probability (ppo replays them)

    def write(self, study: Study, trial: FrozenTrial) -> None:
        set_trial_user_attr(study, trial, ATTR, asdict(self))

    @classmethod
    def read(cls, trial: FrozenTrial) -> ControllerRecord | None:
        """The record, or None for a trial the controller did not finish sampling (another
        sampler's, an enqueued one, or one whose process died)."""
        raw = trial.user_attrs.get(ATTR)
        if not isinstance(raw, dict):
            return None
        return cls(**{f.name: raw[f.name] for f in fields(cls) if f.name in raw})
