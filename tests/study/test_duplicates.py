"""A trial that repeats a completed trial's parameters is pruned, naming it, and not trained."""

from __future__ import annotations

import logging

import optuna
import pytest

from nas.study import load_recipe, prepare_search, run_search
from nas.study._duplicates import EXHAUSTED_AFTER, duplicate_of

State = optuna.trial.TrialState

# two points in all: the kernel; everything else fixed, so repeats are certain
TWO_POINTS = """\
stages:
  - name: feature
    n_blocks: 1
    blocks: {conv: {channels: 4, kernel: [3, 5]}}
readout: global_avg
training:
  optimizer: adam
  lr: 0.01
  batch_size: 256
  epochs: 1
  patience: 0
"""


@pytest.fixture
def two_points(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(TWO_POINTS)
    return str(path)


def test_a_repeat_of_a_completed_trial_is_found_and_an_enqueued_one_is_not():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study()

    def ask(k: int, *, enqueue: bool = False) -> optuna.Trial:
        """A trial at ``k``: enqueued, or proposed by a sampler (fixed at ``k``)."""
        if enqueue:
            study.enqueue_trial({"k": k})
        random = optuna.samplers.RandomSampler(seed=0)
        study.sampler = optuna.samplers.PartialFixedSampler({"k": k}, random)
        trial = study.ask()
        trial.suggest_categorical("k", [3, 5, 7])
        assert trial.params == {"k": k}
        return trial

    first = ask(3)
    assert duplicate_of(first) is None  # nothing has completed
    study.tell(first, 0.5)
    again = ask(3, enqueue=True)
    assert duplicate_of(again) is None  # enqueued: trained although it repeats #0
    study.tell(again, 0.6)
    assert duplicate_of(ask(3)) == 0  # a sampler's repeat: the first such trial is named
    assert duplicate_of(ask(7)) is None  # a new point
    pruned = ask(5)
    study.tell(pruned, state=State.PRUNED)
    assert duplicate_of(ask(5)) is None  # a pruned trial does not count


def test_of_two_running_trials_at_one_point_only_the_later_is_a_repeat():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        sampler=optuna.samplers.PartialFixedSampler({"k": 3}, optuna.samplers.RandomSampler())
    )
    first, second = study.ask(), study.ask()  # two workers, both still running
    for trial in (first, second):
        trial.suggest_categorical("k", [3, 5])
    assert duplicate_of(first) is None  # created first: it trains
    assert duplicate_of(second) == first.number


def test_a_search_trains_each_point_once_and_prunes_its_repeats(make_recipe, two_points):
    recipe = load_recipe(make_recipe(space=two_points, n_trials=8))
    run_search(recipe)
    trials = prepare_search(recipe).study.trials
    assert len(trials) == 8
    complete = [t for t in trials if t.state == State.COMPLETE]
    repeats = [t for t in trials if t.state == State.PRUNED]
    assert len(complete) + len(repeats) == 8
    assert len({t.params["feature.0.conv.kernel"] for t in complete}) == len(complete) <= 2
    assert repeats, "8 trials over 2 points must repeat one"
    by_number = {t.number: t for t in trials}
    for trial in repeats:
        earlier = by_number[trial.user_attrs["duplicate_of"]]
        assert earlier.state == State.COMPLETE and earlier.number < trial.number
        assert earlier.params == trial.params
        assert trial.user_attrs["fail_reason"] == (
            f"duplicate of trial #{earlier.number} (the same parameters): not trained again"
        )
        assert "train_seconds" not in trial.user_attrs and "n_params" not in trial.user_attrs


def test_retrain_duplicates_trains_every_repeat(make_recipe, two_points):
    recipe = load_recipe(
        make_recipe(space=two_points, n_trials=4, search={"retrain_duplicates": True})
    )
    run_search(recipe)
    trials = prepare_search(recipe).study.trials
    assert [t.state for t in trials] == [State.COMPLETE] * 4
    assert len({t.params["feature.0.conv.kernel"] for t in trials}) <= 2  # so some repeated
    assert not any("duplicate_of" in t.user_attrs for t in trials)


def test_an_exhausted_space_stops_the_search_with_a_warning(make_recipe, two_points, caplog):
    recipe = load_recipe(make_recipe(space=two_points, n_trials=None, timeout=600))
    with caplog.at_level(logging.WARNING, logger="nas.study"):
        outcome = run_search(recipe)
    trials = prepare_search(recipe).study.trials
    complete = [t for t in trials if t.state == State.COMPLETE]
    assert len(complete) == 2  # both points, each once
    tail = trials[-EXHAUSTED_AFTER:]
    assert all(t.state == State.PRUNED and "duplicate_of" in t.user_attrs for t in tail)
    assert outcome.new_trials == len(trials) < 600  # stopped long before the timeout
    assert "the space looks exhausted" in caplog.text
