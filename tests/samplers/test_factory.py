"""Every registered sampler, as a recipe names it, drives a search space (generated from the
registry, so a new sampler is covered by registering it)."""

from __future__ import annotations

import optuna
import pytest

from nas.samplers import SAMPLERS, SamplerContext, make_sampler
from nas.space import load_space
from tests.conftest import SPACES

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.mark.parametrize("name", SAMPLERS.names())
def test_every_registered_sampler_drives_the_space_and_honours_the_seed(name):
    space = load_space(SPACES / "tiny.yaml")

    def params(seed: int) -> list[dict]:
        sampler = make_sampler(name, {}, SamplerContext(seed=seed, n_objectives=1))
        study = optuna.create_study(sampler=sampler)
        study.optimize(lambda t: space.sample(t).train.lr, n_trials=4)
        assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
        return [t.params for t in study.trials]

    first = params(0)
    assert first == params(0)  # same seed, same proposals
    assert all(space.from_params(p).train.lr == p["lr"] for p in first)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"learning": "bogus"}, "learning must be one of ppo, pqt, reinforce, got 'bogus'"),
        ({"learning": "ppo", "replay": 0}, r"sampler.options.replay: expected an integer >= 1"),
        ({"inner_window": 0}, r"sampler.options.inner_window: expected an integer >= 1"),
    ],
)
def test_controller_learning_options_are_checked_in_one_line(options, message):
    from nas.base import RecipeError

    with pytest.raises(RecipeError, match=message):
        make_sampler("controller", options, SamplerContext(0, 1))


def test_the_python_api_refuses_an_empty_inner_window():
    from nas import ControllerSampler

    with pytest.raises(ValueError, match="inner_window must be at least 1 or None, got 0"):
        ControllerSampler(inner_window=0)
