"""The Optuna objective of a search: one trial = sample, build, check cost, train, record.

Everything a trial learns goes into Optuna's own storage so any Optuna tool reads it:
params (the sampler's choices), the trial's :class:`TrialRecord` (architecture, cost,
timings, versions, and ``fail_reason`` when it did not complete), constraint values
through ``trial.set_constraint``, and the per-epoch validation metric through
``trial.report``.
"""

from __future__ import annotations

import logging
import math
import os
import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import optuna

from nas.base import NASError, exception_line
from nas.config import METRICS, cost_metrics
from nas.study._duplicates import DuplicateStreak, duplicate_of
from nas.study._folds import cross_validate
from nas.study._identity import worker_label
from nas.study._interrupt import GracefulInterrupt, StopOnInterrupt
from nas.study._recipe import Constraints, Objective
from nas.study._record import TrialRecord
from nas.study._recovery import retried_from

if TYPE_CHECKING:
    from nas.arch import Architecture
    from nas.builder import NASNet
    from nas.data import Dataset
    from nas.space import SearchSpace
    from nas.study._artifacts import TrialArtifacts
    from nas.study._checkpoints import TrialCheckpoints
    from nas.training import TrainOptions, TrainResult

_log = logging.getLogger("nas.study")

LATENCY_REPEATS = 20  # forward passes timed per trial (median is recorded)


def prunes(objectives: Sequence[Objective]) -> bool:
    """Whether a pruner sees this search's trials: one objective, measured by training."""
    return len(objectives) == 1 and not METRICS.get(objectives[0].metric).is_cost


class TrialFailed(NASError):
    """A trial could not produce a result; the reason is in its record's ``fail_reason``."""


@dataclass(frozen=True)
class TrialSettings:
    """What every trial of one search shares."""

    objectives: tuple[Objective, ...]
    constraints: Constraints
    trial_timeout: float | None  # seconds of training; longer trials are pruned
    seed: int  # trial seed = seed + trial number (a retried trial's: of the one it re-runs)
    precision: str | None = None  # None: bf16-mixed on GPUs that support it, else 32-true
    folds: int = 1  # 1: train on the holdout split; K > 1: K-fold cross-validation
    threads: int = 1  # CPU intra-op threads per trial
    checkpoint_every_s: float | None = None  # epoch checkpoints for retries (None: none)
    retrain_duplicates: bool = False  # train a repeat of an earlier trial's params


def library_versions() -> dict[str, str]:
    """Versions that produced a trial, for reproducibility."""
    import lightning
    import torch

    import nas

    return {
        "nas": nas.__version__,
        "torch": torch.__version__,
        "lightning": lightning.__version__,
        "optuna": optuna.__version__,
        "python": platform.python_version(),
    }


class TrialObjective:
    """Callable objective for ``study.optimize`` over a search space and dataset."""

    def __init__(
        self,
        space: SearchSpace,
        dataset: Dataset,
        settings: TrialSettings,
        interrupt: GracefulInterrupt | None = None,
        artifacts: TrialArtifacts | None = None,
        *,
        on_epoch: Callable[[int, int, int, Mapping[str, float]], None] | None = None,
    ) -> None:
        """``on_epoch(trial number, epochs done, planned, val metrics)`` sees each epoch."""
        self.space, self.dataset, self.settings = space, dataset, settings
        self.interrupt, self.artifacts, self.on_epoch = interrupt, artifacts, on_epoch
        self.duplicates = DuplicateStreak()  # exhausted: stop asking for trials
        self._provenance: dict[str, Any] = {
            "versions": library_versions(),
            "worker": worker_label(),
        }
        gpus = os.environ.get("CUDA_VISIBLE_DEVICES")  # a worker pinned to its GPU(s)
        if gpus is not None:
            self._provenance["cuda_visible_devices"] = gpus

    def __call__(self, trial: optuna.Trial) -> float | Sequence[float]:
        try:
            return self._run(trial)
        except BaseException as exc:
            if self.interrupt is None or not self.interrupt.requested:
                raise
            # whatever a stop request broke out of (Lightning's SIGTERMException is a
            # SystemExit), the trial fails with the stop's reason and the search stops
            if isinstance(exc, optuna.exceptions.UpdateFinishedTrialError):
                raise
            if "fail_reason" not in trial.user_attrs:
                TrialRecord.write(trial, fail_reason=self.interrupt.reason)
            if isinstance(exc, (KeyboardInterrupt, optuna.TrialPruned)):
                raise
            raise KeyboardInterrupt from exc

    def _run(self, trial: optuna.Trial) -> float | Sequence[float]:
        seed = self._start(trial)
        arch = self._sample(trial, seed)
        self._check_duplicate(trial)
        model = self._build(trial, arch, seed)
        cost = self._cost(trial, model)
        self._check_constraints(trial, cost)
        result, trained = self._train(trial, arch, model, seed)
        self._record_result(trial, result)
        if self.artifacts is not None:
            self.artifacts.record(trial, arch, trained, result)
        values = [
            result.metrics.get(o.metric, cost.get(o.metric, math.nan))
            for o in self.settings.objectives
        ]
        return values[0] if len(values) == 1 else values

    # ---- the steps of a trial -------------------------------------------------------
    def _start(self, trial: optuna.Trial) -> int:
        """Record provenance; a crashed trial's re-run trains with that trial's seed."""
        from nas.study._recipe import SEED_LIMIT

        original = retried_from(trial)
        TrialRecord.write(trial, **self._provenance)
        if original is not None:
            TrialRecord.write(trial, retry_of=original)
        seed = self.settings.seed + (trial.number if original is None else original)
        if seed > SEED_LIMIT:
            raise self._fail(trial, f"seed {seed} (seed + trial number) exceeds {SEED_LIMIT}")
        return seed

    def _sample(self, trial: optuna.Trial, seed: int) -> Architecture:
        try:
            arch = self.space.sample(trial)
        except NASError as exc:
            raise self._fail(trial, f"invalid parameters: {exc}") from None
        TrialRecord.write(trial, architecture=arch.to_dict(), summary=arch.summary(), seed=seed)
        self._check_interrupt(trial)
        return arch

    def _check_duplicate(self, trial: optuna.Trial) -> None:
        """Prune a repeat of an earlier trial's parameters before anything is built."""
        if self.settings.retrain_duplicates:
            return
        earlier = duplicate_of(trial)
        self.duplicates.saw(earlier is not None)
        if earlier is not None:
            TrialRecord.write(trial, duplicate_of=earlier)
            raise self._prune(
                trial, f"duplicate of trial #{earlier} (the same parameters): not trained again"
            )

    def _build(self, trial: optuna.Trial, arch: Architecture, seed: int) -> NASNet:
        from nas.builder import check_fits, memory_needed
        from nas.training import build_seeded

        data = self.dataset
        try:  # sized on the meta device first: a model too large fails here, not the host
            estimate = memory_needed(arch, data.input_shape, data.num_outputs, data.preprocessing)
            batch = min(arch.train.batch_size, len(data.x_train))
            needed = estimate.training_bytes(batch)
            check_fits(estimate, needed, f"trial {trial.number}", "training")
            return build_seeded(arch, data, seed)
        except NASError as exc:
            raise self._fail(trial, f"cannot build: {exc}") from None
        except (Exception, MemoryError) as exc:  # e.g. the host cannot allocate its weights
            raise self._unexpected(trial, "cannot build", exc) from None

    def _cost(self, trial: optuna.Trial, model: NASNet) -> dict[str, float]:
        """Parameters, FLOPs and latency, recorded before training: cost metric -> value."""
        from nas.builder import measure_latency_ms

        try:
            latency = measure_latency_ms(model, self.dataset.input_shape, LATENCY_REPEATS)
        except (Exception, MemoryError) as exc:  # activations too large for this host, say
            raise self._unexpected(trial, "cannot measure latency", exc) from None
        values = {
            "n_params": model.report.n_params,
            "flops": model.report.flops,
            "latency_ms": latency,
        }
        TrialRecord.write(trial, **values)
        if model.report.notes:
            TrialRecord.write(trial, builder_notes=list(model.report.notes))
        return {m.name: values[m.cost_attr] for m in cost_metrics()}  # type: ignore[index]

    def _check_constraints(self, trial: optuna.Trial, cost: dict[str, float]) -> None:
        """Record each limit through Optuna's constraints; prune violators if asked to."""
        constraints = self.settings.constraints
        violations = []
        for metric, limit in constraints.limits().items():
            trial.set_constraint(f"max_{metric}", cost[metric] - limit)  # <= 0 is feasible
            if cost[metric] > limit:
                violations.append(f"{metric} {cost[metric]:,.6g} > {limit:,.6g}")
        if violations and constraints.skip_infeasible:
            raise self._prune(trial, "infeasible: " + "; ".join(violations))

    def _train(
        self, trial: optuna.Trial, arch: Architecture, model: NASNet, seed: int
    ) -> tuple[TrainResult, NASNet]:
        from nas.training import TrainOptions

        s = self.settings
        options = TrainOptions(
            seed=seed,
            max_time_s=s.trial_timeout,
            precision=s.precision,
            threads=s.threads,
            progress=False,
        )
        checkpoints = self._checkpoints(trial)
        if checkpoints is not None:
            options = replace(options, resume_from=checkpoints.resume_point())
        lost = False
        try:
            return self._fit(trial, arch, model, options, checkpoints)
        except optuna.exceptions.UpdateFinishedTrialError:
            lost = True  # failed as stale meanwhile: its retry resumes from the checkpoint
            raise
        finally:
            if checkpoints is not None:
                checkpoints.close(keep=lost)

    def _checkpoints(self, trial: optuna.Trial) -> TrialCheckpoints | None:
        """Epoch checkpoints for the retry of a crash: holdout trials, with artifacts."""
        every = self.settings.checkpoint_every_s
        if every is None or self.artifacts is None or self.settings.folds > 1:
            return None
        from nas.study._checkpoints import TrialCheckpoints

        return TrialCheckpoints(trial, self.artifacts.store, every)

    def _fit(
        self,
        trial: optuna.Trial,
        arch: Architecture,
        model: NASNet,
        options: TrainOptions,
        checkpoints: TrialCheckpoints | None,
    ) -> tuple[TrainResult, NASNet]:
        from nas.training import train_architecture

        s = self.settings
        try:
            if s.folds > 1:
                report = s.objectives[0].metric if prunes(s.objectives) else None
                callbacks = self._callbacks(trial, per_epoch=False)
                return cross_validate(
                    trial, arch, self.dataset, model, options, s.folds, callbacks, report
                )
            callbacks = self._callbacks(trial)
            if checkpoints is not None:
                callbacks.append(checkpoints.callback())
            return train_architecture(arch, self.dataset, options, model=model, callbacks=callbacks)
        except optuna.TrialPruned as exc:
            raise self._prune(
                trial, f"pruned by {type(trial.study.pruner).__name__}: {exc}"
            ) from None
        except optuna.exceptions.UpdateFinishedTrialError:
            raise  # another process failed this trial meanwhile: the loop drops it
        except NASError as exc:
            self._check_interrupt(trial)  # a stop requested before any epoch ended
            raise self._fail(trial, str(exc)) from None
        except (Exception, MemoryError) as exc:  # CUDA or host out of memory: one trial fails
            raise self._unexpected(trial, None, exc) from None

    def _callbacks(self, trial: optuna.Trial, *, per_epoch: bool = True) -> list[Any]:
        """Stop on Ctrl-C; report each epoch to the pruner (cross-validation reports each
        fold's running mean itself)."""
        callbacks: list[Any] = []
        if self.interrupt is not None:
            callbacks.append(StopOnInterrupt(self.interrupt))
        if self.on_epoch is not None:
            from nas.training import EpochProgress

            hook, number = self.on_epoch, trial.number
            callbacks.append(EpochProgress(lambda done, total, m: hook(number, done, total, m)))
        if per_epoch and prunes(self.settings.objectives):
            from nas.study._pruning import PruningCallback

            metric = self.settings.objectives[0].metric
            callbacks.append(PruningCallback(trial, monitor=metric))
        return callbacks

    def _record_result(self, trial: optuna.Trial, result: TrainResult) -> None:
        self._check_interrupt(trial)
        if result.notes:
            TrialRecord.write(trial, builder_notes=list(result.notes))
        if self.settings.folds <= 1:  # cross-validation recorded the folds' mean
            TrialRecord.write(trial, best_passes=result.best_passes)
        TrialRecord.write(
            trial,
            batch_size=result.batch_size,
            passes_per_epoch=result.passes_per_epoch,
            train_seconds=result.train_seconds,
            epochs_run=result.epochs_run,
            best_epoch=result.best_epoch,
            stopped=result.stopped,
            device=result.device,
            precision=result.precision,
            threads=result.threads,
            metrics=result.metrics,
            history=result.history,
        )
        if result.stopped == "time_limit":
            where = f"after {result.epochs_run} epochs"
            if self.settings.folds > 1:
                done = len(TrialRecord.read(trial).folds)  # type: ignore[arg-type]
                where = f"in fold {done} of {self.settings.folds}"
            raise self._prune(
                trial, f"trial_timeout: stopped {where} ({self.settings.trial_timeout:g} s)"
            )

    # ---- how a trial ends early -----------------------------------------------------
    def _fail(self, trial: optuna.Trial, reason: str) -> TrialFailed:
        TrialRecord.write(trial, fail_reason=reason)
        return TrialFailed(reason)

    def _unexpected(self, trial: optuna.Trial, step: str | None, exc: BaseException) -> TrialFailed:
        """Fail the trial on an exception nas did not raise on purpose; the study goes on."""
        if isinstance(exc, optuna.exceptions.UpdateFinishedTrialError):
            raise exc
        _log.debug("trial %d raised", trial.number, exc_info=True)
        reason = exception_line(exc)
        return self._fail(trial, reason if step is None else f"{step}: {reason}")

    def _prune(self, trial: optuna.Trial, reason: str) -> optuna.TrialPruned:
        TrialRecord.write(trial, fail_reason=reason)
        return optuna.TrialPruned(reason)

    def _check_interrupt(self, trial: optuna.Trial) -> None:
        if self.interrupt is not None and self.interrupt.requested:
            TrialRecord.write(trial, fail_reason=self.interrupt.reason)
            raise KeyboardInterrupt
