from __future__ import annotations

import optuna
import pytest

from nas.space import load_space
from tests.conftest import SPACES, random_architectures

optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_parameter_names_are_stable_and_readable():
    space = load_space(SPACES / "tiny.yaml")
    params = {
        "feature.n_blocks": 2,
        "feature.0.type": "conv",
        "feature.0.conv.channels": 8,
        "feature.0.conv.kernel": 5,
        "feature.0.conv.stride": 2,
        "feature.0.conv.pooling": "none",
        "feature.1.type": "recurrent",
        "feature.1.recurrent.cell": "lstm",
        "feature.1.recurrent.bidirectional": True,
        "head.n_blocks": 0,
        "readout": "last",
        "optimizer": "adam",
        "lr": 0.01,
        "schedule": "cosine",
    }
    arch = space.from_params(params)
    (_, conv), (_, rnn) = list(arch.blocks())
    assert (conv.type, conv.config.kernel, conv.config.stride, conv.config.channels) == ("conv", 5, 2, 8)
    assert (rnn.type, rnn.config.cell, rnn.config.bidirectional, rnn.config.hidden) == ("recurrent", "lstm", True, 8)
    assert arch.readout == "last" and arch.train.lr == 0.01 and arch.train.epochs == 2

    # the trial asks for exactly these names and no others
    study = optuna.create_study()
    study.enqueue_trial(params)
    trial = study.ask()
    assert space.sample(trial) == arch
    assert set(trial.params) == set(params)


@pytest.mark.parametrize("space_file", sorted(SPACES.glob("*.yaml")), ids=lambda p: p.stem)
def test_conditional_parameters_only_when_parent_is_taken(space_file):
    space, archs = random_architectures(space_file, 40, seed=1)
    for arch, params in archs:
        for stage in space.stages:
            n = len(next(s for s in arch.stages if s.name == stage.name).blocks)
            for name in params:
                parts = name.split(".")
                if parts[0] != stage.name or parts[1] == "n_blocks":
                    continue
                index = int(parts[1])
                assert index < n, f"{name} suggested for a block that does not exist"
                if len(parts) == 4:  # stage.i.type.option: only for the chosen type
                    block = next(s for s in arch.stages if s.name == stage.name).blocks[index]
                    assert parts[2] == block.type, f"{name} suggested though block {index} is {block.type}"


@pytest.mark.parametrize("space_file", sorted(SPACES.glob("*.yaml")), ids=lambda p: p.stem)
def test_fixed_trial_from_stored_params_reproduces_the_architecture(space_file):
    space, archs = random_architectures(space_file, 30, seed=2)
    for arch, params in archs:
        assert space.from_params(params) == arch


SAMPLERS = {
    "random": lambda: optuna.samplers.RandomSampler(seed=0),
    "tpe": lambda: optuna.samplers.TPESampler(seed=0, n_startup_trials=3),
    "qmc": lambda: optuna.samplers.QMCSampler(seed=0, warn_independent_sampling=False),
    "cmaes": lambda: optuna.samplers.CmaEsSampler(seed=0, warn_independent_sampling=False),
    "nsga2": lambda: optuna.samplers.NSGAIISampler(seed=0, population_size=4),
    "gp": lambda: optuna.samplers.GPSampler(seed=0, n_startup_trials=3),
}


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_any_optuna_sampler_drives_the_space(name):
    from nas.builder import build_model

    space = load_space(SPACES / "tiny.yaml")
    study = optuna.create_study(sampler=SAMPLERS[name]())

    def objective(trial):
        arch = space.sample(trial)
        return build_model(arch, (1, 40), 10).report.n_params * arch.train.lr

    study.optimize(objective, n_trials=8)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == 8
    for t in complete:
        assert space.from_params(t.params).train.lr == t.params["lr"]


def test_params_that_do_not_fit_the_space_are_a_clear_error():
    from nas import ArchitectureError

    space = load_space(SPACES / "tiny.yaml")
    with pytest.raises(ArchitectureError, match="params do not match .*tiny.yaml.*feature.n_blocks"):
        space.from_params({"lr": 0.01})
