"""Read-only views of a study store for ``nas status`` and ``nas best``."""

from __future__ import annotations

from typing import Any

import optuna

from nas.config import cost_metrics
from nas.data import ReadOptions
from nas.study._best import best_trial
from nas.study._record import StudyRecord, TrialRecord
from nas.study._status import pick_study

TrialState = optuna.trial.TrialState


def _metric_names(study: optuna.Study) -> list[str]:
    names = study.metric_names
    return list(names) if names else [f"value{i}" for i in range(len(study.directions))]


def select_study(storage: optuna.storages.BaseStorage, name: str | None, url: str) -> optuna.Study:
    """Load study ``name``, or the only study in the store when ``name`` is None."""
    return optuna.load_study(
        study_name=pick_study(optuna.get_all_study_names(storage), name, url), storage=storage
    )


def best_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The best feasible trial, or the Pareto front for multi-objective studies."""
    if len(study.directions) > 1:
        return sorted(study.best_trials, key=lambda t: t.number)
    best = best_trial(study)
    return [best] if best is not None else []


def trial_json(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> dict[str, Any]:
    """A JSON-ready description of one trial: values by metric name, cost, architecture."""
    record = TrialRecord.read(trial)
    return {
        "number": trial.number,
        "state": trial.state.name,
        "values": dict(zip(_metric_names(study), trial.values or [], strict=False)),
        "metrics": record.metrics,
        "metrics_sd": record.metrics_sd,  # cross-validated: the spread over folds
        **{m.cost_attr: record.cost(m) for m in cost_metrics()},
        "summary": record.summary,
        "feasible": all(v <= 0 for v in trial.constraints.values()),
        "params": trial.params,
        "seed": record.seed,
        "architecture": record.architecture,
        "seconds": trial.duration.total_seconds() if trial.duration else None,
    }


def retrain_command(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> str | None:
    """The ``nas train`` command that reproduces ``trial``: its space and params, the
    study's data and validation split, its seed and plugins (None: no recipe stored)."""
    import json
    import shlex

    record = StudyRecord.read(study)
    recipe = record.parsed_recipe(study.study_name)
    if recipe is None:
        return None
    args = ["nas", "train", "--space", str(recipe.space), "--params", json.dumps(trial.params)]
    args += ["--data", recipe.data, "--val-fraction", repr(recipe.holdout_fraction)]
    if record.folds and record.folds > 1:
        args += ["--folds", str(record.folds)]
    if recipe.target:
        args += ["--target", recipe.target]
    if recipe.unequal_length != ReadOptions().unequal_length:
        args += ["--unequal-length", recipe.unequal_length]
    if recipe.task != ReadOptions().task:
        args += ["--task", recipe.task]
    trial_record = TrialRecord.read(trial)
    args += ["--seed", str(trial_record.seed)]
    if trial_record.threads and trial_record.threads > 1:
        args += ["--threads", str(trial_record.threads)]
    args += ["--test"]
    for plugin in recipe.plugins:
        args += ["--plugin", plugin]
    if recipe.plugins and recipe.plugin_path:
        args += ["--plugin-path", recipe.plugin_path]
    return shlex.join(args)
