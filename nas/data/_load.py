"""``load_dataset``: a registered dataset name or a path to data a reader reads."""

from __future__ import annotations

from dataclasses import replace

from nas.base import DataError
from nas.data._builtin import DATASETS, list_datasets
from nas.data._dataset import Dataset
from nas.data._options import ReadOptions
from nas.data._readers import FOLDER, READERS, list_readers, suffix_of


def load_dataset(
    spec: str,
    *,
    val_fraction: float | None = None,
    split_seed: int | None = None,
    options: ReadOptions | None = None,
) -> Dataset:
    """Load ``spec``: a dataset name (``mnist1d``, ``digits``) or a data file or folder.

    Example::

        data = load_dataset("mnist1d")
        data.x_train.shape  # (3200, 1, 40)
        table = load_dataset("houses.csv", options=ReadOptions(target="price"))
    """
    options = options or ReadOptions()
    if val_fraction is not None:
        options = replace(options, val_fraction=val_fraction)
    if split_seed is not None:
        options = replace(options, split_seed=split_seed)
    if spec in DATASETS:
        return DATASETS.get(spec)(options.val_fraction, options.split_seed)
    if suffix_of(spec) in READERS:
        return READERS.get(suffix_of(spec))(spec, options)
    readers = ", ".join("a folder of class folders" if r == FOLDER else r for r in list_readers())
    raise DataError(
        f"unknown dataset {spec!r}; use one of {', '.join(list_datasets())} or a path to "
        f"data: {readers}"
    )
