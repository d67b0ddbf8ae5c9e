"""A study store that rides out outages: every storage call a worker makes retries
transient faults (connection refused or reset, a restarting server, "database is locked",
a disk I/O error) with bounded exponential backoff for ``recovery.storage_retry_s``.

The trial in flight keeps training through an outage: its progress writes (intermediate
values, user and system attrs, heartbeats) are queued instead of waited for, and land in
order once the store answers again. Everything else (asking for a trial, telling its
result, reading the study for the sampler) waits, and only a fault that outlasts the window,
or one that retrying cannot fix (a read-only store, a full disk), ends the worker, with one
:class:`StorageError` saying what failed. A worker that joins a search while the store is
down waits for it the same way (:func:`open_through_outage`).

One line is logged per outage, and one when the store is back::

    storage = ResilientStorage(cached_rdb_storage, url, retry_s=300)
    optuna.create_study(storage=storage, ...)
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Container, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import optuna
from optuna.storages import BaseStorage

from nas.base import StorageError, mask_password
from nas.base.optuna_compat import BaseHeartbeat

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution
    from optuna.study import StudyDirection
    from optuna.study._frozen import FrozenStudy
    from optuna.trial import FrozenTrial, TrialState

_log = logging.getLogger("nas.study")
T = TypeVar("T")

FIRST_WAIT_S = 0.5  # the first retry's delay; it doubles up to MAX_WAIT_S, plus jitter
MAX_WAIT_S = 15.0
# faults that retrying cannot fix, by the driver's message (SQLite, PostgreSQL, MySQL)
PERMANENT = {
    "readonly database": "the store is read-only",
    "read-only": "the store is read-only",
    "database or disk is full": "its disk is full",
    "no space left": "its disk is full",
    "disk full": "its disk is full",
    "password authentication failed": "the server refused the credentials",
    "access denied": "the server refused the credentials",
}


def fault_reason(exc: BaseException) -> str:
    """The first line of the deepest meaningful driver message in ``exc``'s chain."""
    reason = type(exc).__name__
    for link in _chain(exc):
        text = str(getattr(link, "orig", None) or link).strip().splitlines()
        if text and len(text[0]) > 3:  # drivers' wrappers are sometimes just "()"
            reason = text[0]
    return mask_password(reason)


def permanent_fault(exc: BaseException) -> str | None:
    """What is wrong with the store if ``exc`` is a fault retrying cannot fix, else None."""
    text = _chain_text(exc)
    return next((what for marker, what in PERMANENT.items() if marker in text), None)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is a storage fault that may go away (connection lost or refused, a
    server restarting, a lock, an I/O error): a database driver's operational error, a
    disconnect, or an OS-level connection error anywhere in its chain."""
    import sqlalchemy.exc

    if permanent_fault(exc) is not None:
        return False
    for link in _chain(exc):
        if isinstance(link, sqlalchemy.exc.DBAPIError) and link.connection_invalidated:
            return True
        if isinstance(
            link,
            (
                sqlalchemy.exc.OperationalError,
                sqlalchemy.exc.InterfaceError,
                sqlalchemy.exc.DisconnectionError,
                sqlalchemy.exc.TimeoutError,  # the pool waited for a connection
                ConnectionError,
                TimeoutError,
            ),
        ):
            return True
        if type(link).__name__ == "OperationalError":  # sqlite3's and the drivers' own
            return True
    return False


def _chain(exc: BaseException) -> list[BaseException]:
    links: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not link for link in links):
        links.append(current)
        current = current.__cause__ or current.__context__
    return links


def _chain_text(exc: BaseException) -> str:
    return " ".join(str(link).lower() for link in _chain(exc))


class Outage:
    """The state of one store's outage, shared by the calls that meet it."""

    def __init__(self, url: str, retry_s: float, sleep: Callable[[float], None]) -> None:
        self.url, self.retry_s, self.sleep = mask_password(url), retry_s, sleep
        self.since: float | None = None  # monotonic time of the first failed call
        self.ended: float | None = None  # monotonic time the last outage ended
        self.count = 0  # outages met so far

    @property
    def active(self) -> bool:
        return self.since is not None

    def begin(self, exc: BaseException) -> None:
        if self.since is None:
            self.since = time.monotonic()
            self.count += 1
            _log.warning(
                "warning: the study store %s is unreachable (%s); retrying for up to %g s",
                self.url,
                fault_reason(exc),
                self.retry_s,
            )

    def end(self) -> None:
        if self.since is not None:
            _log.warning(
                "the study store %s is back after %.0f s", self.url, time.monotonic() - self.since
            )
            self.since, self.ended = None, time.monotonic()

    def within(self, seconds: float) -> bool:
        """Whether an outage is going on, or ended less than ``seconds`` ago."""
        recent = self.ended is not None and time.monotonic() - self.ended < seconds
        return self.active or recent

    def expired(self) -> bool:
        return self.since is not None and time.monotonic() - self.since >= self.retry_s

    def error(self, exc: BaseException) -> StorageError:
        return StorageError(
            f"lost the study store {self.url} for {self.retry_s:g} s ({fault_reason(exc)}); "
            "every trial finished before is stored there. Once the store is back, run the "
            "same command again to resume (recovery.storage_retry_s sets how long to wait)"
        )


def permanent_error(url: str, exc: BaseException, what: str) -> StorageError:
    return StorageError(
        f"cannot write to the study store {mask_password(url)}: {what} ({fault_reason(exc)}); "
        "every trial finished before is stored there. Fix the store, then run the same "
        "command again to resume"
    )


def give_up_unless_transient(exc: Exception, outage: Outage) -> None:
    """Raise unless ``exc`` is a transient fault within ``outage``'s window (then the
    outage is on record and the caller may try again)."""
    if isinstance(exc, StorageError) and not is_transient(exc):
        raise exc  # nas's own error, already saying what is wrong
    what = permanent_fault(exc)
    if what is not None:
        raise permanent_error(outage.url, exc, what) from None
    if not is_transient(exc):
        raise exc
    outage.begin(exc)
    if outage.expired():
        raise outage.error(exc) from None


def ride_out(call: Callable[[], T], outage: Outage) -> T:
    """``call()``, tried again through transient faults with bounded exponential backoff
    (and jitter) until it succeeds or ``outage`` outlasts its window."""
    wait = FIRST_WAIT_S
    while True:
        try:
            result = call()
        except Exception as exc:
            give_up_unless_transient(exc, outage)
            outage.sleep(wait * (1 + random.random() / 4))
            wait = min(wait * 2, MAX_WAIT_S)
        else:
            outage.end()
            return result


def open_through_outage(
    open_store: Callable[[], T],
    url: str,
    retry_s: float,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``open_store()``, waiting up to ``retry_s`` for a store that is down or restarting:
    a worker started meanwhile (a replacement, a scheduler's job) joins once it is back."""
    return ride_out(open_store, Outage(url, retry_s, sleep))


class ResilientStorage(BaseStorage, BaseHeartbeat):
    """An Optuna storage that retries another one's transient faults (see the module).

    Args:
        backend: the storage to wrap (Optuna's cached RDB storage).
        url: its URL, for messages (the password is masked).
        retry_s: how long one outage may last before the worker gives up.
        sleep: how to wait between attempts (tests pass a fake clock's).
    """

    def __init__(
        self,
        backend: BaseStorage,
        url: str,
        retry_s: float,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._backend = backend
        self.url = url
        self.outage = Outage(url, retry_s, sleep)
        self._pending: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        self._lock = threading.RLock()

    # ---- the retry machinery ----------------------------------------------------------
    def _call(self, method: Callable[..., T], *args: Any) -> T:
        """Call ``method``, waiting out a transient fault; queued writes go first."""

        def attempt() -> T:
            with self._lock:
                self._flush()
                return method(*args)

        return ride_out(attempt, self.outage)

    def _defer(self, method: Callable[..., Any], *args: Any) -> None:
        """Write now if the store answers, else queue the write for later (in order)."""
        with self._lock:
            self._pending.append((method, args))
            try:
                self._flush()
            except Exception as exc:
                give_up_unless_transient(exc, self.outage)
                return
        self.outage.end()

    def _flush(self) -> None:
        while self._pending:
            method, args = self._pending[0]
            try:
                method(*args)
            except optuna.exceptions.UpdateFinishedTrialError:
                pass  # another process failed the trial meanwhile: the loop drops it
            except Exception as exc:
                if not is_transient(exc):
                    self._pending.pop(0)
                raise
            self._pending.pop(0)

    @property
    def pending_writes(self) -> int:
        """Writes queued during an outage, not yet in the store."""
        return len(self._pending)

    # ---- BaseStorage: writes a running trial can queue -------------------------------
    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        self._defer(self._backend.set_trial_intermediate_value, trial_id, step, value)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._defer(self._backend.set_trial_user_attr, trial_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._defer(self._backend.set_trial_system_attr, trial_id, key, value)

    # ---- BaseStorage: everything else waits ---------------------------------------------
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        return self._call(self._backend.create_new_study, directions, study_name)

    def delete_study(self, study_id: int) -> None:
        self._call(self._backend.delete_study, study_id)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._call(self._backend.set_study_user_attr, study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._call(self._backend.set_study_system_attr, study_id, key, value)

    def get_study_id_from_name(self, study_name: str) -> int:
        return self._call(self._backend.get_study_id_from_name, study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self._call(self._backend.get_study_name_from_id, study_id)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return self._call(self._backend.get_study_directions, study_id)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._call(self._backend.get_study_user_attrs, study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._call(self._backend.get_study_system_attrs, study_id)

    def get_all_studies(self) -> list[FrozenStudy]:
        return self._call(self._backend.get_all_studies)

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        return self._call(self._backend.create_new_trial, study_id, template_trial)

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        self._call(
            self._backend.set_trial_param, trial_id, param_name, param_value_internal, distribution
        )

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        return self._call(
            self._backend.get_trial_id_from_study_id_trial_number, study_id, trial_number
        )

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        return self._call(self._backend.set_trial_state_values, trial_id, state, values)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        return self._call(self._backend.get_trial, trial_id)

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        return self._call(self._backend.get_all_trials, study_id, deepcopy, states)

    def get_n_trials(
        self, study_id: int, state: tuple[TrialState, ...] | TrialState | None = None
    ) -> int:
        return self._call(self._backend.get_n_trials, study_id, state)

    def remove_session(self) -> None:
        self._backend.remove_session()

    # ---- BaseHeartbeat ------------------------------------------------------------------
    def record_heartbeat(self, trial_id: int) -> None:
        """Record a heartbeat if the store answers; a missed one is not queued (the next
        one supersedes it)."""
        assert isinstance(self._backend, BaseHeartbeat)
        try:
            self._backend.record_heartbeat(trial_id)
        except Exception as exc:
            if not is_transient(exc):
                raise
            self.outage.begin(exc)
            return
        self.outage.end()

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        assert isinstance(self._backend, BaseHeartbeat)
        return self._call(self._backend._get_stale_trial_ids, study_id)

    def get_heartbeat_interval(self) -> int | None:
        assert isinstance(self._backend, BaseHeartbeat)
        return self._backend.get_heartbeat_interval()

    def get_heartbeat_stale_trial_callback(
        self,
    ) -> Callable[[optuna.Study, FrozenTrial], None] | None:
        assert isinstance(self._backend, BaseHeartbeat)
        return self._backend.get_heartbeat_stale_trial_callback()
