"""One process's trial loop: ask, train under a heartbeat, tell; in place of
``study.optimize``, so that a fault meets a decision instead of a traceback.

- Before each trial, and every ``heartbeat_interval`` while one trains, stale trials of
  dead workers are failed and queued again (:mod:`nas.study._recovery`).
- A trial that another process failed meanwhile (this worker was paused past the grace
  period, or cut off from the store) is dropped with one log line; the loop goes on.
- A study budget (``study_total``) counts the trials the study holds, not the ones this
  process ran, so any number of workers, and their replacements, share one budget. It
  counts fresh trials (a crashed trial and its retries are one), so a retry never takes a
  new trial's place; and since two workers may both see one trial left, a fresh trial
  checks its rank right after it is created: one beyond the budget is failed at once as
  surplus, before anything trains (:func:`admitted`).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import optuna
from optuna.trial import TrialState

from nas.base.optuna_compat import get_heartbeat_thread, storage_of, trial_id
from nas.study._record import TrialRecord
from nas.study._recovery import FAILED_TRIAL, StaleWatch, fail_stale_trials

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

    from nas.study._sections import RecoverySettings

_log = logging.getLogger("nas.study")

Objective = Callable[[optuna.Trial], "float | Sequence[float]"]
AfterTrial = Callable[[optuna.Study, "FrozenTrial"], None]


@dataclass(frozen=True)
class Limits:
    """When a trial loop stops (whichever comes first)."""

    n_trials: int | None = None  # trials this process runs
    timeout: float | None = None  # seconds after which no new trial starts
    study_total: int | None = None  # trials the study should hold, whoever runs them


SURPLUS = "not run: the study's trial budget was reached by other workers at the same moment"


def _fresh(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """Trials that are not the retry of a crashed one, nor surplus: one per chain of
    crashed trial and retries, so they count what a budget has been spent on."""
    return [
        t
        for t in trials
        if FAILED_TRIAL not in t.system_attrs and TrialRecord.read(t).fail_reason != SURPLUS
    ]


def claimed_trials(study: optuna.Study) -> int:
    """The trials that count against a study budget: finished, running or queued, a
    crashed trial and its retries counted once."""
    return len(_fresh(study.get_trials(deepcopy=False)))


def budget_left(study: optuna.Study, total: int) -> bool:
    """Whether a worker sharing a budget of ``total`` trials should start another: fewer
    are claimed (:func:`claimed_trials`), or a queued trial (a retry) waits to be run."""
    trials = study.get_trials(deepcopy=False)
    waiting = any(t.state == TrialState.WAITING for t in trials)
    return waiting or len(_fresh(trials)) < total


def admitted(study: optuna.Study, trial: optuna.Trial, total: int) -> bool:
    """Whether ``trial``, just created, is within a budget of ``total``: a retry always
    is; a fresh trial if fewer than ``total`` fresh trials were created before it (trial
    numbers are handed out atomically, so exactly ``total`` are admitted)."""
    from nas.base.optuna_compat import stored_trial

    if FAILED_TRIAL in stored_trial(trial).system_attrs:
        return True
    trials = study.get_trials(deepcopy=False)
    return sum(1 for t in _fresh(trials) if t.number < trial.number) < total


def run_trials(
    study: optuna.Study,
    objective: Objective,
    limits: Limits,
    recovery: RecoverySettings,
    *,
    catch: tuple[type[Exception], ...],
    after_trial: AfterTrial,
    stop: Callable[[], bool],
) -> int:
    """Run trials until ``limits`` or ``stop()`` says so; the number finished.

    Exceptions of ``catch`` fail their trial and the loop goes on; any other exception
    (KeyboardInterrupt included) fails the trial and is raised.
    """
    started, finished = time.monotonic(), 0
    with StaleWatch(study, recovery):
        while not stop():
            if limits.n_trials is not None and finished >= limits.n_trials:
                break
            if limits.timeout is not None and time.monotonic() - started >= limits.timeout:
                break
            fail_stale_trials(study, recovery)
            if limits.study_total is not None and not budget_left(study, limits.study_total):
                break
            frozen = _run_one(study, objective, catch, limits.study_total)
            if frozen is None:
                continue  # lost to another process: not this process's trial any more
            finished += 1
            after_trial(study, frozen)
    return finished


def _run_one(
    study: optuna.Study,
    objective: Objective,
    catch: tuple[type[Exception], ...],
    total: int | None,
) -> FrozenTrial | None:
    """Ask, run and tell one trial; its stored record, or None if it was lost (or surplus)."""
    with warnings.catch_warnings():  # "Heartbeat ... supposed to be used with optimize"
        warnings.simplefilter("ignore", UserWarning)
        trial = study.ask()
    storage, ident = storage_of(study), trial_id(trial)
    if total is not None and not admitted(study, trial, total):
        TrialRecord.write(trial, fail_reason=SURPLUS)
        study.tell(trial, state=TrialState.FAIL)
        return None
    # the heartbeat beats until the result is stored: a tell that waits out an outage
    # must not leave the trial looking crashed to the other workers
    with get_heartbeat_thread(ident, storage):
        values, state, error = _objective(objective, trial)
        told = state is not None and _tell(study, trial, values, state)
    if not told:
        _drop(trial.number)
        return None
    if error is not None and not isinstance(error, catch):
        raise error
    return storage.get_trial(ident)


def _objective(
    objective: Objective, trial: optuna.Trial
) -> tuple[float | Sequence[float] | None, TrialState | None, BaseException | None]:
    """Run the objective: (values, state to tell, error); state None: the trial was
    finished by another process meanwhile."""
    try:
        return objective(trial), TrialState.COMPLETE, None
    except optuna.TrialPruned:
        return None, TrialState.PRUNED, None
    except optuna.exceptions.UpdateFinishedTrialError:
        return None, None, None
    except (Exception, KeyboardInterrupt, SystemExit) as exc:  # never left RUNNING
        return None, TrialState.FAIL, exc


def _tell(
    study: optuna.Study,
    trial: optuna.Trial,
    values: float | Sequence[float] | None,
    state: TrialState,
) -> bool:
    """Store the trial's result; False if another process had finished it."""
    storage, ident = storage_of(study), trial_id(trial)
    if storage.get_trial(ident).state != TrialState.RUNNING:
        return False
    try:
        study.tell(trial, values if state == TrialState.COMPLETE else None, state=state)
    except optuna.exceptions.UpdateFinishedTrialError:
        # a retried write that had landed before the connection dropped, or a real loss
        return storage.get_trial(ident).state == state
    return True


def _drop(number: int) -> None:
    _log.warning(
        "trial #%d was failed by another process while this worker could not reach the "
        "store (paused or cut off past the grace period); dropping this worker's copy "
        "and going on",
        number,
    )
