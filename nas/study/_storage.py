"""The SQL study store: Optuna's RDB storage through SQLAlchemy.

SQLite (embedded, one file) by default; any SQLAlchemy URL otherwise (postgresql://,
mysql://). Printed URLs always have their password masked.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from nas._errors import StorageError

if TYPE_CHECKING:
    import optuna

DEFAULT_STORAGE = "sqlite:///studies/nas.db"  # relative to the working directory
STORAGE_ENV = "NAS_STORAGE"  # overrides the default, keeps passwords out of shell history
SQLITE_BUSY_TIMEOUT_S = 60  # how long SQLite waits for a lock before "database is locked"


def default_storage() -> str:
    """``$NAS_STORAGE`` if set, else the embedded SQLite file ``studies/nas.db``."""
    return os.environ.get(STORAGE_ENV) or DEFAULT_STORAGE


SQLITE_PREFIX = "sqlite:///"


def sqlite_file(url: str) -> str | None:
    """The file path of a ``sqlite:///PATH`` URL (None for other URLs and in-memory SQLite)."""
    if not url.startswith(SQLITE_PREFIX):
        return None
    path = url[len(SQLITE_PREFIX) :]
    return path if path and path != ":memory:" else None


def mask_password(url: str) -> str:
    """The URL with any password replaced by ``***``."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def open_storage(url: str) -> optuna.storages.RDBStorage:
    """Open (creating if needed) the study store at ``url``.

    Raises:
        StorageError: the URL is malformed, its driver is missing, or the server refuses.
    """
    import optuna

    engine_kwargs: dict = {}
    if url.startswith(SQLITE_PREFIX):
        path = sqlite_file(url)
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine_kwargs = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    try:
        return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs)
    except Exception as exc:  # SQLAlchemy raises several unrelated types for bad URLs
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StorageError(
            f"cannot open storage {mask_password(url)}: {mask_password(reason)}"
        ) from None
