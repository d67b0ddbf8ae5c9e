"""Readers of users' data files, by file suffix: ``.npz`` built in, more by registration.

A reader takes the path, the validation fraction and the split seed, and returns a
:class:`Dataset`, raising :class:`nas.DataError` naming the file and what is wrong::

    @register_reader(".csv")
    def load_csv(path, val_fraction, split_seed) -> Dataset: ...
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nas.base import Registry
from nas.data._dataset import Dataset

Reader = Callable[[str, float, int], Dataset]  # (path, val_fraction, split_seed) -> Dataset
READERS: Registry[Reader] = Registry("data file reader", builtins=("nas.data._npz",))
register_reader = READERS.register
list_readers = READERS.names


def suffix_of(spec: str) -> str:
    """The file suffix a reader is registered under (``.npz``), lower case."""
    return Path(spec).suffix.lower()


def is_data_file(spec: str) -> bool:
    """Whether ``spec`` names a file one of the readers reads (by its suffix)."""
    return suffix_of(spec) in READERS
