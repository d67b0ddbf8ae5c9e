"""The SQL study store: Optuna's RDB storage through SQLAlchemy.

SQLite (embedded, one file) by default; any SQLAlchemy URL otherwise (postgresql://,
mysql://). Printed URLs always have their password masked.

SQLite serves the workers of one machine: the file is switched to write-ahead logging
(readers never block the writer) and every connection waits up to a minute for the write
lock instead of failing with "database is locked". Workers on several machines need a
server (PostgreSQL, MySQL): SQLite's locking is unreliable on network file systems.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nas.base import StorageError, mask_password

if TYPE_CHECKING:
    import optuna

DEFAULT_STORAGE = "sqlite:///studies/nas.db"  # relative to the working directory
STORAGE_ENV = "NAS_STORAGE"  # overrides the default, keeps passwords out of shell history
SQLITE_BUSY_TIMEOUT_S = 60  # how long SQLite waits for a lock before "database is locked"
# URL scheme -> the pip extra that installs its driver
DRIVER_EXTRAS = {"postgresql": "postgres", "mysql": "mysql"}  # see pyproject.toml


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


def absolute_url(url: str) -> str:
    """``url`` with a relative SQLite path made absolute, so that it works from any folder
    (model cards and printed commands outlive the working directory)."""
    path = sqlite_file(url)
    if path is None or Path(path).is_absolute():
        return url
    return SQLITE_PREFIX + str(Path(path).resolve())


def open_storage(
    url: str, heartbeat: Mapping[str, Any] | None = None, *, create: bool = True
) -> optuna.storages.RDBStorage:
    """Open the study store at ``url``, creating it if ``create``.

    Args:
        url: SQLAlchemy URL.
        heartbeat: ``RDBStorage``'s heartbeat options, for searches and workers (see
            :func:`nas.study._recovery.storage_options`; a search then wraps the store in
            :class:`~nas.study._resilient.ResilientStorage`); None for read-only use
            (``nas best``, ``nas export``, the dashboard).
        create: create the file, its folder and the tables when missing (searches and
            workers). Read-only commands pass False: a missing store is an error, and
            nothing is written.

    Raises:
        StorageError: the URL is malformed, its driver is missing, the server refuses, or
            (``create=False``) no store exists there.
    """

    engine_kwargs: dict = {}
    options: dict = {}
    path = sqlite_file(url)
    if url.startswith(SQLITE_PREFIX):
        engine_kwargs = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    else:  # a restarted server leaves dead connections in the pool: test each on checkout
        engine_kwargs = {"pool_pre_ping": True}
    if not create:
        check_store(url)
        # read-only: never create tables; no schema migration check (alembic, 0.2 s)
        options.update(skip_table_creation=True, skip_compatibility_check=True)
    elif path is not None:
        _make_folder(path)
        _use_wal(path)
    if heartbeat is not None:
        options.update(heartbeat)
    try:
        return _create(url, engine_kwargs, options)
    except ImportError:
        raise _missing_driver(url) from None
    except Exception as exc:  # SQLAlchemy raises several unrelated types for bad URLs
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StorageError(
            f"cannot open storage {mask_password(url)}: {mask_password(reason)}"
        ) from None


SCHEMA_RACE_RETRIES = 5  # workers started together on a new store all try to create its tables


def _create(url: str, engine_kwargs: dict, options: dict) -> optuna.storages.RDBStorage:
    import optuna
    import sqlalchemy.exc

    for attempt in range(SCHEMA_RACE_RETRIES):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs, **options)
        except sqlalchemy.exc.DBAPIError as exc:
            # another process created the tables (or their version row) first; once it is
            # done, opening finds them. SQLite says "table ... already exists"
            # (OperationalError), PostgreSQL a duplicate key (IntegrityError/ProgrammingError).
            racing = not isinstance(exc, sqlalchemy.exc.OperationalError) or (
                "already exists" in str(exc)
            )
            if not racing or attempt == SCHEMA_RACE_RETRIES - 1:
                raise
            time.sleep(0.2 * (attempt + 1) + random.random() * 0.2)
    raise AssertionError("unreachable")


def make_store_folder(url: str) -> None:
    """Create the folder of a SQLite store (nothing for other URLs), or raise
    :class:`StorageError` saying why it cannot be."""
    path = sqlite_file(url)
    if path is not None:
        _make_folder(path)


def _make_folder(path: str) -> None:
    folder = Path(path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in [folder, *folder.parents] if p.is_file()), None)
        why = f"{blocker} is a file, not a folder" if blocker else (exc.strerror or str(exc))
        raise StorageError(f"cannot create the folder of SQLite store {path}: {why}") from None


OPTUNA_TABLE = "studies"  # present in every Optuna RDB store


def _missing_driver(url: str) -> StorageError:
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    extra = DRIVER_EXTRAS.get(scheme)
    hint = f"pip install 'nas[{extra}]'" if extra else "install its SQLAlchemy driver"
    return StorageError(
        f"cannot open storage {mask_password(url)}: the database driver for {scheme!r} "
        f"is not installed; {hint}"
    )


def check_store(url: str) -> None:
    """Raise unless ``url`` holds an Optuna store, creating and changing nothing (a SQLite
    file is opened read-only, without SQLAlchemy)."""
    missing = (
        f"no study store at {mask_password(url)}; run `nas search` first, or name the store "
        f"with --storage URL (or ${STORAGE_ENV})"
    )
    path = sqlite_file(url)
    if url.startswith(SQLITE_PREFIX) and (path is None or not Path(path).is_file()):
        raise StorageError(missing)  # in-memory SQLite is always empty
    try:
        if path is not None:
            from nas.base.optuna_schema import Reader

            found = bool(Reader(url).rows(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", (OPTUNA_TABLE,)
            ))  # fmt: skip
        else:
            found = _server_has_table(url)
    except ImportError:
        raise _missing_driver(url) from None
    except Exception as exc:  # sqlite3 and SQLAlchemy raise several unrelated types
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StorageError(
            f"cannot open storage {mask_password(url)}: {mask_password(reason)}"
        ) from None
    if not found:
        raise StorageError(missing)


def _server_has_table(url: str) -> bool:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        return sqlalchemy.inspect(engine).has_table(OPTUNA_TABLE)
    finally:
        engine.dispose()


def _use_wal(path: str) -> None:
    """Switch a SQLite file to write-ahead logging (persistent, so once per file is enough)."""
    try:
        with sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
        connection.close()
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open SQLite store {path}: {exc}") from None
