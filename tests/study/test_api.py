"""The Python API of a whole search: nas.search, nas.best and nas.export, on the same code
path as the CLI, quiet by default."""

from __future__ import annotations

import logging

import optuna
import pytest

import nas
from nas import RecipeError
from nas.study import TrialRecord, best_trial
from tests.conftest import ROOT, SPACES


@pytest.fixture(scope="module")
def api_study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api")
    finished = []
    study = nas.search(
        SPACES / "tiny.yaml",
        "digits",
        n_trials=2,
        sampler="random",
        pruner="none",
        storage=f"sqlite:///{folder / 'api.db'}",
        study="api",
        workers=1,
        on_trial=lambda s, t: finished.append(t.number),
    )
    return folder, study, finished


def test_search_returns_the_optuna_study_with_every_trial_recorded(api_study):
    _, study, finished = api_study
    assert isinstance(study, optuna.Study) and study.study_name == "api"
    assert finished == [0, 1] and len(study.trials) == 2
    assert all(TrialRecord.read(t).architecture for t in study.trials)


def test_best_is_the_tie_broken_best_trial(api_study):
    _, study, _ = api_study
    assert nas.best(study).number == best_trial(study).number


def test_export_writes_a_verified_bundle(api_study):
    folder, study, _ = api_study
    info = nas.export(study, folder / "bundle", formats=("onnx",))
    assert (folder / "bundle" / "model.onnx").is_file() and info.source["study"] == "api"
    assert info.max_abs_diff["onnx"] < 1e-4


def test_search_is_quiet_by_default(tmp_path, capfd, caplog):
    with caplog.at_level(logging.INFO):
        nas.search(SPACES / "tiny.yaml", "digits", n_trials=1, sampler="random", pruner="none",
                   storage=f"sqlite:///{tmp_path / 'q.db'}", workers=1)  # fmt: skip
    captured = capfd.readouterr()
    assert "[I " not in captured.err and "Trial 0 finished" not in caplog.text
    assert "ExperimentalWarning" not in captured.err


def test_a_recipe_file_and_overrides(tmp_path):
    recipe = ROOT / "studies" / "quickstart.yaml"
    parsed = nas.study.build_recipe(recipe, None, {"n_trials": 3, "storage": "sqlite:///x.db"})
    assert parsed.study == "quickstart" and parsed.n_trials == 3 and parsed.data == "mnist1d"
    assert parsed.space == (ROOT / "search_spaces" / "quickstart.yaml").resolve()


def test_a_bad_key_is_named(tmp_path):
    with pytest.raises(RecipeError, match="nas.search\\(\\): n_trial: unknown key"):
        nas.search(SPACES / "tiny.yaml", "digits", n_trial=3)


def test_the_running_trials_epochs_reach_the_caller(tmp_path):
    seen = []
    nas.search(SPACES / "tiny.yaml", "digits", n_trials=1, sampler="random", pruner="none",
               storage=f"sqlite:///{tmp_path / 'e.db'}", workers=1,
               on_epoch=lambda number, done, total, metrics: seen.append((number, done, total, set(metrics))))  # fmt: skip
    assert [s[:3] for s in seen] == [(0, 1, 2), (0, 2, 2)]  # tiny.yaml trains 2 epochs
    assert {"val_acc", "val_loss"} <= seen[0][3]
