"""Which trial to export: a number, the best, or a rule over the Pareto front."""

from __future__ import annotations

import re
from dataclasses import dataclass

import optuna

from nas.base import ExportError
from nas.config import METRICS, cost_metrics
from nas.study import TrialRecord, best_trial

TrialState = optuna.trial.TrialState
_LIMIT = re.compile(r"^\s*(\w+)\s*<=\s*([0-9.eE+-]+)\s*$")


@dataclass(frozen=True)
class PickRule:
    """``METRIC[,NAME<=LIMIT...]``: the best METRIC among front trials within the limits."""

    metric: str
    limits: tuple[tuple[str, float], ...]

    @classmethod
    def parse(cls, text: str) -> PickRule:
        metric, *limits = [part.strip() for part in text.split(",")]
        parsed = []
        for limit in limits:
            match = _LIMIT.match(limit)
            if not match:
                raise ExportError(
                    f"--pick: cannot read {limit!r}; write NAME<=NUMBER, e.g. params<=50000"
                )
            parsed.append((match.group(1), float(match.group(2))))
        if not metric:
            raise ExportError(
                "--pick: expected METRIC[,NAME<=LIMIT...], e.g. val_acc,params<=50000"
            )
        return cls(metric, tuple(parsed))


def _quantity(study: optuna.Study, trial: optuna.trial.FrozenTrial, name: str) -> float:
    names = list(study.metric_names or [])
    if name in names:
        return trial.values[names.index(name)]
    record = TrialRecord.read(trial)
    if name in record.metrics:
        return record.metrics[name]
    costs = {m.name: m for m in cost_metrics()}
    if name in costs:
        return record.cost(costs[name])  # type: ignore[return-value]
    raise ExportError(
        f"--pick: unknown quantity {name!r}; use one of {', '.join([*names, *costs])}"
    )


def select_trial(
    study: optuna.Study, *, number: int | None = None, pick: str | None = None
) -> optuna.trial.FrozenTrial:
    """The trial to export: ``number``, a ``pick`` rule, or the best (single objective)."""
    if number is not None:
        trials = study.get_trials(deepcopy=False)
        if not 0 <= number < len(trials):
            raise ExportError(
                f"study {study.study_name!r} has no trial {number} (it has {len(trials)})"
            )
        trial = trials[number]
        if trial.state != TrialState.COMPLETE:
            raise ExportError(
                f"trial {number} is {trial.state.name}, not COMPLETE: "
                f"{TrialRecord.read(trial).fail_reason or ''}"
            )
        return trial
    multi = len(study.directions) > 1
    if pick is None:
        if multi:
            front = ", ".join(str(t.number) for t in study.best_trials)
            raise ExportError(
                f"study {study.study_name!r} has several objectives; choose from its Pareto front "
                f"(trials {front}) with --pick METRIC[,NAME<=LIMIT], "
                "e.g. --pick val_acc,params<=50000, or --trial N"
            )
        best = best_trial(study)
        if best is None:
            raise ExportError(f"study {study.study_name!r} has no feasible complete trial yet")
        return best
    rule = PickRule.parse(pick)
    candidates = (
        study.best_trials if multi else [t for t in study.trials if t.state == TrialState.COMPLETE]
    )
    within = [t for t in candidates if all(_quantity(study, t, n) <= v for n, v in rule.limits)]
    if not within:
        raise ExportError(
            f"--pick {pick}: no {'Pareto-front ' if multi else ''}trial is within the limits"
        )
    names = list(study.metric_names or [])
    if rule.metric in names:
        maximize = (
            study.directions[names.index(rule.metric)] == optuna.study.StudyDirection.MAXIMIZE
        )
    else:
        maximize = rule.metric in METRICS and METRICS.get(rule.metric).direction == "maximize"
    return (max if maximize else min)(within, key=lambda t: _quantity(study, t, rule.metric))
