"""One CPU thread per trial by default, the thread count restored afterwards, and per-epoch
progress on stderr (lines without a terminal, none with progress=False)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nas.base import available_cpus
from nas.training import TrainOptions, cpu_threads, train_architecture
from tests.training.test_train import SMALL

TWO_EPOCHS = replace(SMALL, train=replace(SMALL.train, epochs=2))


def test_training_uses_one_thread_by_default_and_restores_the_count(mnist1d):
    import torch

    before = torch.get_num_threads()
    seen = []

    import lightning.pytorch as pl

    class ThreadProbe(pl.Callback):
        def on_train_epoch_start(self, trainer, module):
            seen.append(torch.get_num_threads())

    result, _ = train_architecture(TWO_EPOCHS, mnist1d, TrainOptions(progress=False),
                                   callbacks=[ThreadProbe()])  # fmt: skip
    assert seen == [1, 1] and result.threads == 1
    assert torch.get_num_threads() == before


def test_more_threads_are_capped_at_the_cpus_allowed():
    import torch

    with cpu_threads(10_000) as n:
        assert n == available_cpus() == torch.get_num_threads()


def test_results_do_not_depend_on_the_callers_thread_count(mnist1d):
    import torch

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        a, _ = train_architecture(TWO_EPOCHS, mnist1d, TrainOptions(seed=3, progress=False))
        torch.set_num_threads(max(2, available_cpus()))
        b, _ = train_architecture(TWO_EPOCHS, mnist1d, TrainOptions(seed=3, progress=False))
    finally:
        torch.set_num_threads(before)
    assert a.metrics == b.metrics  # both trained with the default single thread


@pytest.mark.parametrize("progress", [True, False])
def test_progress_lines_go_to_stderr(mnist1d, capsys, progress):
    train_architecture(TWO_EPOCHS, mnist1d, TrainOptions(progress=progress))
    captured = capsys.readouterr()
    assert captured.out == ""  # results stay machine-readable on stdout
    lines = [line for line in captured.err.splitlines() if "epoch" in line]
    if progress:
        assert lines[0].startswith("training epoch 1/2") and "val_acc" in lines[0]
        assert lines[-1].startswith("training epoch 2/2")
    else:
        assert lines == []
