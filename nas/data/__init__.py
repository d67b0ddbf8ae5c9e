"""Datasets: built-in MNIST-1D and digits (no downloads) and users' data (``.npz``, UCR/UEA
``.ts``/``.tsv``, CSV/Parquet tables, image folders), each kind in a registry
(``DATASETS`` by name, ``READERS`` by file suffix)."""

from nas.data._builtin import DATASETS, cache_dir, list_datasets, register_dataset
from nas.data._dataset import (
    DEFAULT_SPLIT_SEED,
    DEFAULT_VAL_FRACTION,
    Dataset,
    fold_indices,
    input_scale_shape,
    make_dataset,
    raw_inputs,
    target_statistics,
)
from nas.data._load import load_dataset
from nas.data._options import TASKS, UNEQUAL_LENGTH_POLICIES, ReadOptions
from nas.data._readers import READERS, is_data_file, list_readers, register_reader

__all__ = [
    "DATASETS",
    "DEFAULT_SPLIT_SEED",
    "DEFAULT_VAL_FRACTION",
    "READERS",
    "TASKS",
    "UNEQUAL_LENGTH_POLICIES",
    "Dataset",
    "ReadOptions",
    "cache_dir",
    "fold_indices",
    "input_scale_shape",
    "is_data_file",
    "list_datasets",
    "list_readers",
    "load_dataset",
    "make_dataset",
    "raw_inputs",
    "register_dataset",
    "register_reader",
    "target_statistics",
]
