"""K-fold cross-validation of one architecture: train on each fold of the dataset's pool.

results, first_model = train_folds(arch, data, TrainOptions(seed=0), folds=5)
mean, sd = mean_result(results)
mean.metrics["val_acc"], sd["val_acc"]
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from nas.data import DEFAULT_SPLIT_SEED
from nas.training._train import TrainOptions, TrainResult, build_seeded, train_architecture

if TYPE_CHECKING:
    import lightning.pytorch as pl

    from nas.arch import Architecture
    from nas.builder import NASNet
    from nas.data import Dataset

AfterFold = Callable[[list[TrainResult]], None]  # sees the results so far; may raise to stop


def fold_summary(result: TrainResult) -> dict[str, Any]:
    """What is recorded of one fold."""
    return {
        "metrics": result.metrics,
        "best_epoch": result.best_epoch,
        "best_passes": result.best_passes,
        "epochs_run": result.epochs_run,
        "stopped": result.stopped,
        "train_seconds": result.train_seconds,
    }


def mean_result(results: Sequence[TrainResult]) -> tuple[TrainResult, dict[str, float]]:
    """One TrainResult for the folds (metrics averaged, seconds summed; the rest from the
    first fold) and the standard deviation of each metric over the folds."""
    keys = [k for k in results[0].metrics if all(k in r.metrics for r in results)]
    mean = {k: statistics.fmean(r.metrics[k] for r in results) for k in keys}
    sd = {k: statistics.pstdev([r.metrics[k] for r in results]) for k in keys}
    seconds = sum(r.train_seconds for r in results)
    return replace(results[0], metrics=mean, train_seconds=seconds), sd


def train_folds(
    arch: Architecture,
    dataset: Dataset,
    options: TrainOptions,
    folds: int,
    *,
    model: NASNet | None = None,
    callbacks: Sequence[pl.Callback] = (),
    after_fold: AfterFold | None = None,
    fold_seed: int = DEFAULT_SPLIT_SEED,
) -> tuple[list[TrainResult], list[NASNet]]:
    """Train ``arch`` on each of ``folds`` (stratified) folds of the dataset's pool, each
    fold from the same seed (``fold_seed`` seeds the split into folds);
    ``options.max_time_s`` covers all folds together.

    Returns the folds' results and trained models (each with its best epoch's weights);
    a fold stopped by the time limit ends the loop.
    """
    results: list[TrainResult] = []
    models: list[NASNet] = []
    start = time.perf_counter()
    for k in range(folds):
        data = dataset.fold(folds, k, fold_seed)
        fold_model = (
            model if k == 0 and model is not None else build_seeded(arch, data, options.seed)
        )
        limit = options.max_time_s
        if limit is not None:
            limit = max(1e-3, limit - (time.perf_counter() - start))
        result, trained = train_architecture(
            arch,
            data,
            replace(options, max_time_s=limit, label=f"fold {k + 1}/{folds}"),
            model=fold_model,
            callbacks=callbacks,
        )
        results.append(result)
        models.append(trained)
        if after_fold is not None:
            after_fold(results)
        if result.stopped == "time_limit":
            break
    return results, models
