"""Trials that repeat a completed (or running) trial's parameters are not trained again.

A sampler may propose parameters it has already seen: TPE narrows onto its best region,
and a block solved in closed form (``rocket``) has no training hyperparameters, so every
trial of it has the same few parameters. Measured on Covid3Month (2026-11-24): 262 of
328 trials of a 10-minute search re-ran the one rocket configuration, so most of the
search's time went to other seeds of one model. Such a trial is pruned before anything
is built, with ``duplicate_of`` naming the completed trial; TPE and the controller read
a pruned trial as a poor one, which steers them towards parameters not yet tried. Enqueued
trials (a crash's retry, the one-shot hand-off, ``study.enqueue_trial``) are always
trained: someone asked for exactly those. ``search: {retrain_duplicates: true}`` turns
the check off, e.g. to measure a configuration's spread over seeds.

When a process is handed nothing but duplicates :data:`EXHAUSTED_AFTER` times in a row,
the space is taken as exhausted (every point of a small categorical space tried) and its
search stops, rather than filling the store with empty trials until the timeout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optuna.trial import TrialState

from nas.base.optuna_compat import stored_trial

if TYPE_CHECKING:
    import optuna

# consecutive duplicates after which a process stops: a sampler that re-proposes a point
# after its pruned repeat has had that many chances to move (each costs milliseconds)
EXHAUSTED_AFTER = 50

_ENQUEUED = "fixed_params"  # Optuna's system attr of a trial created by enqueue_trial
_REPEATED = (TrialState.COMPLETE, TrialState.RUNNING)  # a repeat of these is not trained


def duplicate_of(trial: optuna.Trial) -> int | None:
    """The number of a completed or running trial with exactly ``trial``'s parameters, or
    None (also for an enqueued trial, which is trained whatever it repeats).

    A running one counts if it was created first: two workers starting at once often draw
    the same point of a small categorical choice, and the earlier trial trains it (should
    it crash, its retry does).
    """
    params = trial.params
    for other in trial.study.get_trials(deepcopy=False, states=_REPEATED):
        earlier = other.state == TrialState.COMPLETE or other.number < trial.number
        if earlier and other.number != trial.number and other.params == params:
            # the stored trial is read only for a match: no extra storage read per trial
            return None if _ENQUEUED in stored_trial(trial).system_attrs else other.number
    return None


class DuplicateStreak:
    """Counts one process's duplicates in a row; :attr:`exhausted` once there are
    :data:`EXHAUSTED_AFTER` of them."""

    def __init__(self, limit: int = EXHAUSTED_AFTER) -> None:
        self.limit, self.count = limit, 0

    def saw(self, duplicate: bool) -> None:
        self.count = self.count + 1 if duplicate else 0

    @property
    def exhausted(self) -> bool:
        return self.count >= self.limit
