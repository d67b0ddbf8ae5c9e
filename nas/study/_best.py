"""Which trial is best: the objective, its standard error over folds, then the loss.

On small data many trials reach the same validation accuracy (1.0 on 13 series); Optuna's
``study.best_trial`` then returns the first of them, whichever got lucky first. Here a
tie on the objective goes to the lower validation loss (a model that is right *and*
confident), then to the earlier trial.

Cross-validated trials carry the spread of their folds, and the best fold mean of many
trials is biased upwards (the winner is partly the luckiest). There the one-standard-error
rule (Breiman et al. 1984; Hastie, Tibshirani & Friedman, *Elements of Statistical
Learning*, 7.10) applies: of the trials whose mean is within one standard error of the
best, the one with the fewest trainable parameters is chosen; differences smaller than
the noise of the estimate do not buy complexity. ``nas best``, ``nas export`` and the
dashboard's study note all choose through :func:`rank`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nas.config import VAL_LOSS

if TYPE_CHECKING:
    import optuna

# the user attributes a Candidate is made of (TrialRecord fields)
RANKING_ATTRS = ("metrics", "metrics_sd", "folds", "n_params")


@dataclass(frozen=True)
class Candidate:
    """What ranking needs of one complete, feasible trial."""

    number: int
    value: float
    loss: float = math.inf  # validation loss (inf when unknown)
    se: float = 0.0  # standard error of the value over folds (0: one validation split)
    params: float = math.inf  # trainable parameters (inf when unknown)

    @classmethod
    def of(cls, number: int, value: float, attrs: Mapping[str, Any], metric: str) -> Candidate:
        """The candidate a trial's stored user attributes (``RANKING_ATTRS``) describe."""
        sd = attrs.get("metrics_sd") or {}
        folds = len(attrs.get("folds") or ())
        spread = sd.get(metric) if isinstance(sd, dict) else None
        se = (
            float(spread) / math.sqrt(folds - 1)  # pstdev over K folds -> SE of the mean
            if folds > 1 and isinstance(spread, int | float) and math.isfinite(spread)
            else 0.0
        )
        params = attrs.get("n_params")
        return cls(
            number, value, loss_of(attrs.get("metrics")), se,
            float(params) if isinstance(params, int | float) else math.inf,
        )  # fmt: skip


def _top(candidates: Sequence[Candidate], sign: float) -> Candidate | None:
    return max(candidates, key=lambda c: (sign * c.value, -c.loss, -c.number), default=None)


def _within_one_se(candidates: Sequence[Candidate], top: Candidate, sign: float) -> list[Candidate]:
    return [c for c in candidates if sign * c.value >= sign * top.value - top.se]


def rank(candidates: Sequence[Candidate], maximize: bool) -> Candidate | None:
    """The best candidate. Without a standard error (one validation split): the best
    objective, then the lower loss, then the earlier trial. With one (cross-validation):
    the fewest parameters among those within one standard error of that trial, then the
    better objective, the lower loss, the earlier trial."""
    sign = 1.0 if maximize else -1.0
    top = _top(candidates, sign)
    if top is None or not top.se > 0:
        return top
    band = _within_one_se(candidates, top, sign)
    return min(band, key=lambda c: (c.params, -sign * c.value, c.loss, c.number))


def choice_text(
    candidates: Sequence[Candidate], best: Candidate, metric: str, maximize: bool
) -> str | None:
    """How ``best`` was chosen when it was a choice (None: it is simply the best), e.g.
    ``"5 trials tie at val_acc 1; #7 has the lowest val_loss (0.031)"`` or ``"#4 has the
    fewest parameters (12,010) of 3 trials within one standard error (0.021) of the best
    val_acc 0.77 (#9)"``."""
    sign = 1.0 if maximize else -1.0
    top = _top(candidates, sign)
    if top is not None and top.number != best.number:
        band = _within_one_se(candidates, top, sign)
        return (
            f"#{best.number} has the fewest parameters ({best.params:,.0f}) of {len(band)} "
            f"trials within one standard error ({top.se:.2g}) of the best {metric} "
            f"{top.value:.4g} (#{top.number})"
        )
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


def complete_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """Complete, feasible trials of a single-objective study."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return [t for t in trials if _feasible(t) and t.value is not None and math.isfinite(t.value)]


def _candidate(trial: optuna.trial.FrozenTrial, metric: str) -> Candidate:
    # TrialRecord's fields are stored under their own names: the SQL path reads the same
    return Candidate.of(trial.number, float(trial.value), trial.user_attrs, metric)  # type: ignore[arg-type]


def _metric(study: optuna.Study) -> str:
    return (study.metric_names or ["value"])[0]


def _maximize(study: optuna.Study) -> bool:
    from optuna.study import StudyDirection

    return study.direction == StudyDirection.MAXIMIZE


def choose(study: optuna.Study) -> tuple[optuna.trial.FrozenTrial | None, str | None]:
    """The best complete feasible trial of a single-objective study (None: none yet) and
    how it was chosen when it was a choice (:func:`choice_text`), from one ranking."""
    trials = {t.number: t for t in complete_trials(study)}
    metric, maximize = _metric(study), _maximize(study)
    pool = [_candidate(t, metric) for t in trials.values()]
    best = rank(pool, maximize)
    if best is None:
        return None, None
    return trials[best.number], choice_text(pool, best, metric, maximize)


def best_trial(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    """The best complete feasible trial of a single-objective study (None: none yet)."""
    return choose(study)[0]


def choice_note(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> str | None:
    """How :func:`best_trial` chose ``trial`` when it was a choice (:func:`choice_text`)."""
    metric = _metric(study)
    pool = [_candidate(t, metric) for t in complete_trials(study)]
    return choice_text(pool, _candidate(trial, metric), metric, _maximize(study))
