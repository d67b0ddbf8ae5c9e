"""Readers of users' data, by file suffix (``.npz``, ``.ts``, ``.tsv``, ``.csv``,
``.parquet``; a folder of images is read by the ``/`` reader), more by registration.

A reader takes the path and the :class:`ReadOptions`, and returns a :class:`Dataset`,
raising :class:`nas.DataError` naming the file and what is wrong::

    @register_reader(".h5")
    def load_h5(path: str, options: ReadOptions) -> Dataset: ...
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from nas.base import DataError, Registry
from nas.data._dataset import Dataset
from nas.data._options import ReadOptions

FOLDER = "/"  # the key of the reader of folders (one sub-folder of images per class)
Reader = Callable[[str, ReadOptions], Dataset]
READERS: Registry[Reader] = Registry(
    "data file reader",
    builtins=("nas.data._npz", "nas.data._series", "nas.data._table", "nas.data._images"),
)
register_reader = READERS.register
list_readers = READERS.names


def suffix_of(spec: str) -> str:
    """The key a reader is registered under: the file suffix (``.npz``), lower case, or
    ``/`` for a folder."""
    if Path(spec).is_dir():
        return FOLDER
    return Path(spec).suffix.lower()


def is_data_file(spec: str) -> bool:
    """Whether ``spec`` names a file (or folder) one of the readers reads."""
    return suffix_of(spec) in READERS


def require(module: str, extra: str, source: str) -> ModuleType:
    """Import a reader's library, or fail with the one line that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise DataError(
            f"{source}: reading this file needs {module.split('.')[0]}; "
            f"install it with: pip install 'nas[{extra}]'"
        ) from None


def check_exists(path: str) -> None:
    """A missing file or folder, said plainly before any library tries to open it."""
    if not Path(path).exists():
        raise DataError(f"{path}: file not found")
