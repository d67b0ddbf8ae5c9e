"""Validation that holds on small data: cross-validated trials, pruning between folds,
tie-broken best trials, and the warning when validation cannot separate trials."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import numpy as np
import optuna
import pytest

from nas.base import RecipeError
from nas.data import load_dataset, make_dataset
from nas.study import (
    StudyRecord,
    TrialRecord,
    ValidationSettings,
    best_trial,
    choice_note,
    load_recipe,
    plan_validation,
    prepare_search,
    retrain_command,
    run_search,
    validation_warning,
)
from tests.conftest import ROOT
from tests.data.formats import separable_series, write_ts

QUICK = {"feature.n_blocks": 0, "head.n_blocks": 0, "readout": "flatten", "optimizer": "adam",
         "lr": 0.01, "schedule": "constant"}  # fmt: skip
State = optuna.trial.TrialState


@pytest.fixture
def small_ts(tmp_path):
    series, labels = separable_series(30, length=12)
    return write_ts(tmp_path / "small.ts", series, labels)


@pytest.mark.parametrize(
    ("raw", "method", "folds", "holdout"),
    [(None, "auto", None, None), ("holdout", "holdout", None, None),
     ({"folds": 3}, "folds", 3, None), ("folds", "folds", 5, None),
     ({"holdout": 0.3}, "holdout", None, 0.3)],
)  # fmt: skip
def test_validation_section_forms(make_recipe, raw, method, folds, holdout):
    recipe = load_recipe(make_recipe(**({"validation": raw} if raw is not None else {})))
    assert (recipe.validation.method, recipe.validation.folds) == (method, folds)
    assert recipe.validation.holdout == holdout


@pytest.mark.parametrize(
    ("raw", "message"),
    [({"folds": 1}, r"validation\.folds: .*1"), ({"holdout": 0.2, "folds": 3}, "give one of"),
     ("kfold", r"validation\.method: .*'kfold'"), ([5], "expected auto")],
)  # fmt: skip
def test_bad_validation_sections_name_the_key(make_recipe, raw, message):
    with pytest.raises(RecipeError, match=message):
        load_recipe(make_recipe(validation=raw))


def _labels(n_per_class):
    y = np.concatenate([np.full(n, k) for k, n in enumerate(n_per_class)]).astype(np.int64)
    x = np.zeros((len(y), 1, 4), np.float32)
    return make_dataset("d", x, y, x[:2], y[:2])


def test_auto_cross_validates_small_data_only():
    settings = ValidationSettings()
    assert plan_validation(settings, _labels([150, 150])).folds == 5
    assert plan_validation(settings, _labels([600, 600])).folds == 1
    assert plan_validation(ValidationSettings("holdout"), _labels([5, 5])).folds == 1


def test_warning_says_validation_cannot_separate_trials_and_what_to_do():
    data = _labels([30, 30])  # a 20% holdout: 12 samples, 6 per class
    holdout = validation_warning(plan_validation(ValidationSettings("holdout"), data), data)
    assert holdout is not None and "validation holds 12 samples (6 to 6 per class" in holdout
    assert "steps of 8.3 points" in holdout and "validation: {folds: 5}" in holdout
    small = _labels([12, 12])
    folds = validation_warning(plan_validation(ValidationSettings(), small), small)
    assert folds is not None and "cross-validation validates 24 samples" in folds
    assert "steps of 4.2 points" in folds and "more labelled data" in folds
    assert validation_warning(plan_validation(ValidationSettings(), data), data) is None
    assert validation_warning(plan_validation(ValidationSettings(), data), _labels([400, 400])) is None


def test_cross_validated_trials_record_each_fold_and_their_mean(make_recipe, small_ts):
    recipe = load_recipe(make_recipe(data=str(small_ts), validation={"folds": 3}, n_trials=1))
    prepared = prepare_search(recipe)
    assert prepared.validation.folds == 3
    prepared.study.enqueue_trial(QUICK)
    run_search(recipe, prepared=prepared)
    trial = prepared.study.trials[0]
    record = TrialRecord.read(trial)
    assert trial.state == State.COMPLETE and len(record.folds) == 3
    fold_accs = [f["metrics"]["val_acc"] for f in record.folds]
    assert trial.value == pytest.approx(np.mean(fold_accs))
    assert record.metrics_sd["val_acc"] == pytest.approx(np.std(fold_accs))
    assert record.best_passes == pytest.approx(np.mean([f["best_passes"] for f in record.folds]))
    assert list(trial.intermediate_values) == [0, 1, 2]  # the running mean, fold by fold
    assert StudyRecord.read(prepared.study).folds == 3


def test_the_pruner_stops_a_bad_trial_after_its_first_fold(make_recipe, small_ts):
    pruner = {"name": "median", "options": {"n_startup_trials": 1, "n_warmup_steps": 0}}
    recipe = load_recipe(make_recipe(data=str(small_ts), validation={"folds": 3}, n_trials=2,
                                     pruner=pruner))  # fmt: skip
    prepared = prepare_search(recipe)
    prepared.study.enqueue_trial({**QUICK, "lr": 0.02})
    prepared.study.enqueue_trial({**QUICK, "optimizer": "sgd_nesterov", "lr": 0.001})
    run_search(recipe, prepared=prepared)
    good, bad = prepared.study.trials
    assert good.state == State.COMPLETE and bad.state == State.PRUNED
    assert "after fold 1 of 3" in bad.user_attrs["fail_reason"]
    assert len(TrialRecord.read(bad).folds) == 1


def test_retrain_command_reproduces_a_cross_validated_trial(make_recipe, small_ts):
    recipe = load_recipe(make_recipe(data=str(small_ts), validation={"folds": 3}, n_trials=1))
    prepared = prepare_search(recipe)
    prepared.study.enqueue_trial(QUICK)
    run_search(recipe, prepared=prepared)
    trial = prepared.study.trials[0]
    command = retrain_command(prepared.study, trial)
    assert "--folds 3" in command
    run = subprocess.run([sys.executable, "-m", "nas", *shlex.split(command)[1:], "--json"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["metrics"]["val_acc"] == pytest.approx(trial.value, abs=1e-9)


def _study_with(values_and_losses):
    study = optuna.create_study(direction="maximize")
    study.set_metric_names(["val_acc"])
    for value, loss in values_and_losses:
        study.add_trial(optuna.trial.create_trial(
            value=value, user_attrs={"metrics": {"val_acc": value, "val_loss": loss}}
        ))  # fmt: skip
    return study


def test_ties_on_the_objective_go_to_the_lower_validation_loss():
    study = _study_with([(1.0, 0.40), (0.9, 0.01), (1.0, 0.05), (1.0, 0.20)])
    assert study.best_trial.number == 0  # Optuna's: the first that got lucky
    best = best_trial(study)
    assert best.number == 2
    assert choice_note(study, best) == "3 trials tie at val_acc 1; #2 has the lowest val_loss (0.05)"


def test_no_tie_note_without_a_tie():
    study = _study_with([(0.8, 0.4), (0.9, 0.3)])
    assert best_trial(study).number == 1 and choice_note(study, best_trial(study)) is None


def test_nas_best_and_export_agree_on_the_tie_broken_trial(tmp_path):
    from nas.export import select_trial

    study = _study_with([(1.0, 0.40), (1.0, 0.05)])
    assert select_trial(study).number == best_trial(study).number == 1


def test_search_without_recipe_derives_everything_from_the_data(tmp_path, small_ts):
    store = f"sqlite:///{tmp_path / 'auto.db'}"
    run = subprocess.run(
        [sys.executable, "-m", "nas", "search", "--data", str(small_ts), "--n-trials", "1",
         "--timeout", "120", "--storage", store],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "validation 5-fold cross-validation (auto: 24 training samples < 1000)" in run.stdout
    assert "space auto (derived from the data" in run.stdout
    assert "warning: cross-validation validates 24 samples" in run.stdout
    best = subprocess.run([sys.executable, "-m", "nas", "best", "--storage", store],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)  # fmt: skip
    assert best.returncode == 0 and "warning: cross-validation validates 24" in best.stdout
    space = subprocess.run([sys.executable, "-m", "nas", "space", "--data", str(small_ts)],
                           capture_output=True, text=True, cwd=tmp_path, timeout=120)  # fmt: skip
    stored = optuna.load_study(study_name="small", storage=store).user_attrs["space"]
    assert space.returncode == 0 and space.stdout == stored  # what was searched


def test_a_split_data_file_keeps_its_test_set_out_of_search(small_ts):
    data = load_dataset(str(small_ts))
    x, _ = data.pool()
    assert not {tuple(r) for r in x[:, 0]} & {tuple(r) for r in data.x_test[:, 0]}


def test_the_dashboards_study_note_names_the_tie_broken_best_trial(make_recipe, small_ts):
    from optuna_dashboard import get_note

    recipe = load_recipe(make_recipe(data=str(small_ts), validation={"folds": 2}, n_trials=2))
    prepared = prepare_search(recipe)
    prepared.study.enqueue_trial({**QUICK, "lr": 0.02})
    prepared.study.enqueue_trial({**QUICK, "lr": 0.01})
    run_search(recipe, prepared=prepared)
    best = best_trial(prepared.study)
    note = get_note(prepared.study)
    assert f"**#{best.number}**: " in note and "val_acc" in note and "±" in note
    assert "**Validation:** 2-fold cross-validation (validation: folds)" in note


def test_the_study_note_states_a_tie_and_how_it_was_broken():
    from nas.study._artifacts import best_trial_note

    note = best_trial_note(_study_with([(1.0, 0.40), (0.9, 0.01), (1.0, 0.05)]))
    assert "**#2**: val_acc 1, val_loss 0.05" in note
    assert "2 trials tie at val_acc 1; #2 has the lowest val_loss (0.05)" in note


def test_a_trial_whose_time_runs_out_between_folds_is_pruned_not_averaged(make_recipe, tmp_path):
    series, labels = separable_series(60, length=12)
    data = write_ts(tmp_path / "more.ts", series, labels)
    slow = tmp_path / "slow.yaml"
    slow.write_text(
        "stages:\n  - name: feature\n    n_blocks: 1\n    blocks: {conv: {channels: 4}}\n"
        "training: {epochs: 100000, batch_size: 4, patience: 0}\n"
    )
    recipe = load_recipe(make_recipe(data=str(data), space=str(slow), validation={"folds": 3},
                                     n_trials=1, trial_timeout=2.0))  # fmt: skip
    run_search(recipe)
    (trial,) = prepare_search(recipe).study.trials
    assert trial.state == State.PRUNED
    assert trial.user_attrs["fail_reason"].startswith("trial_timeout: stopped in fold 1 of 3")


def test_a_closed_form_trial_is_never_pruned_between_folds(monkeypatch):
    """Stopping a rocket trial saves seconds and costs its estimate: it runs every fold,
    where a trained network the pruner wants stopped ends after its first."""
    from nas.arch import Architecture, Block, Stage
    from nas.blocks import ConvConfig, RocketConfig
    from nas.study import _folds
    from nas.training import TrainOptions, build_seeded

    monkeypatch.setattr(_folds, "should_prune", lambda trial: True)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 1, 30)).astype(np.float32)
    y = (np.arange(24) % 2).astype(np.int64)
    data = make_dataset("d", x, y, x[:4], y[:4])
    options = TrainOptions(seed=0, epochs=1, progress=False)
    rocket = Architecture(stages=(Stage("s", (Block("rocket", RocketConfig(features=168)),)),))
    conv = Architecture(stages=(Stage("s", (Block("conv", ConvConfig(4, kernel=3)),)),))
    study = optuna.create_study(direction="maximize")
    trial = study.ask()
    mean, _ = _folds.cross_validate(trial, rocket, data, build_seeded(rocket, data, 0), options,
                                    3, [], "val_acc")  # fmt: skip
    assert len(TrialRecord.read(study.trials[0]).folds) == 3 and mean.closed_form
    other = study.ask()
    with pytest.raises(optuna.TrialPruned, match="after fold 1 of 3"):
        _folds.cross_validate(other, conv, data, build_seeded(conv, data, 0), options, 3, [],
                              "val_acc")  # fmt: skip
