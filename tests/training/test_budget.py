"""Budgets in optimizer steps: batch capping, passes per epoch, and tie-broken epochs."""

from __future__ import annotations

import numpy as np
import pytest

from nas.arch import Architecture, Block, Stage
from nas.blocks import ConvConfig
from nas.config import TrainConfig
from nas.data import make_dataset
from nas.training import TrainOptions, plan_budget, train_architecture


@pytest.mark.parametrize(
    ("config", "n", "expected"),
    [
        # large data already gets its steps: exactly as before (epochs of one pass)
        (TrainConfig(batch_size=128, epochs=20, min_steps=600), 16000, (128, 20, 1, 125)),
        # 500 steps in 20 epochs of 25: 24 passes are needed, in 12 rounds of 2
        (TrainConfig(batch_size=128, epochs=20, min_steps=600), 3200, (128, 12, 2, 50)),
        # 36 series at batch 128: capped at 36, one step per pass; 600 steps need 600 passes
        # in 20 rounds of 30 passes
        (TrainConfig(batch_size=128, epochs=20, min_steps=600), 36, (36, 20, 30, 30)),
        # steps instead of epochs: 100 steps of 4 per pass = 25 passes, 20 rounds at most
        (TrainConfig(batch_size=8, epochs=20, steps=100), 32, (8, 13, 2, 8)),
        # no min_steps: the old meaning of epochs, whatever the size
        (TrainConfig(batch_size=16, epochs=5), 32, (16, 5, 1, 2)),
    ],
)
def test_plan_budget(config, n, expected):
    budget = plan_budget(config, n)
    assert (budget.batch_size, budget.rounds, budget.passes_per_round,
            budget.steps_per_round) == expected  # fmt: skip
    if config.min_steps:
        assert budget.total_steps >= config.min_steps
    if config.steps:
        assert budget.total_steps >= config.steps


def _tiny(n=24, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = (rng.normal(size=(n, 1, 12)) + y[:, None, None] * 1.5).astype(np.float32)
    return make_dataset("tiny", x, y.astype(np.int64), x[:6], y[:6].astype(np.int64),
                        val_fraction=0.25)  # fmt: skip


def _arch(**train) -> Architecture:
    conv = Block("conv", ConvConfig(channels=4, kernel=3))
    return Architecture(stages=(Stage("f", (conv,)),), readout="global_avg",
                        train=TrainConfig(**train))  # fmt: skip


def test_a_capped_batch_is_recorded_not_an_error():
    result, _ = train_architecture(_arch(batch_size=256, epochs=2, patience=0), _tiny())
    assert result.batch_size == 18  # the 18 training samples
    assert any("batch size 256 capped at the 18 training samples" in n for n in result.notes)


def test_min_steps_gives_small_data_its_steps_in_the_same_number_of_epochs():
    result, _ = train_architecture(_arch(batch_size=6, epochs=4, min_steps=60, patience=0), _tiny())
    assert result.epochs_run == 4 and result.steps_per_epoch * result.epochs_run >= 60
    assert result.passes_per_epoch == 5 and result.best_passes == (result.best_epoch + 1) * 5


def test_explicit_epochs_option_means_exact_passes():
    arch = _arch(batch_size=6, epochs=4, min_steps=600, patience=0)
    result, _ = train_architecture(arch, _tiny(), TrainOptions(epochs=3))
    assert result.epochs_run == 3 and result.passes_per_epoch == 1


def test_equal_accuracy_with_lower_loss_is_a_better_epoch():
    """On small data validation accuracy saturates; the loss tells the epochs apart, so
    the best epoch is not simply the first perfect one."""
    from nas.training._callbacks import BestWeights

    best = BestWeights("val_acc", "max", restore=False, patience=2, tiebreak="val_loss")
    for epoch, (acc, loss) in enumerate([(1.0, 0.5), (1.0, 0.3), (0.9, 0.1), (1.0, 0.4)]):
        assert best._improved(best._key(acc, loss)) == (epoch in (0, 1))
        if best._improved(best._key(acc, loss)):
            best.best, best.best_epoch = best._key(acc, loss), epoch
    assert best.best_epoch == 1


def test_training_on_saturated_validation_still_runs_past_the_first_perfect_epoch():
    data = _tiny(40)
    result, _ = train_architecture(_arch(batch_size=8, epochs=12, patience=3, lr=0.01), data)
    accs = [row["val_acc"] for row in result.history]
    first_perfect = accs.index(max(accs))
    losses = [row["val_loss"] for row in result.history]
    assert result.best_epoch >= first_perfect
    tied = [i for i, a in enumerate(accs) if a == accs[result.best_epoch]]
    assert losses[result.best_epoch] == min(losses[i] for i in tied)


def test_passes_of_a_budget_repeat_shuffled_data():
    import torch

    from nas.training._data import TensorBatches

    x = torch.arange(10.0)[:, None]
    batches = TensorBatches(x, x, 4, shuffle=True, passes=3)
    seen = torch.cat([b for b, _ in batches])[:, 0]
    assert len(batches) == 9 and len(seen) == 30
    assert sorted(seen.tolist()) == sorted(list(range(10)) * 3)
