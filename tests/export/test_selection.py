"""Greedy ensemble selection over out-of-fold predictions (Caruana et al. 2004)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nas.export._selection import out_of_fold_loss, select_ensemble


def _confident(right: np.ndarray, y: np.ndarray, classes: int = 2, p: float = 0.9):
    """Probabilities putting ``p`` on the true class where ``right``, else on another."""
    out = np.full((len(y), classes), (1 - p) / (classes - 1))
    predicted = np.where(right, y, (y + 1) % classes)
    out[np.arange(len(y)), predicted] = p
    return out


def test_two_models_wrong_on_different_samples_are_averaged():
    y = np.array([0, 1] * 10)
    first_half = np.arange(20) < 10
    predictions = {
        3: _confident(~first_half | (np.arange(20) < 3), y),  # wrong on 3..9
        7: _confident(first_half | (np.arange(20) >= 17), y),  # wrong on 10..16
        9: _confident(np.zeros(20, bool), y),  # always wrong: never chosen
    }
    chosen = select_ensemble(predictions, y, "classification")
    assert set(chosen.weights) == {3, 7}
    assert sum(chosen.weights.values()) == pytest.approx(1.0)
    assert chosen.loss < min(chosen.single.values())
    assert chosen.best_single in (3, 7)


def test_a_dominant_model_is_chosen_alone():
    y = np.array([0, 1] * 10)
    predictions = {
        0: _confident(np.arange(20) < 14, y, p=0.7),
        1: _confident(np.ones(20, bool), y, p=0.95),
    }
    chosen = select_ensemble(predictions, y, "classification")
    assert chosen.weights == {1: 1.0} and chosen.loss == chosen.single[1]


def test_ties_go_to_the_lower_trial_number():
    y = np.array([0, 1, 0, 1])
    same = _confident(np.ones(4, bool), y)
    chosen = select_ensemble({5: same, 2: same.copy()}, y, "classification")
    assert chosen.weights == {2: 1.0} and chosen.best_single == 2


def test_regression_averages_outputs_that_err_in_opposite_directions():
    y = np.linspace(0, 1, 10)
    chosen = select_ensemble({0: y + 0.1, 1: y - 0.1, 2: y + 0.3}, y, "regression")
    assert chosen.weights == {0: 0.5, 1: 0.5} and chosen.loss == pytest.approx(0.0)


def test_no_candidates_is_an_error():
    with pytest.raises(ValueError, match="at least one candidate"):
        select_ensemble({}, np.array([0]), "classification")


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (4, 12, 3), elements=st.floats(0.01, 1.0)),
    arrays(np.int64, 12, elements=st.integers(0, 2)),
)
def test_the_ensemble_is_never_worse_than_the_best_single_trial(raw, y):
    predictions = {n: p / p.sum(axis=1, keepdims=True) for n, p in enumerate(raw)}
    chosen = select_ensemble(predictions, y, "classification")
    assert chosen.loss <= min(chosen.single.values()) + 1e-12
    assert sum(chosen.weights.values()) == pytest.approx(1.0)
    mixed = sum(w * predictions[n] for n, w in chosen.weights.items())
    assert out_of_fold_loss(mixed, y, "classification") == pytest.approx(chosen.loss)


def test_temperature_sharpens_flat_logits_and_softens_overconfident_ones():
    from nas.export._selection import fit_temperature, softmax

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    flat = np.eye(3)[y] * 0.2 + rng.normal(0, 0.05, (200, 3))  # right, ridge-like scale
    sharp = fit_temperature(flat, y)
    assert sharp < 0.2
    assert out_of_fold_loss(softmax(flat / sharp), y, "classification") < out_of_fold_loss(
        softmax(flat), y, "classification"
    )
    wrong = np.eye(3)[(y + (rng.random(200) < 0.3)) % 3] * 20.0  # 30% wrong, confident
    assert fit_temperature(wrong, y) > 1.0
    assert np.array_equal(softmax(flat / sharp).argmax(1), flat.argmax(1))
