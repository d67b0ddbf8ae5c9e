"""NumericTPE, the controller's default inner sampler, is Optuna's TPE for numeric ranges.

Checked against Optuna itself: the Parzen estimator's density equals Optuna's to rounding,
its draws and the sampler's follow the same distributions (two-sample Kolmogorov-Smirnov
tests at fixed seeds), and the good/bad split equals Optuna's on complete, pruned and
infeasible trials.
"""

from __future__ import annotations

import math

import numpy as np
import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import _split_trials, default_weights
from optuna.study._constrained_optimization import _CONSTRAINTS_KEY
from optuna.trial import TrialState, create_trial
from scipy.stats import ks_2samp

from nas.samplers._controller._numeric import NumericTPE, recency_weights, split
from nas.samplers._controller._parzen import ParzenEstimator, Ranges

optuna.logging.set_verbosity(optuna.logging.WARNING)

SPACE = {
    "lr": FloatDistribution(1e-4, 1e-1, log=True),
    "x": FloatDistribution(-2.0, 3.0),
    "width": IntDistribution(1, 64, log=True),
    "p": FloatDistribution(0.0, 1.0, step=0.1),
    "k": IntDistribution(0, 20),
}


def _observations(rng, n):
    columns = []
    for dist in SPACE.values():
        if dist.log:
            values = np.exp(rng.uniform(math.log(dist.low), math.log(dist.high), n))
            values = np.round(values) if isinstance(dist, IntDistribution) else values
        elif dist.step is not None:
            values = (
                dist.low
                + rng.integers(0, round((dist.high - dist.low) / dist.step) + 1, n) * dist.step
            )
        else:
            values = rng.uniform(dist.low, dist.high, n)
        columns.append(values)
    return np.column_stack(columns).reshape(n, len(SPACE))


@pytest.mark.parametrize("n", [0, 1, 2, 5, 40])
def test_the_estimator_is_optunas_parzen_estimator(n):
    observations = _observations(np.random.default_rng(n), n)
    ours = ParzenEstimator.fit(Ranges.of(list(SPACE.values())), observations, recency_weights(n))
    parameters = _ParzenEstimatorParameters(1.0, True, False, default_weights, True)
    theirs = _ParzenEstimator(
        {name: observations[:, i] for i, name in enumerate(SPACE)}, SPACE, parameters
    )
    draws = ours.sample(np.random.default_rng(1), 2000)
    as_dict = {name: draws[:, i] for i, name in enumerate(SPACE)}
    np.testing.assert_allclose(ours.log_pdf(draws), theirs.log_pdf(as_dict), rtol=0, atol=1e-9)
    for i, (name, dist) in enumerate(SPACE.items()):
        assert ((draws[:, i] >= dist.low) & (draws[:, i] <= dist.high)).all(), name
        if dist.step is not None:  # on the grid
            cells = (draws[:, i] - dist.low) / dist.step
            np.testing.assert_allclose(cells, np.round(cells), atol=1e-9)
    reference = theirs.sample(np.random.RandomState(2), 2000)
    for i, name in enumerate(SPACE):
        assert ks_2samp(draws[:, i], reference[name]).pvalue > 1e-3, name


def _pruned(value, steps, params):
    return create_trial(
        state=TrialState.PRUNED, params=params, distributions=SPACE,
        intermediate_values={s: value + s for s in range(steps)},
    )  # fmt: skip


def _history(rng, n=40):
    """Complete, pruned (with and without intermediate values, one NaN) and infeasible."""
    trials = []
    for number in range(n):
        params = {name: dist.to_external_repr(v) for (name, dist), v in
                  zip(SPACE.items(), _observations(rng, 1)[0], strict=True)}  # fmt: skip
        kind = number % 5
        if kind == 3:
            trial = _pruned(float(rng.normal()), int(rng.integers(0, 4)), params)
            if number == 13:
                trial.intermediate_values[9] = float("nan")
        else:
            trial = create_trial(value=float(rng.normal()), params=params, distributions=SPACE)
        if kind == 4 and number % 2:
            trial.system_attrs[_CONSTRAINTS_KEY] = [float(rng.uniform(0.1, 2)), -1.0]
        trial.number = number
        trials.append(trial)
    return trials


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_the_good_and_bad_split_is_optunas(direction):
    study = optuna.create_study(direction=direction)
    trials = _history(np.random.default_rng(3))
    for n_good in (0, 1, 4, 10, 30, 40):
        ours = split(trials, n_good, study.direction)
        theirs = _split_trials(study, trials, n_good)
        assert [[t.number for t in group] for group in ours] == [
            [t.number for t in group] for group in theirs
        ]


def _study_with(trials, direction="minimize"):
    study = optuna.create_study(direction=direction)
    study.add_trials(trials)
    return study


def _draws(sampler_for, study, space, count):
    """``count`` relative draws for the next trial, one per sampler (or trial number)."""
    out = []
    for i in range(count):
        sampler = sampler_for(i)
        trial = create_trial(state=TrialState.RUNNING)
        trial.number = len(study.trials) + i
        out.append(sampler.sample_relative(study, trial, space))
    return out


def test_its_draws_follow_optunas_tpe():
    """The same history, 300 draws from each: the same distribution of values (the
    split, recency weights, candidates and their ratio of densities all agree)."""
    study = _study_with(_history(np.random.default_rng(4)))
    space = NumericTPE(seed=0).infer_relative_search_space(study, None)
    assert list(space) == sorted(SPACE)  # every finished trial has all five, by name
    ours = _draws(lambda i: NumericTPE(seed=0), study, space, 300)  # one draw per trial number
    theirs = _draws(
        lambda i: optuna.samplers.TPESampler(seed=i, constant_liar=False), study, space, 300
    )
    for name in space:
        a, b = [d[name] for d in ours], [d[name] for d in theirs]
        assert ks_2samp(a, b).pvalue > 1e-3, name
        assert all(SPACE[name]._contains(SPACE[name].to_internal_repr(v)) for v in a)


def test_start_up_is_random_then_shared_ranges_are_drawn_together():
    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        units = trial.suggest_int("units", 8, 256, log=True)
        value = (math.log10(lr) + 2.5) ** 2 + (math.log2(units) - 6) ** 2
        if trial.number % 2:
            value += trial.suggest_float("momentum", 0.5, 0.99)
        return value

    sampler = NumericTPE(seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=10)
    assert sampler.infer_relative_search_space(study, None) == {
        "lr": FloatDistribution(1e-4, 1e-1, log=True),
        "units": IntDistribution(8, 256, log=True),
    }
    calls = []
    relative = sampler.sample_relative
    sampler.sample_relative = lambda s, t, space: (
        calls.append(sorted(space)) or relative(s, t, space)
    )
    study.optimize(objective, n_trials=30)
    assert calls == [["lr", "units"]] * 30
    assert all(isinstance(t.params["units"], int) for t in study.trials)
    random = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    random.optimize(objective, n_trials=40)
    recent = [np.mean([t.value for t in s.trials[-20:]]) for s in (study, random)]
    assert recent[0] < 0.75 * recent[1]  # it models the good region (1.97 vs 3.04)


def test_a_trial_draws_the_same_values_for_the_same_seed_number_and_history():
    """Each trial's draws are keyed by the seed and its number, not by a generator that
    each process advances: a resumed study draws the same values."""
    study = _study_with(_history(np.random.default_rng(5)))
    space = NumericTPE(seed=0).infer_relative_search_space(study, None)
    first = _draws(lambda i: NumericTPE(seed=7), study, space, 3)
    assert first == _draws(lambda i: NumericTPE(seed=7), study, space, 3)
    assert first[0] != first[1] != first[2]
    assert first != _draws(lambda i: NumericTPE(seed=8), study, space, 3)


def test_it_refuses_a_categorical_and_leaves_multi_objective_studies_to_optuna():
    study = optuna.create_study(sampler=NumericTPE(seed=0))
    with pytest.raises(ValueError, match="'op' is CategoricalDistribution"):
        study.ask({"op": CategoricalDistribution(["a", "b"])})

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        return x, 1 - x

    multi = optuna.create_study(directions=["minimize", "minimize"], sampler=NumericTPE(seed=0))
    multi.optimize(objective, n_trials=15)
    assert len(multi.best_trials) >= 1
    assert isinstance(multi.sampler._multi_objective, optuna.samplers.TPESampler)


def test_values_outside_a_narrowed_range_are_left_out_of_the_model():
    wide = FloatDistribution(1e-5, 1.0, log=True)
    old = [create_trial(value=float(i), params={"lr": 10 ** -(i % 5)}, distributions={"lr": wide})
           for i in range(20)]  # fmt: skip
    study = _study_with(old)
    narrow = {"lr": FloatDistribution(1e-3, 1e-1, log=True)}
    for draw in _draws(lambda i: NumericTPE(seed=0), study, narrow, 20):
        assert 1e-3 <= draw["lr"] <= 1e-1


def test_one_sampler_serves_one_study_after_another():
    """What it keeps of finished trials (by number) is per study: a second study's trial 0
    is not the first's."""
    sampler = NumericTPE(seed=0)
    for name in ("a", "b"):
        study = optuna.create_study(sampler=sampler)
        study.optimize(lambda t, n=name: t.suggest_float(n, 0.0, 1.0) ** 2, n_trials=12)
        assert sampler.infer_relative_search_space(study, None) == {
            name: FloatDistribution(0.0, 1.0)
        }
