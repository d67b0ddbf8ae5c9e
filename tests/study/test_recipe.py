from __future__ import annotations

from pathlib import Path

import pytest

from nas import RecipeError
from nas.study import PRUNERS, load_recipe, make_pruner, parse_recipe
from tests.conftest import ROOT

STUDIES = ROOT / "studies"


@pytest.mark.parametrize("path", sorted(STUDIES.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_recipes_load_and_point_to_real_spaces(path):
    recipe = load_recipe(path)
    assert recipe.space.is_file()
    assert recipe.study


def test_relative_paths_resolve_against_the_recipe(tmp_path):
    (tmp_path / "sub").mkdir()
    recipe = parse_recipe(
        {"space": "../spaces/s.yaml", "data": "d.npz", "storage": "sqlite:///x.db"},
        "r.yaml", base=tmp_path / "sub",
    )
    assert recipe.space == tmp_path / "spaces" / "s.yaml"
    assert recipe.data == str(tmp_path / "sub" / "d.npz")
    assert recipe.storage == f"sqlite:///{tmp_path / 'sub' / 'x.db'}"
    assert parse_recipe({"space": "s.yaml"}, "r.yaml", base=tmp_path).data == "mnist1d"


def test_objectives_and_components_forms(tmp_path):
    recipe = parse_recipe(
        {"space": "s.yaml", "sampler": "nsga2", "pruner": {"name": "hyperband", "options": {"min_resource": 2}},
         "objectives": ["val_acc", {"metric": "params"}, {"metric": "latency_ms", "direction": "minimize"}],
         "constraints": {"max_params": 1000}},
        "r.yaml", base=tmp_path,
    )
    assert [(o.metric, o.direction) for o in recipe.objectives] == [
        ("val_acc", "maximize"), ("params", "minimize"), ("latency_ms", "minimize")]
    assert recipe.sampler.name == "nsga2" and recipe.pruner.options == {"min_resource": 2}
    assert recipe.constraints.limits() == {"params": 1000.0}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"space": "s.yaml", "trials": 3}, r"r\.yaml: trials: unknown key; allowed: study, space"),
        ({}, r"r\.yaml: space: required"),
        ({"space": "s.yaml", "sampler": "bayes"}, r"r\.yaml: sampler: unknown name 'bayes'; available: tpe, random, gp, cmaes, nsga2, qmc"),
        ({"space": "s.yaml", "sampler": {"name": "tpe", "seed": 1}}, r"sampler\.seed: unknown key; allowed: name, options"),
        ({"space": "s.yaml", "pruner": "patient"}, r"pruner: unknown name 'patient'; available: median, successive_halving, hyperband, none"),
        ({"space": "s.yaml", "objectives": ["accuracy"]}, r"objectives\[0\]\.metric: unknown metric 'accuracy'; available: val_acc"),
        ({"space": "s.yaml", "objectives": [{"metric": "params", "direction": "down"}]}, r"objectives\[0\]\.direction: expected maximize or minimize"),
        ({"space": "s.yaml", "objectives": ["params", "params"]}, r"objectives: metric 'params' is listed twice"),
        ({"space": "s.yaml", "objectives": []}, r"objectives: expected a non-empty list"),
        ({"space": "s.yaml", "constraints": {"max_param": 5}}, r"constraints\.max_param: unknown option; allowed: max_params"),
        ({"space": "s.yaml", "constraints": {"max_params": 0}}, r"constraints\.max_params: expected an integer >= 1"),
        ({"space": "s.yaml", "n_trials": 0}, r"r\.yaml\.n_trials: expected an integer >= 1"),
        ({"space": "s.yaml", "artifacts": {"weight": False}}, r"artifacts\.weight: unknown option; allowed: enabled, dir, weights"),
        ({"space": "s.yaml", "artifacts": "off"}, r"artifacts: expected a mapping of enabled, dir, weights"),
        ({"space": "s.yaml", "timeout": "soon"}, r"r\.yaml\.timeout: expected a number >= 0.0"),
    ],
)
def test_invalid_recipe_is_one_clear_error(doc, message):
    with pytest.raises(RecipeError, match=message):
        parse_recipe(doc, "r.yaml", base=Path("."))


def test_missing_or_malformed_recipe_file(tmp_path):
    with pytest.raises(RecipeError, match=r"nope\.yaml: study recipe not found"):
        load_recipe(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("study: [\n")
    with pytest.raises(RecipeError, match=r"bad\.yaml: not valid YAML"):
        load_recipe(bad)


def test_sampler_options_are_checked_before_any_trial(make_recipe):
    from nas.study import prepare_search

    recipe = load_recipe(make_recipe(sampler={"name": "tpe", "options": {"n_startup": 3}}))
    with pytest.raises(RecipeError, match=r"sampler\.options: .*n_startup"):
        prepare_search(recipe)


def test_single_objective_sampler_refuses_two_objectives(make_recipe):
    from nas.study import prepare_search

    recipe = load_recipe(make_recipe(sampler="cmaes", objectives=["val_acc", "params"]))
    with pytest.raises(RecipeError, match="sampler 'cmaes' optimises one objective, this study has 2"):
        prepare_search(recipe)


def test_missing_space_fails_before_any_trial(make_recipe, tmp_path):
    import optuna

    from nas import SearchSpaceError
    from nas.study import prepare_search

    recipe = load_recipe(make_recipe(space="missing.yaml"))
    with pytest.raises(SearchSpaceError, match="missing.yaml: search space file not found"):
        prepare_search(recipe)
    assert not (tmp_path / "store.db").exists() or not optuna.get_all_study_names(f"sqlite:///{tmp_path / 'store.db'}")


def test_objective_must_fit_the_task(make_recipe, tmp_path):
    import numpy as np

    from nas.study import prepare_search

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "reg.npz", x_train=rng.normal(size=(40, 8)), y_train=rng.normal(size=40),
             x_test=rng.normal(size=(10, 8)), y_test=rng.normal(size=10))
    recipe = load_recipe(make_recipe(data=str(tmp_path / "reg.npz"), objectives=["val_acc"]))
    with pytest.raises(RecipeError, match=r"objectives\[0\]\.metric: val_acc does not apply to regression data"):
        prepare_search(recipe)


def test_precision_is_validated_and_reaches_the_trials(make_recipe):
    with pytest.raises(RecipeError, match=r"precision: expected one of '32-true', 'bf16-mixed'"):
        load_recipe(make_recipe(precision="fp8"))
    # bf16-mixed runs on CPU too (autocast), unlike the CPU default 32-true
    recipe = load_recipe(make_recipe(precision="bf16-mixed", n_trials=1))
    assert recipe.to_dict()["precision"] == "bf16-mixed"
    from nas.study import run_search

    outcome = run_search(recipe)
    import optuna

    trial = optuna.load_study(study_name="t", storage=recipe.storage).trials[0]
    assert outcome.new_trials == 1 and trial.user_attrs["precision"] == "bf16-mixed"


@pytest.mark.parametrize("name", PRUNERS.names())
def test_every_registered_pruner_is_built_and_bad_options_are_a_recipe_error(name):
    from optuna.pruners import BasePruner

    assert isinstance(make_pruner(name, {}), BasePruner)
    with pytest.raises(RecipeError, match=r"^pruner\.options: "):
        make_pruner(name, {"no_such_option": 1}, where="pruner")
