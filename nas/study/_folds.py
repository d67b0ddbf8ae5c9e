"""Cross-validation of one trial: the folds' mean is its value, the pruner sees the
running mean after each fold.

Each fold's metrics, best epoch and passes, and the spread over folds go into the trial's
:class:`TrialRecord`. Reporting the running mean (step = fold index) lets a pruner stop a
bad architecture after its first fold rather than after all K; a model solved in closed
form (``rocket``) runs every fold, as stopping it would save only seconds.
"""

from __future__ import annotations

import statistics
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import optuna

from nas.study._pruning import should_prune
from nas.study._record import TrialRecord

if TYPE_CHECKING:
    from nas.arch import Architecture
    from nas.builder import NASNet
    from nas.data import Dataset
    from nas.training import TrainOptions, TrainResult


def cross_validate(
    trial: optuna.Trial,
    arch: Architecture,
    dataset: Dataset,
    model: NASNet,
    options: TrainOptions,
    folds: int,
    callbacks: list[Any],
    report: str | None,
) -> tuple[TrainResult, NASNet]:
    """Train ``arch`` on each fold; returns the mean result and the first fold's model.

    With ``report`` (the objective's metric) the running mean goes to the pruner after
    each fold, and ``optuna.TrialPruned`` is raised when it stops the trial.
    """
    from nas.training import fold_summary, mean_result, train_folds

    def after_fold(results: list[TrainResult]) -> None:
        mean, sd = mean_result(results)
        TrialRecord.write(
            trial,
            folds=[fold_summary(r) for r in results],
            metrics_sd=sd,
            best_passes=statistics.fmean(r.best_passes for r in results),
        )
        if report is None or report not in mean.metrics:
            return
        trial.report(mean.metrics[report], step=len(results) - 1)
        # pruning saves training time; a closed-form fold takes seconds, and its trial
        # is worth a complete estimate
        if should_prune(trial) and not results[-1].closed_form:
            raise optuna.TrialPruned(
                f"{report} {mean.metrics[report]:.4g} after fold {len(results)} of {folds}"
            )

    results, models = train_folds(
        arch, dataset, options, folds, model=model, callbacks=callbacks, after_fold=after_fold
    )
    mean = mean_result(results)[0]
    if len(results) < folds or results[-1].stopped == "time_limit":
        # the trial's time ran out before its last fold finished: no complete estimate
        mean = replace(mean, stopped="time_limit")
    return mean, models[0]
