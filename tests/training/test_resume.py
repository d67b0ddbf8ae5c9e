"""A run resumed from an epoch checkpoint ends exactly as an uninterrupted one: the same
weights, history and metrics (CPU, deterministic)."""

from __future__ import annotations

import dataclasses

import lightning.pytorch as pl
import pytest
import torch

from nas.arch import Architecture, Block, Stage
from nas.blocks import ConvConfig, DenseConfig
from nas.config import TrainConfig
from nas.training import EpochCheckpoint, TrainOptions, train_architecture

ARCH = Architecture(
    stages=(Stage("feature", (Block("conv", ConvConfig(8, pooling="max")),)),
            Stage("head", (Block("dense", DenseConfig(16, dropout=0.3)),))),
    train=TrainConfig(optimizer="adam", lr=0.01, batch_size=64, epochs=6, schedule="cosine",
                      patience=0, input_noise=0.05),
)  # fmt: skip


class Crash(Exception):
    pass


class CrashAt(pl.Callback):
    """Dies at the start of epoch ``epoch`` (after the previous epoch's checkpoint)."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        if trainer.current_epoch == self.epoch:
            raise Crash


@pytest.fixture(scope="module")
def small(mnist1d):
    return dataclasses.replace(mnist1d, x_train=mnist1d.x_train[:600], y_train=mnist1d.y_train[:600])


def test_a_resumed_run_ends_exactly_as_an_uninterrupted_one(small, tmp_path):
    options = TrainOptions(seed=3, progress=False)
    whole, whole_model = train_architecture(ARCH, small, options)

    path = str(tmp_path / "trial.ckpt")
    saved: list[int] = []
    checkpoint = EpochCheckpoint(path, every_s=0, saved=lambda p, epoch: saved.append(epoch))
    with pytest.raises(Crash):
        train_architecture(ARCH, small, options, callbacks=[checkpoint, CrashAt(3)])
    assert saved == [0, 1, 2]

    resumed, resumed_model = train_architecture(
        ARCH, small, dataclasses.replace(options, resume_from=path)
    )
    assert [row["epoch"] for row in resumed.history] == list(range(6))
    for a, b in zip(whole.history, resumed.history, strict=True):
        assert {k: v for k, v in a.items() if k != "epoch_time"} == pytest.approx(
            {k: v for k, v in b.items() if k != "epoch_time"}, rel=0, abs=0
        )
    assert resumed.metrics == whole.metrics and resumed.best_epoch == whole.best_epoch
    for (name, a), (_, b) in zip(whole_model.state_dict().items(),
                                 resumed_model.state_dict().items(), strict=True):  # fmt: skip
        assert torch.equal(a, b), name
