"""Datasets: built-in MNIST-1D and digits (no downloads) and users' data files, each kind
in a registry (``DATASETS`` by name, ``READERS`` by file suffix)."""

from nas.data._builtin import DATASETS, cache_dir, list_datasets, register_dataset
from nas.data._dataset import DEFAULT_SPLIT_SEED, DEFAULT_VAL_FRACTION, Dataset, make_dataset
from nas.data._load import load_dataset
from nas.data._readers import READERS, is_data_file, list_readers, register_reader

__all__ = [
    "DATASETS",
    "DEFAULT_SPLIT_SEED",
    "DEFAULT_VAL_FRACTION",
    "READERS",
    "Dataset",
    "cache_dir",
    "is_data_file",
    "list_datasets",
    "list_readers",
    "load_dataset",
    "make_dataset",
    "register_dataset",
    "register_reader",
]
