"""A study is never silently rewritten: joining it with other data, another space or
other objectives is refused before anything is written."""

from __future__ import annotations

import dataclasses

import numpy as np
import optuna
import pytest

from nas.base import RecipeError
from nas.study import load_recipe, prepare_search, run_search
from nas.study._fingerprint import data_hash
from tests.conftest import SPACES


def signals(path, seed: int, n: int = 120):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 16)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    np.savez(path, x_train=x[:96], y_train=y[:96], x_test=x[96:], y_test=y[96:])
    return str(path)


def stored(recipe):
    study = optuna.load_study(study_name=recipe.study, storage=recipe.storage)
    return len(study.trials), study.user_attrs


def test_the_data_hash_ignores_order_and_split_but_not_content(mnist1d):
    shuffled = np.random.default_rng(0).permutation(len(mnist1d.x_train))
    moved = dataclasses.replace(
        mnist1d,
        x_train=mnist1d.x_train[shuffled][10:], y_train=mnist1d.y_train[shuffled][10:],
        x_val=np.concatenate([mnist1d.x_val, mnist1d.x_train[shuffled][:10]]),
        y_val=np.concatenate([mnist1d.y_val, mnist1d.y_train[shuffled][:10]]),
    )  # fmt: skip
    assert data_hash(moved) == data_hash(mnist1d)
    relabelled = dataclasses.replace(mnist1d, y_train=(mnist1d.y_train + 1) % 10)
    assert data_hash(relabelled) != data_hash(mnist1d)


def test_other_data_under_the_same_study_name_is_refused(make_recipe, tmp_path):
    first = load_recipe(make_recipe(data=signals(tmp_path / "a.npz", 0), n_trials=1))
    run_search(first)
    before = stored(first)
    other = load_recipe(make_recipe(data=signals(tmp_path / "b.npz", 1), n_trials=1))
    with pytest.raises(RecipeError, match=r"was created from other data a: 120 samples") as info:
        run_search(other)
    assert "(now b: 120 samples" in str(info.value)
    assert "nothing was written" in str(info.value) and "--study-name" in str(info.value)
    assert stored(first) == before  # no trial added, the study's record unchanged


def test_another_space_or_objective_is_refused_and_a_new_seed_is_not(make_recipe, tmp_path):
    data = signals(tmp_path / "a.npz", 0)
    recipe = load_recipe(make_recipe(data=data, n_trials=1))
    run_search(recipe)
    before = stored(recipe)
    space = tmp_path / "other.yaml"
    space.write_text((SPACES / "tiny.yaml").read_text().replace("epochs: 2", "epochs: 3"))
    with pytest.raises(RecipeError, match="from other search space"):
        prepare_search(load_recipe(make_recipe(data=data, space=str(space))), worker=0)
    maximize_loss = [{"metric": "val_loss", "direction": "maximize"}]  # same direction
    with pytest.raises(RecipeError, match=r"objectives val_acc \(maximize\) \(now val_loss"):
        prepare_search(load_recipe(make_recipe(data=data, objectives=maximize_loss)))
    assert stored(recipe) == before
    resumed = run_search(load_recipe(make_recipe(data=data, n_trials=1, seed=7)))
    assert resumed.new_trials == 1  # another seed splits the same data: the same study
