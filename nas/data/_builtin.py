"""Datasets that ship with `nas` and need no download: MNIST-1D and scikit-learn digits."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from nas.base import Registry
from nas.data._dataset import DEFAULT_SPLIT_SEED, DEFAULT_VAL_FRACTION, Dataset, make_dataset

DIGITS_TEST_FRACTION = 0.2  # digits has no official test split: a stratified 20% held out
DIGITS_PIXEL_MAX = 16.0  # digits pixels are 0..16; scaled to 0..1

BuiltinLoader = Callable[[float, int], Dataset]  # (val_fraction, split_seed) -> Dataset
DATASETS: Registry[BuiltinLoader] = Registry("dataset")
register_dataset = DATASETS.register
list_datasets = DATASETS.names


def cache_dir() -> Path:
    """Where generated data is cached: ``$NAS_CACHE_DIR`` or ``~/.cache/nas``."""
    root = os.environ.get("NAS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "nas"
    )
    return Path(root)


def _mnist1d_arrays() -> dict[str, np.ndarray]:
    """The canonical MNIST-1D arrays (4000 train / 1000 test, length 40), cached as .npz."""
    path = cache_dir() / "mnist1d-canonical-seed42.npz"
    if path.exists():
        with np.load(path) as cached:
            return {k: cached[k] for k in cached.files}
    from mnist1d.data import get_dataset_args
    from mnist1d.data import make_dataset as generate

    args = get_dataset_args()  # canonical arguments: 5000 samples, seed 42, length 40
    data = generate(args)
    arrays = {k: np.asarray(data[k]) for k in ("x", "y", "x_test", "y_test")}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)  # atomic: concurrent workers never read a half-written cache
    return arrays


@register_dataset("mnist1d")
def load_mnist1d(
    val_fraction: float = DEFAULT_VAL_FRACTION, split_seed: int = DEFAULT_SPLIT_SEED
) -> Dataset:
    """MNIST-1D (Greydanus 2020): 10 classes of 1-D signals of length 40."""
    a = _mnist1d_arrays()
    return make_dataset(
        "mnist1d",
        a["x"][:, None, :],
        a["y"].astype(np.int64),
        a["x_test"][:, None, :],
        a["y_test"].astype(np.int64),
        val_fraction=val_fraction,
        split_seed=split_seed,
    )


@register_dataset("digits")
def load_digits(
    val_fraction: float = DEFAULT_VAL_FRACTION, split_seed: int = DEFAULT_SPLIT_SEED
) -> Dataset:
    """scikit-learn's 8x8 digits (1797 images), with a stratified 20% test split (seed 0)."""
    from sklearn.datasets import load_digits as sk_digits
    from sklearn.model_selection import train_test_split

    raw = sk_digits()
    x = (raw.images / DIGITS_PIXEL_MAX)[:, None, :, :]
    x_train, x_test, y_train, y_test = train_test_split(
        x, raw.target, test_size=DIGITS_TEST_FRACTION, random_state=0, stratify=raw.target
    )
    return make_dataset(
        "digits",
        x_train,
        y_train.astype(np.int64),
        x_test,
        y_test.astype(np.int64),
        val_fraction=val_fraction,
        split_seed=split_seed,
    )
