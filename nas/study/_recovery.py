"""Crash recovery: heartbeats on running trials, and a retry for trials whose worker died.

Optuna does the work. A search's storage records a heartbeat for its running trial every
``heartbeat_interval`` seconds (a background thread, so a long epoch does not matter); the
next trial that any worker starts first fails every RUNNING trial whose heartbeat is older
than ``grace_period`` (``optuna.storages.fail_stale_trials``) and re-enqueues its parameters
as a new trial (``RetryHeartbeatStaleTrialCallback``), at most ``max_retry`` times per trial. So a
worker killed with SIGKILL, a lost machine or a pre-empted Slurm job costs only the trial it
was running, and that trial runs again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna

    from nas.study._sections import RecoverySettings


def storage_options(settings: RecoverySettings) -> dict[str, Any]:
    """Keyword arguments of ``optuna.storages.RDBStorage`` that turn recovery on."""
    import optuna

    return {
        "heartbeat_interval": settings.heartbeat_interval,
        "grace_period": settings.grace_period,
        "heartbeat_stale_trial_callback": optuna.storages.RetryHeartbeatStaleTrialCallback(
            max_retry=settings.max_retry
        ),
    }


def retried_from(trial: optuna.Trial) -> int | None:
    """The number of the crashed trial that ``trial`` re-runs, or None."""
    import warnings

    import optuna

    from nas.base.optuna_compat import stored_trial

    frozen = stored_trial(trial)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        history = optuna.storages.RetryHeartbeatStaleTrialCallback.retry_history(frozen)
    return history[0] if history else None


def fail_stale_trials(study: optuna.Study) -> None:
    """Fail (and re-enqueue) the study's crashed trials now, not at the next trial's start."""
    import warnings

    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
