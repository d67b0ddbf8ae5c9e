"""Which trial is best: the objective first, then the validation loss.

On small data many trials reach the same validation accuracy (1.0 on 13 series); Optuna's
``study.best_trial`` then returns the first of them, whichever got lucky first. Here a
tie on the objective goes to the lower validation loss (a model that is right *and*
confident), then to the earlier trial. ``nas best``, ``nas export`` and the dashboard's
study note all choose through :func:`best_trial`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from nas.config import VAL_LOSS
from nas.study._record import TrialRecord

if TYPE_CHECKING:
    import optuna


def _feasible(trial: optuna.trial.FrozenTrial) -> bool:
    return all(v <= 0 for v in trial.constraints.values())


def _loss(trial: optuna.trial.FrozenTrial) -> float:
    loss = TrialRecord.read(trial).metrics.get(VAL_LOSS, math.inf)
    return loss if math.isfinite(loss) else math.inf


def candidates(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """Complete, feasible trials of a single-objective study."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return [t for t in trials if _feasible(t) and t.value is not None and math.isfinite(t.value)]


def best_trial(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    """The best complete feasible trial of a single-objective study (None: none yet)."""
    from optuna.study import StudyDirection

    trials = candidates(study)
    if not trials:
        return None
    sign = 1.0 if study.direction == StudyDirection.MAXIMIZE else -1.0
    return max(trials, key=lambda t: (sign * t.value, -_loss(t), -t.number))  # type: ignore[operator]


def tied_with(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> list[int]:
    """Numbers of the other complete trials with exactly ``trial``'s objective value."""
    return [t.number for t in candidates(study)
            if t.value == trial.value and t.number != trial.number]  # fmt: skip


def tie_note(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> str | None:
    """``"5 trials tie at val_acc 1; #7 has the lowest val_loss (0.031)"`` (None: no tie)."""
    others = tied_with(study, trial)
    if not others:
        return None
    name = (study.metric_names or ["value"])[0]
    loss = _loss(trial)
    chosen = f"#{trial.number} has the lowest {VAL_LOSS}"
    chosen += f" ({loss:.4g})" if math.isfinite(loss) else ""
    return f"{len(others) + 1} trials tie at {name} {trial.value:.4g}; {chosen}"
