"""What a study and its trials store: one schema, one writer, one reader; and the commands
built from it reproduce the search (retrain on the same split with the same seed)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import optuna
import pytest

from nas.study import (
    StudyRecord,
    TrialRecord,
    load_recipe,
    prepare_search,
    recipe_from_dict,
    retrain_command,
    run_search,
)
from tests.conftest import ROOT

QUICK = {"feature.n_blocks": 0, "head.n_blocks": 0, "readout": "flatten", "optimizer": "adam",
         "lr": 0.01, "schedule": "constant", "epochs": 2}  # fmt: skip


def test_a_trial_record_round_trips_and_refuses_unknown_fields():
    study = optuna.create_study()
    trial = study.ask()
    TrialRecord.write(trial, summary="dense32", seed=7, n_params=12, metrics={"val_acc": 0.5})
    with pytest.raises(TypeError, match="no field 'params'"):
        TrialRecord.write(trial, params=12)
    trial.set_user_attr("controller", {"decisions": []})  # another writer's key is ignored
    study.tell(trial, 0.5)
    record = TrialRecord.read(study.trials[0])
    assert (record.summary, record.seed, record.n_params) == ("dense32", 7, 12)
    assert record.metrics == {"val_acc": 0.5} and record.fail_reason is None


def test_the_stored_recipe_is_reparsed_by_the_recipe_parser(make_recipe):
    prepared = prepare_search(load_recipe(make_recipe(val_fraction=0.3, seed=4)))
    stored = StudyRecord.read(prepared.study).parsed_recipe("t")
    assert stored is not None and stored.to_dict() == prepared.recipe.to_dict()
    assert stored.val_fraction == 0.3 and stored.seed == 4
    # studies stored by earlier versions carry a "source" key: still readable
    legacy = {**prepared.recipe.to_dict(), "source": "old/recipe.yaml"}
    legacy.pop("plugins"), legacy.pop("plugin_path")
    assert recipe_from_dict(legacy, "legacy").val_fraction == 0.3


def test_retrain_command_reproduces_the_trial_on_the_searchs_validation_split(make_recipe):
    """Bug: the command dropped val_fraction, so it retrained on another split."""
    path = make_recipe(val_fraction=0.5, n_trials=1, seed=3)
    prepared = prepare_search(load_recipe(path))
    prepared.study.enqueue_trial(QUICK)
    run_search(prepared.recipe, prepared=prepared)
    trial = prepared.study.trials[0]
    command = retrain_command(prepared.study, trial)
    assert command is not None and "--val-fraction 0.5" in command and "--seed 3" in command
    args = [*shlex.split(command)[1:], "--json"]  # drop "nas"
    run = subprocess.run([sys.executable, "-m", "nas", *args], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["metrics"]["val_acc"] == pytest.approx(trial.value, abs=1e-9)
    assert result["metrics"] == pytest.approx(TrialRecord.read(trial).metrics)


def test_nas_best_still_shows_a_study_whose_plugin_is_not_installed_here(make_recipe, tmp_path):
    prepared = prepare_search(load_recipe(make_recipe(n_trials=1)))
    prepared.study.enqueue_trial(QUICK)
    run_search(prepared.recipe, prepared=prepared)
    stored = {**StudyRecord.read(prepared.study).recipe, "plugins": ["gone_plugin"]}
    prepared.study.set_user_attr("recipe", stored)  # as if made where the plugin was installed
    run = subprocess.run([sys.executable, "-m", "nas", "best", "--storage", prepared.storage_url],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "best trial of t" in run.stdout
    assert "Retrain it: unavailable (" in run.stdout and "cannot import plugin 'gone_plugin'" in run.stdout
