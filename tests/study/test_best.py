"""Choosing the best trial: the one-standard-error rule over cross-validated trials, and
its agreement across ``nas best``, ``nas export`` and the dashboard's note."""

from __future__ import annotations

import math

import optuna
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nas.study import best_in_store, best_trial, choice_note
from nas.study._best import Candidate, rank

FOLDS = 5


def _cv_attrs(value: float, sd: float, params: int, loss: float = 0.5) -> dict:
    """A cross-validated trial's stored record: FOLDS folds whose spread is ``sd``."""
    return {
        "metrics": {"val_acc": value, "val_loss": loss},
        "metrics_sd": {"val_acc": sd, "val_loss": 0.1},
        "folds": [{"metrics": {"val_acc": value}}] * FOLDS,
        "n_params": params,
    }


def _study(trials, storage=None, direction="maximize"):
    study = optuna.create_study(direction=direction, storage=storage)
    study.set_metric_names(["val_acc"])
    for value, attrs in trials:
        study.add_trial(optuna.trial.create_trial(value=value, user_attrs=attrs))
    return study


# #0 is best by 0.02, within its standard error 0.06 / sqrt(4) = 0.03 of #1, which is
# 50x smaller; #2 is smaller still but 0.10 behind
NOISY = [
    (0.80, _cv_attrs(0.80, 0.06, 500_000)),
    (0.78, _cv_attrs(0.78, 0.05, 10_000)),
    (0.70, _cv_attrs(0.70, 0.02, 1_000)),
]


def test_the_fewest_parameters_win_within_one_standard_error_of_the_best():
    study = _study(NOISY)
    assert study.best_trial.number == 0  # Optuna's: the best fold mean
    best = best_trial(study)
    assert best.number == 1
    assert choice_note(study, best) == (
        "#1 has the fewest parameters (10,000) of 2 trials within one standard error (0.03) "
        "of the best val_acc 0.8 (#0)"
    )


def test_a_precise_best_keeps_its_place():
    precise = [(v, {**a, "metrics_sd": {"val_acc": 0.002}}) for v, a in NOISY]
    study = _study(precise)
    assert best_trial(study).number == 0 and choice_note(study, best_trial(study)) is None


def test_the_rule_reads_lower_as_better_when_minimizing():
    def rmse(value, sd, params):
        attrs = _cv_attrs(value, sd, params)
        attrs["metrics_sd"] = {"val_acc": sd}
        return value, attrs

    # #1 is 0.0004 worse than #0, well inside its standard error 0.002
    study = _study([rmse(0.0386, 0.004, 230_000), rmse(0.0390, 0.004, 10_001),
                    rmse(0.0500, 0.004, 100)], direction="minimize")  # fmt: skip
    assert best_trial(study).number == 1


def test_one_validation_split_has_no_standard_error_so_ties_go_to_the_loss():
    holdout = [
        (1.0, {"metrics": {"val_acc": 1.0, "val_loss": 0.3}, "n_params": 10}),
        (1.0, {"metrics": {"val_acc": 1.0, "val_loss": 0.1}, "n_params": 10_000}),
    ]
    study = _study(holdout)
    assert best_trial(study).number == 1
    assert choice_note(study, best_trial(study)).startswith("2 trials tie at val_acc 1")


def test_nas_best_export_and_the_dashboard_note_agree_on_the_choice(tmp_path):
    from nas.export import select_trial
    from nas.study._artifacts import best_trial_note

    url = f"sqlite:///{tmp_path / 'cv.db'}"
    study = _study(NOISY, storage=url)
    found = best_in_store(url, None, url)  # what `nas best` reads, by SQL
    assert [t.number for t in found.trials] == [1]
    assert select_trial(study).number == best_trial(study).number == 1
    assert found.choice == choice_note(study, best_trial(study))
    assert "**#1**: " in best_trial_note(study) and found.choice in best_trial_note(study)


_candidates = st.lists(
    st.builds(
        Candidate,
        number=st.integers(0, 10_000),
        value=st.floats(0, 1),
        loss=st.floats(0, 5),
        se=st.sampled_from([0.0, 0.01, 0.05]),
        params=st.integers(1, 10**6).map(float),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda c: c.number,
)


@given(_candidates, st.booleans())
def test_the_choice_is_within_one_se_and_nothing_there_is_smaller(pool, maximize):
    sign = 1.0 if maximize else -1.0
    top = max(pool, key=lambda c: (sign * c.value, -c.loss, -c.number))
    best = rank(pool, maximize)
    if top.se == 0:
        assert best == top
        return
    assert sign * best.value >= sign * top.value - top.se
    band = [c for c in pool if sign * c.value >= sign * top.value - top.se]
    assert best.params == min(c.params for c in band)


@pytest.mark.parametrize("folds", [0, 1])
def test_no_spread_without_at_least_two_folds(folds):
    attrs = {**_cv_attrs(0.8, 0.05, 10), "folds": [{}] * folds}
    assert Candidate.of(0, 0.8, attrs, "val_acc").se == 0.0
    assert Candidate.of(0, 0.8, _cv_attrs(0.8, 0.05, 10), "val_acc").se == pytest.approx(
        0.05 / math.sqrt(FOLDS - 1)
    )
