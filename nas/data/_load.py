"""``load_dataset``: a built-in name or a path to an ``.npz`` file."""

from __future__ import annotations

from nas._errors import DataError
from nas.data._builtin import DATASETS, list_datasets
from nas.data._dataset import DEFAULT_SPLIT_SEED, DEFAULT_VAL_FRACTION, Dataset
from nas.data._npz import load_npz


def load_dataset(
    spec: str, *, val_fraction: float = DEFAULT_VAL_FRACTION, split_seed: int = DEFAULT_SPLIT_SEED
) -> Dataset:
    """Load ``spec``: a built-in name (``mnist1d``, ``digits``) or a path ending in ``.npz``.

    Example::

        data = load_dataset("mnist1d")
        data.x_train.shape  # (3200, 1, 40)
    """
    if spec in DATASETS:
        return DATASETS.get(spec)(val_fraction, split_seed)
    if spec.endswith(".npz"):
        return load_npz(spec, val_fraction, split_seed)
    raise DataError(
        f"unknown dataset {spec!r}; use one of {', '.join(list_datasets())} "
        "or a path to an .npz file"
    )
