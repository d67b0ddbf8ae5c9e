"""Which trial is best: the objective first, then the validation loss.

On small data many trials reach the same validation accuracy (1.0 on 13 series); Optuna's
``study.best_trial`` then returns the first of them, whichever got lucky first. Here a
tie on the objective goes to the lower validation loss (a model that is right *and*
confident), then to the earlier trial. ``nas best``, ``nas export`` and the dashboard's
study note all choose through :func:`best_trial`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nas.config import VAL_LOSS
from nas.study._record import TrialRecord

if TYPE_CHECKING:
    import optuna


@dataclass(frozen=True)
class Candidate:
    """What ranking needs of one complete, feasible trial."""

    number: int
    value: float
    loss: float  # validation loss (inf when unknown)


def rank(candidates: Sequence[Candidate], maximize: bool) -> Candidate | None:
    """The best candidate: objective first, then the lower loss, then the earlier trial."""
    sign = 1.0 if maximize else -1.0
    return max(candidates, key=lambda c: (sign * c.value, -c.loss, -c.number), default=None)


def tie_text(candidates: Sequence[Candidate], best: Candidate, metric: str) -> str | None:
    """``"5 trials tie at val_acc 1; #7 has the lowest val_loss (0.031)"`` (None: no tie)."""
    tied = [c for c in candidates if c.value == best.value and c.number != best.number]
    if not tied:
        return None
    chosen = f"#{best.number} has the lowest {VAL_LOSS}"
    chosen += f" ({best.loss:.4g})" if math.isfinite(best.loss) else ""
    return f"{len(tied) + 1} trials tie at {metric} {best.value:.4g}; {chosen}"


def loss_of(metrics: Any) -> float:
    """The validation loss in a stored ``metrics`` record (inf when absent or not finite)."""
    loss = metrics.get(VAL_LOSS, math.inf) if isinstance(metrics, dict) else math.inf
    return float(loss) if math.isfinite(loss) else math.inf


def _feasible(trial: optuna.trial.FrozenTrial) -> bool:
    return all(v <= 0 for v in trial.constraints.values())


def candidates(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """Complete, feasible trials of a single-objective study."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return [t for t in trials if _feasible(t) and t.value is not None and math.isfinite(t.value)]


def _candidate(trial: optuna.trial.FrozenTrial) -> Candidate:
    return Candidate(trial.number, float(trial.value), loss_of(TrialRecord.read(trial).metrics))  # type: ignore[arg-type]


def _maximize(study: optuna.Study) -> bool:
    from optuna.study import StudyDirection

    return study.direction == StudyDirection.MAXIMIZE


def best_trial(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    """The best complete feasible trial of a single-objective study (None: none yet)."""
    trials = {t.number: t for t in candidates(study)}
    best = rank([_candidate(t) for t in trials.values()], _maximize(study))
    return trials[best.number] if best is not None else None


def tie_note(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> str | None:
    """``"5 trials tie at val_acc 1; #7 has the lowest val_loss (0.031)"`` (None: no tie)."""
    name = (study.metric_names or ["value"])[0]
    return tie_text([_candidate(t) for t in candidates(study)], _candidate(trial), name)
