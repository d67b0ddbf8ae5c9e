from __future__ import annotations

import numpy as np
import pytest

from nas import DataError
from nas.data import list_datasets, list_readers, load_dataset


def test_mnist1d_canonical_splits(mnist1d):
    d = mnist1d
    assert d.task == "classification" and d.num_outputs == 10
    assert d.x_train.shape == (3200, 1, 40) and d.x_val.shape == (800, 1, 40)
    assert d.x_test.shape == (1000, 1, 40)
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert d.spatial_dims == 1
    assert set(np.unique(d.y_test)) == set(range(10))


def test_mnist1d_is_cached_and_split_is_seeded(mnist1d, monkeypatch):
    import mnist1d.data as generator

    monkeypatch.setattr(generator, "make_dataset", lambda *a, **k: pytest.fail("regenerated"))
    again = load_dataset("mnist1d")  # served from the cache written by the fixture
    assert np.array_equal(again.x_val, mnist1d.x_val) and np.array_equal(again.y_train, mnist1d.y_train)
    other = load_dataset("mnist1d", split_seed=1)
    assert not np.array_equal(other.y_val, mnist1d.y_val)
    assert np.array_equal(np.sort(np.concatenate([other.y_train, other.y_val])),
                          np.sort(np.concatenate([mnist1d.y_train, mnist1d.y_val])))


def test_digits_is_2d_with_held_out_test(digits):
    assert digits.input_shape == (1, 8, 8) and digits.spatial_dims == 2
    assert len(digits.x_train) + len(digits.x_val) + len(digits.x_test) == 1797
    assert len(digits.x_test) == 360
    assert digits.x_train.min() >= 0.0 and digits.x_train.max() <= 1.0


def _save(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


def test_npz_classification_1d_and_2d(tmp_path):
    rng = np.random.default_rng(0)
    f = _save(tmp_path / "sig.npz", x_train=rng.normal(size=(50, 30)), y_train=rng.integers(0, 3, 50),
              x_test=rng.normal(size=(10, 30)), y_test=rng.integers(0, 3, 10))
    d = load_dataset(f)
    assert d.task == "classification" and d.num_outputs == 3
    assert d.input_shape == (1, 30) and len(d.x_train) == 40 and len(d.x_val) == 10
    f = _save(tmp_path / "img.npz", x_train=rng.normal(size=(20, 3, 6, 5)), y_train=rng.integers(0, 2, 20),
              x_test=rng.normal(size=(4, 3, 6, 5)), y_test=rng.integers(0, 2, 4))
    assert load_dataset(f).input_shape == (3, 6, 5)


def test_npz_regression_with_explicit_validation_and_layout(tmp_path):
    rng = np.random.default_rng(0)
    f = _save(tmp_path / "reg.npz", x_train=rng.normal(size=(30, 7, 7)), y_train=rng.normal(size=(30, 2)),
              x_val=rng.normal(size=(5, 7, 7)), y_val=rng.normal(size=(5, 2)),
              x_test=rng.normal(size=(6, 7, 7)), y_test=rng.normal(size=(6, 2)), layout="NHW")
    d = load_dataset(f)
    assert d.task == "regression" and d.num_outputs == 2
    assert d.input_shape == (1, 7, 7) and len(d.x_val) == 5 and len(d.x_train) == 30
    assert d.y_train.dtype == np.float32


GOOD = {
    "x_train": np.zeros((10, 8)), "y_train": np.zeros(10, dtype=np.int64),
    "x_test": np.zeros((4, 8)), "y_test": np.zeros(4, dtype=np.int64),
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"x_test": None}, r"missing array 'x_test'; an .npz needs x_train, y_train, x_test, y_test"),
        ({"y_train": np.zeros(9, dtype=np.int64)}, r"y_train has shape \(9,\); expected \(10,\) or \(10, K\)"),
        ({"x_test": np.zeros((4, 9))}, r"x_test samples have shape \(1, 9\); expected \(1, 8\) like x_train"),
        ({"x_train": np.zeros((10, 3, 8)), "x_test": np.zeros((4, 3, 8))}, r"x_train has shape \(10, 3, 8\), which is either \(N, C, L\) signals or \(N, H, W\) images; add layout="),
        ({"x_train": np.zeros((10,))}, r"x_train has shape \(10,\); expected \(N, L\)"),
        ({"x_train": np.full((10, 8), np.nan)}, r"x_train contains NaN or inf"),
        ({"y_test": np.zeros(4, dtype=np.float32)}, r"y_test \(float32, \(4,\)\) does not match y_train"),
        ({"x_val": np.zeros((2, 8))}, r"x_val and y_val must be given together"),
        ({"weights": np.zeros(3)}, r"unknown array 'weights'"),
        ({"layout": np.array("NWH")}, r"layout is 'NWH'; expected one of NCL, NHW"),
    ],
)
def test_malformed_npz_names_the_array(tmp_path, change, message):
    arrays = {**GOOD, **change}
    f = _save(tmp_path / "bad.npz", **{k: v for k, v in arrays.items() if v is not None})
    with pytest.raises(DataError, match=message) as info:
        load_dataset(f)
    assert str(info.value).startswith(f)


def test_unreadable_or_unknown_data(tmp_path):
    with pytest.raises(DataError, match="unknown dataset 'cifar'; use one of mnist1d, digits"):
        load_dataset("cifar")
    with pytest.raises(DataError, match="file not found"):
        load_dataset(str(tmp_path / "none.npz"))
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(DataError, match="not a readable .npz file"):
        load_dataset(str(tmp_path / "junk.npz"))


@pytest.mark.parametrize("suffix", [r for r in list_readers() if r != "/"])
def test_every_reader_names_a_missing_or_unreadable_file(tmp_path, suffix):
    with pytest.raises(DataError, match=r"missing\.\w+: file not found"):
        load_dataset(str(tmp_path / f"missing{suffix}"))
    garbage = tmp_path / f"garbage{suffix}"
    garbage.write_bytes(b"\x00 not a data file \xff")
    with pytest.raises(DataError, match=r"garbage\.\w+: "):
        load_dataset(str(garbage))


@pytest.mark.parametrize("name", list_datasets())
def test_every_registered_dataset_loads_with_a_seeded_validation_split(name):
    data = load_dataset(name, val_fraction=0.25, split_seed=1)
    again = load_dataset(name, val_fraction=0.25, split_seed=1)
    n = len(data.x_train) + len(data.x_val)
    assert len(data.x_val) == round(n * 0.25) and np.array_equal(data.x_val, again.x_val)
    assert data.x_train.dtype == np.float32 and data.x_train.shape[1:] == data.x_test.shape[1:]
    assert data.task in ("classification", "regression") and data.num_outputs >= 1
