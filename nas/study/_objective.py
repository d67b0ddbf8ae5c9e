"""The Optuna objective of a search: one trial = sample, build, check cost, train, record.

Everything a trial learns goes into Optuna's own storage so any Optuna tool reads it:
params (the sampler's choices), user attrs (architecture JSON, cost, timings, versions,
and ``fail_reason`` when it did not complete), constraint values through
``trial.set_constraint``, and the per-epoch validation metric through ``trial.report``.
"""

from __future__ import annotations

import logging
import math
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import optuna

from nas._errors import NASError
from nas.data import Dataset
from nas.space import SearchSpace
from nas.study._artifacts import TrialArtifacts
from nas.study._interrupt import GracefulInterrupt, StopOnInterrupt
from nas.study._recipe import Constraints, Objective
from nas.study._recovery import retried_from
from nas.study._workers import worker_label

_log = logging.getLogger("nas.study")

LATENCY_REPEATS = 20  # forward passes timed per trial (median is recorded)

# user-attr keys (shared with `nas best`, the dashboard views and export)
ARCHITECTURE = "architecture"
SUMMARY = "summary"
FAIL_REASON = "fail_reason"
# objective metric -> user attr holding it (costs known as soon as the model is built)
COST_ATTRS = {"params": "n_params", "flops": "flops", "latency_ms": "latency_ms"}


class TrialFailed(NASError):
    """A trial could not produce a result; the reason is in its ``fail_reason`` user attr."""


@dataclass(frozen=True)
class TrialSettings:
    """What every trial of one search shares."""

    objectives: tuple[Objective, ...]
    constraints: Constraints
    trial_timeout: float | None  # seconds of training; longer trials are pruned
    seed: int  # trial seed = seed + trial number (a retried trial's: of the one it re-runs)
    precision: str | None = None  # None: bf16-mixed on GPUs that support it, else 32-true


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
    ) -> None:
        self.space, self.dataset, self.settings = space, dataset, settings
        self.interrupt, self.artifacts = interrupt, artifacts
        self._versions = library_versions()
        self._worker = worker_label()
        self._gpus = os.environ.get("CUDA_VISIBLE_DEVICES")  # a worker pinned to its GPU(s)

    def _fail(self, trial: optuna.Trial, reason: str) -> TrialFailed:
        trial.set_user_attr(FAIL_REASON, reason)
        return TrialFailed(reason)

    def _prune(self, trial: optuna.Trial, reason: str) -> optuna.TrialPruned:
        trial.set_user_attr(FAIL_REASON, reason)
        return optuna.TrialPruned(reason)

    def _check_interrupt(self, trial: optuna.Trial) -> None:
        if self.interrupt is not None and self.interrupt.requested:
            trial.set_user_attr(FAIL_REASON, "interrupted by the user (Ctrl-C)")
            raise KeyboardInterrupt

    def __call__(self, trial: optuna.Trial) -> float | Sequence[float]:
        from nas.builder import measure_latency_ms
        from nas.training import TrainOptions, build_seeded, train_architecture

        s = self.settings
        trial.set_user_attr("versions", self._versions)
        trial.set_user_attr("worker", self._worker)
        if self._gpus is not None:
            trial.set_user_attr("cuda_visible_devices", self._gpus)
        original = retried_from(trial)
        if original is not None:  # a crashed trial's re-run trains exactly as it would have
            trial.set_user_attr("retry_of", original)
        try:
            arch = self.space.sample(trial)
        except NASError as exc:
            raise self._fail(trial, f"invalid parameters: {exc}") from None
        trial.set_user_attr(ARCHITECTURE, arch.to_dict())
        trial.set_user_attr(SUMMARY, arch.summary())
        seed = s.seed + (trial.number if original is None else original)
        trial.set_user_attr("seed", seed)
        self._check_interrupt(trial)

        try:
            model = build_seeded(arch, self.dataset, seed)
        except NASError as exc:
            raise self._fail(trial, f"cannot build: {exc}") from None
        cost = {
            "params": model.report.n_params,
            "flops": model.report.flops,
            "latency_ms": measure_latency_ms(model, self.dataset.input_shape, LATENCY_REPEATS),
        }
        for metric, value in cost.items():
            trial.set_user_attr(COST_ATTRS[metric], value)
        if model.report.notes:
            trial.set_user_attr("builder_notes", list(model.report.notes))
        violations = []
        for metric, limit in s.constraints.limits().items():
            trial.set_constraint(f"max_{metric}", cost[metric] - limit)  # <= 0 is feasible
            if cost[metric] > limit:
                violations.append(f"{metric} {cost[metric]:,.6g} > {limit:,.6g}")
        if violations and s.constraints.skip_infeasible:
            raise self._prune(trial, "infeasible: " + "; ".join(violations))

        callbacks: list[Any] = []
        if self.interrupt is not None:
            callbacks.append(StopOnInterrupt(self.interrupt))
        if len(s.objectives) == 1 and s.objectives[0].metric.startswith("val_"):
            from optuna_integration import PyTorchLightningPruningCallback

            callbacks.append(PyTorchLightningPruningCallback(trial, monitor=s.objectives[0].metric))
        options = TrainOptions(seed=seed, max_time_s=s.trial_timeout, precision=s.precision)
        try:
            result, trained = train_architecture(
                arch, self.dataset, options, model=model, callbacks=callbacks
            )
        except optuna.TrialPruned as exc:
            raise self._prune(
                trial, f"pruned by {type(trial.study.pruner).__name__}: {exc}"
            ) from None
        except NASError as exc:
            self._check_interrupt(trial)  # a stop requested before any epoch ended
            raise self._fail(trial, str(exc)) from None
        except Exception as exc:  # e.g. CUDA out of memory: the trial fails, the study goes on
            _log.debug("trial %d raised", trial.number, exc_info=True)
            raise self._fail(trial, f"{type(exc).__name__}: {exc}") from None
        self._check_interrupt(trial)

        for key in ("train_seconds", "epochs_run", "best_epoch", "stopped", "device", "precision"):
            trial.set_user_attr(key, getattr(result, key))
        trial.set_user_attr("metrics", result.metrics)
        trial.set_user_attr("history", result.history)
        if result.stopped == "time_limit":
            raise self._prune(
                trial,
                f"trial_timeout: stopped after {result.epochs_run} epochs ({s.trial_timeout:g} s)",
            )
        if self.artifacts is not None:
            self.artifacts.record(trial, arch, trained, result)
        values = [result.metrics.get(o.metric, cost.get(o.metric, math.nan)) for o in s.objectives]
        return values[0] if len(values) == 1 else values
