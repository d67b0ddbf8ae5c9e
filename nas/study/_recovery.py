"""Crash recovery: a trial whose worker died is failed with its reason and run again.

A running trial's worker records a heartbeat every ``heartbeat_interval`` seconds (a
background thread, so a long epoch does not matter). A trial whose heartbeat is older than
``grace_period`` is stale: its worker was killed, lost its machine, or is paused. Every live
worker looks for stale trials before each trial *and* every ``heartbeat_interval`` while it
trains (:class:`StaleWatch`), and ``nas search``'s parent does the same while its workers
run; a worker that the parent sees die has its trials failed at once. A stale trial is
failed with ``fail_reason`` saying whose heartbeat stopped, and its parameters are queued as
a new WAITING trial (at most ``max_retry`` times per trial), which the next free worker runs
with the crashed trial's seed. So a SIGKILL, a lost machine or a pre-empted Slurm job costs
only the trial it was running. A store outage is not a crash: a process that met the store
down (its stale-trial query included) fails nothing until ``grace_period`` after it is back.
"""

from __future__ import annotations

import datetime
import logging
import threading
import warnings
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from nas.study._identity import worker_label
from nas.study._record import TrialRecord

if TYPE_CHECKING:
    import optuna
    from optuna.trial import FrozenTrial

    from nas.study._sections import RecoverySettings

_log = logging.getLogger("nas.study")

FAILED_TRIAL = "failed_trial"  # system attrs of a retry, as Optuna's retry callback writes them
RETRY_HISTORY = "retry_history"


def storage_options(settings: RecoverySettings) -> dict[str, Any]:
    """Keyword arguments of ``optuna.storages.RDBStorage`` that turn heartbeats on (and,
    for Optuna code that fails stale trials itself, queue their retries)."""
    max_retry = settings.max_retry

    def retry(study: optuna.Study, trial: FrozenTrial) -> None:
        enqueue_retry(study, trial, max_retry)

    return {
        "heartbeat_interval": settings.heartbeat_interval,
        "grace_period": settings.grace_period,
        "heartbeat_stale_trial_callback": retry,
    }


def retried_from(trial: optuna.Trial) -> int | None:
    """The number of the crashed trial that ``trial`` re-runs, or None."""
    from nas.base.optuna_compat import stored_trial

    history = stored_trial(trial).system_attrs.get(RETRY_HISTORY) or []
    return history[0] if history else None


def enqueue_retry(study: optuna.Study, trial: FrozenTrial, max_retry: int) -> int | None:
    """Queue ``trial``'s parameters as a new WAITING trial unless it was retried
    ``max_retry`` times already; returns how many times it has been retried, or None.

    Unlike Optuna's ``RetryFailedTrialCallback`` the retry starts with no user attrs: the
    crashed trial's ``fail_reason`` and partial record stay on the crashed trial.
    """
    import optuna

    history = [*trial.system_attrs.get(RETRY_HISTORY, []), trial.number]
    if len(history) > max_retry:
        return None
    system_attrs = {**trial.system_attrs, FAILED_TRIAL: history[0], RETRY_HISTORY: history}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.add_trial(
            optuna.create_trial(
                state=optuna.trial.TrialState.WAITING,
                params=trial.params,
                distributions=trial.distributions,
                system_attrs=system_attrs,
            )
        )
    return len(history)


def fail_trial(study: optuna.Study, trial: FrozenTrial, reason: str, max_retry: int) -> bool:
    """Fail a RUNNING trial of a dead worker with ``reason`` and queue its retry; False if
    it was no longer running (another process got there first)."""
    import optuna
    from optuna.trial import TrialState

    from nas.base.optuna_compat import storage_of, trial_id

    storage = storage_of(study)
    ident = trial_id(trial)
    try:
        TrialRecord.write_stored(storage, ident, fail_reason=reason)
        if not storage.set_trial_state_values(ident, TrialState.FAIL):
            return False
    except optuna.exceptions.UpdateFinishedTrialError:
        return False
    retries = enqueue_retry(study, storage.get_trial(ident), max_retry)
    again = f"queued again ({retries} of {max_retry})" if retries else "not retried (max_retry)"
    _log.warning("trial #%d failed: %s; %s", trial.number, reason, again)
    return True


def fail_stale_trials(study: optuna.Study, settings: RecoverySettings) -> list[int]:
    """Fail (and queue again) the study's trials whose heartbeat stopped; their numbers."""
    from nas.base.optuna_compat import stale_trial_ids, storage_of

    storage = storage_of(study)
    if _outage_near(storage, settings):
        return []
    stale = stale_trial_ids(study)
    if _outage_near(storage, settings):
        return []  # the query itself waited out an outage: what it found old is that gap
    failed = []
    for ident in stale:
        trial = storage.get_trial(ident)
        owner = TrialRecord.read(trial).worker or "unknown"
        noticed = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
        reason = (
            f"worker {owner} stopped heartbeating (none for over {settings.grace_period} s; "
            f"noticed at {noticed} by {worker_label()})"
        )
        if fail_trial(study, trial, reason, settings.max_retry):
            failed.append(trial.number)
    return failed


def _outage_near(storage: object, settings: RecoverySettings) -> bool:
    """Whether this process met the store down within the grace period: every heartbeat
    missed the store meanwhile, so none of them is evidence of a crash."""
    from nas.study._resilient import ResilientStorage

    return isinstance(storage, ResilientStorage) and storage.outage.within(settings.grace_period)


def fail_trials_of(
    study: optuna.Study, labels: Iterable[str], why: str, settings: RecoverySettings
) -> list[int]:
    """Fail (and queue again) the RUNNING trials of workers known to be dead (``host:pid``
    labels), without waiting for their heartbeats to go stale."""
    from optuna.trial import TrialState

    dead = set(labels)
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner = TrialRecord.read(trial).worker
        if owner in dead and fail_trial(study, trial, f"worker {owner} {why}", settings.max_retry):
            failed.append(trial.number)
    return failed


def replaced_failures(trials: Iterable[FrozenTrial]) -> set[int]:
    """Numbers of the failed trials that a queued or finished retry replaces."""
    replaced: set[int] = set()
    for trial in trials:
        replaced.update(trial.system_attrs.get(RETRY_HISTORY, []))
    return replaced


class StaleWatch:
    """A background thread that fails stale trials every ``heartbeat_interval`` seconds
    while a worker trains, so the last trials of a study do not wait for a next trial
    that never comes. Storage errors only skip a check."""

    def __init__(self, study: optuna.Study, settings: RecoverySettings) -> None:
        self.study, self.settings = study, settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nas-stale-watch", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.settings.heartbeat_interval):
            try:
                fail_stale_trials(self.study, self.settings)
            except Exception:  # the store is down: the worker's own calls report it
                _log.debug("stale-trial check failed", exc_info=True)

    def __enter__(self) -> StaleWatch:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
