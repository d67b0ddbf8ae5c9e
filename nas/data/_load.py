"""``load_dataset``: a registered dataset name or a path to a file a reader reads."""

from __future__ import annotations

from nas.base import DataError
from nas.data._builtin import DATASETS, list_datasets
from nas.data._dataset import DEFAULT_SPLIT_SEED, DEFAULT_VAL_FRACTION, Dataset
from nas.data._readers import READERS, list_readers, suffix_of


def load_dataset(
    spec: str, *, val_fraction: float = DEFAULT_VAL_FRACTION, split_seed: int = DEFAULT_SPLIT_SEED
) -> Dataset:
    """Load ``spec``: a dataset name (``mnist1d``, ``digits``) or a data file (``.npz``).

    Example::

        data = load_dataset("mnist1d")
        data.x_train.shape  # (3200, 1, 40)
    """
    if spec in DATASETS:
        return DATASETS.get(spec)(val_fraction, split_seed)
    if suffix_of(spec) in READERS:
        return READERS.get(suffix_of(spec))(spec, val_fraction, split_seed)
    raise DataError(
        f"unknown dataset {spec!r}; use one of {', '.join(list_datasets())} "
        f"or a path to a {' or '.join(list_readers())} file"
    )
