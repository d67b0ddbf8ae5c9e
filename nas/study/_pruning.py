"""Pruning that does not wait for the study store: while the store is unreachable, a
trial's epochs are still reported (queued, see :mod:`nas.study._resilient`) but the pruner
is not asked, since asking reads the other trials from the store and would hold up
training until the outage ends."""

from __future__ import annotations

from typing import Any

import optuna
from optuna_integration import PyTorchLightningPruningCallback
from typing_extensions import override


def store_reachable(trial: optuna.Trial) -> bool:
    """False while the trial's store is in an outage (the pruner cannot be asked)."""
    from nas.base.optuna_compat import storage_of
    from nas.study._resilient import ResilientStorage

    storage = storage_of(trial.study)
    return not (isinstance(storage, ResilientStorage) and storage.outage.active)


def should_prune(trial: optuna.Trial) -> bool:
    """``trial.should_prune()``, or False while the store is unreachable."""
    return store_reachable(trial) and trial.should_prune()


class PruningCallback(PyTorchLightningPruningCallback):
    """optuna-integration's Lightning pruning callback that keeps training through a
    store outage (single process; DDP goes to the original)."""

    @override
    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if self.is_ddp_backend or trainer.sanity_checking or store_reachable(self._trial):
            super().on_validation_end(trainer, pl_module)
            return
        score = trainer.callback_metrics.get(self.monitor)
        if score is not None:
            self._trial.report(score.item(), step=pl_module.current_epoch)
