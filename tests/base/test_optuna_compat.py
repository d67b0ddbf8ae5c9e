"""The seam to Optuna's private API: each assumption pinned to the installed Optuna, and a
clear error (not a silent fallback) where one no longer holds."""

from __future__ import annotations

import optuna
import pytest

from nas.base import optuna_compat as compat

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _study(n: int) -> optuna.Study:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=n)
    return study


def test_private_reads_match_the_public_api():
    study = _study(4)
    assert [t.number for t in compat.cached_trials(study)] == [t.number for t in study.trials]
    same = optuna.load_study(study_name=study.study_name, storage=compat.storage_of(study))
    assert compat.study_id(same) == compat.study_id(study)
    running = study.ask()
    frozen = compat.stored_trial(running)  # what a sampler's after_trial gets
    assert frozen.number == running.number == 4
    assert compat.trial_id(frozen) == compat.trial_id(running) != compat.trial_id(study.trials[0])
    compat.set_trial_user_attr(study, frozen, "k", 5)
    assert study.trials[4].user_attrs["k"] == 5


def test_the_trials_as_of_ask_are_the_stored_ones_without_a_read(tmp_path):
    """On an RDB store (Optuna's per-process cache in front), right after ``ask`` the cache
    holds every finished trial as the storage does, and the new trial as unfinished (one
    popped from the queue still shows WAITING); on a store with no cache (in memory) the
    same list comes from one read."""
    sqlite = optuna.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")
    for study in (sqlite, _study(0)):
        study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=4)
        for enqueue in (False, True):
            if enqueue:
                study.enqueue_trial({"x": 0.5})
            trial = study.ask()
            cached = compat.trials_as_of_ask(study)
            stored = study.get_trials(deepcopy=False)
            assert [(t.number, t.state, t.params, t.values) for t in cached[:-1]] == [
                (t.number, t.state, t.params, t.values) for t in stored[:-1]
            ]
            assert cached[-1].number == trial.number == len(stored) - 1
            assert not cached[-1].state.is_finished()
            study.tell(trial, 0.0)


def test_a_missing_private_api_is_a_clear_error():
    class Elsewhere:
        pass

    with pytest.raises(compat.OptunaCompatError, match=r"Elsewhere\._get_trials is missing in optuna .*supports optuna>=4\.2,<6"):
        compat.cached_trials(Elsewhere())  # type: ignore[arg-type]


def test_the_window_shows_only_the_last_trials_and_refuses_the_rest():
    study = _study(12)
    view = compat.TrialWindow(study, compat.cached_trials(study), window=5)
    assert [t.number for t in view._get_trials(deepcopy=False)] == [7, 8, 9, 10, 11]
    study.optimize(lambda t: 1 / 0, n_trials=3, catch=(ZeroDivisionError,))  # 3 failed
    view = compat.TrialWindow(study, compat.cached_trials(study), window=5)
    complete = view._get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    assert [t.number for t in complete] == [7, 8, 9, 10, 11]  # the last 5 of that state
    assert [t.number for t in view._get_trials(deepcopy=False)] == [10, 11, 12, 13, 14]
    complete.clear()  # a caller's edit of its list does not reach the view's
    assert len(view._get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))) == 5
    assert view.direction == study.direction and not view._is_multi_objective()
    with pytest.raises(compat.OptunaCompatError, match="Study.best_trial"):
        view.best_trial  # noqa: B018  (reaching past the window to the real study)
    with pytest.raises(compat.OptunaCompatError, match="storage.get_all_trials"):
        view._storage.get_all_trials(view._study_id)  # reaching past the window: refused


@pytest.mark.parametrize("sampler", [optuna.samplers.TPESampler(seed=0, n_startup_trials=2),
                                     optuna.samplers.RandomSampler(seed=0)])  # fmt: skip
def test_optunas_samplers_sample_through_the_window(sampler):
    """If a future Optuna sampler reads anything the window lacks, this fails loudly."""
    study = _study(12)
    view = compat.TrialWindow(study, compat.cached_trials(study), window=5)
    trial = study.ask()
    dist = optuna.distributions.FloatDistribution(-1, 1)
    frozen = compat.stored_trial(trial)
    value = sampler.sample_independent(view, frozen, "x", dist)  # type: ignore[arg-type]
    assert -1 <= value <= 1


@pytest.mark.parametrize("liar", [False, True])
def test_multivariate_tpe_samples_relative_params_through_the_window(liar):
    """The controller's inner TPE draws the shared numeric params in one relative call over
    the window; with the constant liar it shares them through the window's storage writer."""
    study = _study(12)
    view = compat.TrialWindow(study, compat.cached_trials(study), window=5)
    sampler = optuna.samplers.TPESampler(seed=0, n_startup_trials=2, constant_liar=liar)
    trial = study.ask()
    frozen = compat.stored_trial(trial)
    space = sampler.infer_relative_search_space(view, frozen)  # type: ignore[arg-type]
    assert set(space) == {"x"}
    params = sampler.sample_relative(view, frozen, space)  # type: ignore[arg-type]
    assert set(params) == {"x"} and -1 <= params["x"] <= 1
    shared = compat.stored_trial(trial).system_attrs
    assert any(k.startswith("tpe:relative_params") for k in shared) == liar
