"""Datasets: built-in MNIST-1D and digits (no downloads) and user ``.npz`` files."""

from nas.data._builtin import cache_dir, list_datasets, register_dataset
from nas.data._dataset import DEFAULT_SPLIT_SEED, DEFAULT_VAL_FRACTION, Dataset, make_dataset
from nas.data._load import load_dataset

__all__ = [
    "DEFAULT_SPLIT_SEED",
    "DEFAULT_VAL_FRACTION",
    "Dataset",
    "cache_dir",
    "list_datasets",
    "load_dataset",
    "make_dataset",
    "register_dataset",
]
