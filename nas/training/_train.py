"""Train one architecture on one dataset: the unit of work of every search trial.

data = load_dataset("mnist1d")
arch = Architecture.from_json(Path("search_spaces/architectures/mnist1d_cnn.json").read_text())
result, model = train_architecture(arch, data, TrainOptions(seed=0), evaluate_test=True)
print(result.metrics["val_acc"], result.test_metrics["acc"])
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import lightning.pytorch as pl
import torch

from nas.arch import Architecture
from nas.base import TrainingError, verbose
from nas.builder import NASNet, build_model
from nas.config import VAL_LOSS, RunLength, primary_metric
from nas.data import Dataset
from nas.training._budget import plan_budget
from nas.training._callbacks import BestWeights
from nas.training._closed_form import (
    fit_output,
    fits_to_data,
    has_fixed_features,
    init_from_data,
)
from nas.training._data import TensorDataModule
from nas.training._metrics import EPOCH_TIME, TRAIN_LOSS, compute_metrics, evaluate
from nas.training._module import ArchitectureModule
from nas.training._progress import ConsoleProgress, EpochProgress
from nas.training._threads import cpu_threads

_QUIET_LOGGERS = ("lightning.pytorch", "lightning.fabric", "lightning")


@dataclass(frozen=True)
class TrainOptions:
    """How to run training (as opposed to the hyperparameters, which live in the arch)."""

    seed: int = 0  # seeds weights, batch order, dropout and noise
    epochs: int | None = None  # when set: exactly this many passes (ignores steps/min_steps)
    max_time_s: float | None = None  # wall-clock limit for the fit; None = no limit
    accelerator: str = "auto"  # "auto" (GPU when present), "cpu" or "gpu"
    precision: str | None = None  # None = bf16-mixed on GPUs that support it, else 32-true
    restore_best: bool = True  # end with the best validation epoch's weights (else the last)
    threads: int = 1  # CPU intra-op threads (capped at the CPUs allowed); see _threads.py
    progress: bool = True  # per-epoch progress on stderr (a bar in a terminal, else lines)
    label: str = "training"  # names the run in its progress, e.g. "fold 2/5"
    resume_from: str | None = None  # an EpochCheckpoint file: continue exactly from it


@dataclass(frozen=True)
class TrainResult:
    """What one training run produced (all plain values, JSON-ready via ``to_dict``)."""

    task: str
    objective: str  # the metric that selected the best epoch, e.g. "val_acc"
    metrics: dict[str, float]  # validation metrics of the best epoch
    history: list[dict[str, float]]  # per-epoch train loss, epoch time and val metrics
    epochs_run: int
    best_epoch: int
    stopped: str  # "completed", "early_stopping" or "time_limit"
    train_seconds: float
    n_params: int
    flops: int
    device: str
    precision: str
    seed: int
    test_metrics: dict[str, float] | None = None  # only with evaluate_test=True
    notes: tuple[str, ...] = field(default=())  # builder and budget decisions
    batch_size: int = 0  # the batch size trained with (capped at the training set's size)
    passes_per_epoch: int = 1  # passes over the training data per epoch (see min_steps)
    steps_per_epoch: int = 0  # optimizer steps per epoch
    threads: int = 1  # CPU intra-op threads it trained with
    closed_form: bool = False  # fixed features, output layer solved (no gradient steps)

    @property
    def best_passes(self) -> int:
        """Passes over the training data up to the best epoch: the budget a retrain on
        more data of the same kind repeats."""
        return (self.best_epoch + 1) * self.passes_per_epoch

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every field."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _device(accelerator: str) -> torch.device:
    if accelerator == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if accelerator == "gpu":
        raise TrainingError("accelerator 'gpu' was requested but no CUDA device is available")
    return torch.device("cpu")


def _precision(device: torch.device, requested: str | None) -> str:
    if requested is not None:
        return requested
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return "bf16-mixed"
    return "32-true"


def _quiet_lightning() -> None:
    if verbose():
        return
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # Our batches are device-resident tensors, not DataLoaders: these hints don't apply.
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*number of training batches.*")
    warnings.filterwarnings("ignore", message=".*`isinstance\\(treespec, LeafSpec\\)`.*")


def build_seeded(arch: Architecture, dataset: Dataset, seed: int) -> NASNet:
    """Seed every generator, then build ``arch`` for ``dataset`` (on the CPU).

    ``train_architecture(..., model=build_seeded(arch, data, seed))`` trains exactly as
    ``train_architecture(arch, data, TrainOptions(seed=seed))`` does, so a search can
    inspect (and reject) the model before training it.
    """
    pl.seed_everything(seed, workers=False, verbose=False)
    return build_model(
        arch, dataset.input_shape, dataset.num_outputs, preprocessing=dataset.preprocessing
    )


def train_architecture(
    arch: Architecture,
    dataset: Dataset,
    options: TrainOptions = TrainOptions(),
    *,
    model: NASNet | None = None,
    callbacks: Sequence[pl.Callback] = (),
    evaluate_test: bool = False,
) -> tuple[TrainResult, NASNet]:
    """Build ``arch`` for ``dataset``, train it with Lightning, and return the best epoch.

    The returned model holds the weights of the best validation epoch. Extra ``callbacks``
    (e.g. Optuna's pruning callback) see the metric names of ``nas.config``'s metric table.
    Pass ``model`` from :func:`build_seeded` to train a model built beforehand.

    Raises:
        ArchitectureError: the architecture cannot be built for this data.
        TrainingError: the loss became NaN/inf, or the device is unavailable.
    """
    with cpu_threads(options.threads) as threads, ExitStack() as stack:
        if options.progress:
            shown = stack.enter_context(ConsoleProgress(options.label))
            callbacks = [*callbacks, EpochProgress(shown)]
        result, model = _train(arch, dataset, options, model, callbacks, evaluate_test)
    return replace(result, threads=threads), model


def _train(
    arch: Architecture,
    dataset: Dataset,
    options: TrainOptions,
    model: NASNet | None,
    callbacks: Sequence[pl.Callback],
    evaluate_test: bool,
) -> tuple[TrainResult, NASNet]:
    _quiet_lightning()
    config = arch.train
    if options.epochs is not None:  # an exact number of passes, one per epoch
        config = replace(config, epochs=options.epochs, min_steps=0, steps=None)
    budget = plan_budget(config, len(dataset.x_train))
    config = replace(config, batch_size=budget.batch_size, epochs=budget.rounds)
    device = _device(options.accelerator)
    precision = _precision(device, options.precision)
    if model is None:
        model = build_seeded(arch, dataset, options.seed)
    model = model.to(device)

    data = TensorDataModule(
        dataset, config.batch_size, device, options.seed, passes=budget.passes_per_round
    )
    if fits_to_data(model):
        init_from_data(model, data.tensors("train")[0])
    if has_fixed_features(model):
        return _solve(model, dataset, data, options, device, evaluate_test)
    objective = primary_metric(dataset.task)
    run = RunLength(config.epochs, budget.steps_per_round, objective.name, objective.mode)
    module = ArchitectureModule(model, config, dataset.task, run)
    best = BestWeights(
        objective.name,
        objective.mode,
        restore=options.restore_best,
        patience=config.patience,
        tiebreak=VAL_LOSS if objective.name != VAL_LOSS else None,
    )
    trainer = _trainer(device, precision, config.epochs, options.max_time_s, [best, *callbacks])
    start = time.perf_counter()
    trainer.fit(module, datamodule=data, ckpt_path=options.resume_from)
    seconds = time.perf_counter() - start

    stopped = _stop_reason(best, len(module.history), config.epochs)
    _check_best_epoch(best, stopped, options.max_time_s)
    best_row = next(row for row in module.history if row["epoch"] == best.best_epoch)
    test_metrics = evaluate(model, *data.tensors("test"), dataset.task) if evaluate_test else None
    result = TrainResult(
        task=dataset.task,
        objective=objective.name,
        metrics={k: v for k, v in best_row.items() if k.startswith("val_")},
        history=module.history,
        epochs_run=len(module.history),
        best_epoch=best.best_epoch,
        stopped=stopped,
        train_seconds=seconds,
        n_params=model.report.n_params,
        flops=model.report.flops,
        device=str(device),
        precision=precision,
        seed=options.seed,
        test_metrics=test_metrics,
        notes=(*model.report.notes, *budget.notes),
        batch_size=budget.batch_size,
        passes_per_epoch=budget.passes_per_round,
        steps_per_epoch=budget.steps_per_round,
    )
    return result, model


def _solve(
    model: NASNet,
    dataset: Dataset,
    data: TensorDataModule,
    options: TrainOptions,
    device: torch.device,
    evaluate_test: bool,
) -> tuple[TrainResult, NASNet]:
    """Train a model with fixed features: its output layer in closed form, no epochs."""
    start = time.perf_counter()
    x, y = data.tensors("train")
    fit, outputs = fit_output(model, x, y, dataset.task)
    train_loss = float(compute_metrics(dataset.task, outputs, y)[VAL_LOSS])
    val = {f"val_{k}": v for k, v in evaluate(model, *data.tensors("val"), dataset.task).items()}
    seconds = time.perf_counter() - start
    objective = primary_metric(dataset.task)
    test = evaluate(model, *data.tensors("test"), dataset.task) if evaluate_test else None
    result = TrainResult(
        task=dataset.task,
        objective=objective.name,
        metrics=val,
        history=[{"epoch": 0, TRAIN_LOSS: train_loss, EPOCH_TIME: seconds, **val}],
        epochs_run=1,
        best_epoch=0,
        stopped="completed",
        train_seconds=seconds,
        n_params=model.report.n_params,
        flops=model.report.flops,
        device=str(device),
        precision="32-true",
        seed=options.seed,
        test_metrics=test,
        notes=(*model.report.notes, fit.note()),
        batch_size=data.batch_size,
        passes_per_epoch=1,
        steps_per_epoch=0,
        closed_form=True,
    )
    return result, model


def _trainer(
    device: torch.device,
    precision: str,
    epochs: int,
    max_time_s: float | None,
    callbacks: list[pl.Callback],
) -> pl.Trainer:
    """A quiet single-device Trainer: no logger, checkpoints, progress bar or sanity steps."""
    return pl.Trainer(
        accelerator="gpu" if device.type == "cuda" else "cpu",
        devices=1,
        precision=precision,  # type: ignore[arg-type]
        max_epochs=epochs,
        max_time=timedelta(seconds=max_time_s) if max_time_s else None,
        callbacks=callbacks,
        deterministic=device.type == "cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )


def _stop_reason(best: BestWeights, epochs_run: int, max_epochs: int) -> str:
    """``early_stopping``, ``time_limit`` (stopped before the last epoch otherwise) or
    ``completed``."""
    if best.stopped_early:
        return "early_stopping"
    if epochs_run < max_epochs:
        return "time_limit"
    return "completed"


def _check_best_epoch(best: BestWeights, stopped: str, max_time_s: float | None) -> None:
    """Raise when no epoch produced a finite validation metric, saying why."""
    if best.best_epoch >= 0:
        return
    if stopped == "time_limit":
        raise TrainingError(
            f"the time limit ({max_time_s:g} s) ended training before the first epoch"
        )
    raise TrainingError("no finite validation metric was produced; training diverged")
