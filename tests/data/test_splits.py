"""Stratified holdout and K-fold splits of small data, and loader fuzzing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nas.base import DataError
from nas.data import ReadOptions, load_dataset, make_dataset


def _small(n_per_class=(7, 5, 3)):
    y = np.concatenate([np.full(n, k) for k, n in enumerate(n_per_class)]).astype(np.int64)
    x = np.arange(len(y), dtype=np.float32)[:, None, None].repeat(4, axis=2)
    return make_dataset("small", x, y, x[:3], y[:3], val_fraction=0.34)


def test_holdout_is_stratified_every_class_in_validation():
    data = _small()
    assert sorted(np.unique(data.y_val).tolist()) == [0, 1, 2]
    assert np.bincount(data.y_val).tolist() == [2, 2, 1]


@pytest.mark.parametrize("k", [2, 3])
def test_folds_partition_the_pool_and_are_stratified(k):
    data = _small()
    x, _ = data.pool()
    seen = []
    for i in range(k):
        fold = data.fold(k, i)
        assert len(fold.x_train) + len(fold.x_val) == len(x)
        assert set(np.unique(fold.y_val)) == {0, 1, 2}  # every class validated in each fold
        seen += fold.x_val[:, 0, 0].tolist()
        assert not set(fold.x_val[:, 0, 0]) & set(fold.x_train[:, 0, 0])
    assert sorted(seen) == sorted(x[:, 0, 0].tolist())  # every sample validated exactly once


def test_folds_are_the_same_on_every_call():
    data = _small()
    assert np.array_equal(data.fold(3, 1).x_val, data.fold(3, 1).x_val)


def test_too_many_folds_is_one_clear_error():
    with pytest.raises(DataError, match="needs 2 <= folds <= 15 samples"):
        _small().fold(20, 0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=300), suffix=st.sampled_from([".tsv", ".csv", ".ts"]))
def test_garbage_files_raise_data_error_only(tmp_path, body, suffix):
    path = tmp_path / f"fuzz_TRAIN{suffix}"
    path.write_bytes(body)
    try:
        load_dataset(str(path), options=ReadOptions(target="y"))
    except DataError as exc:
        assert str(path) in str(exc) or "fuzz" in str(exc)
