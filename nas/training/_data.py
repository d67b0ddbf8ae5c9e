"""Device-resident data: whole splits live on the training device, batched by index.

Small datasets (MNIST-1D is 500 KB) need no DataLoader, worker processes or per-sample
collation: one permutation and one gather per epoch, then views.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import lightning.pytorch as pl
import torch
from typing_extensions import override

from nas.data import Dataset

EVAL_BATCH_SIZE = 4096  # validation/test batch size: large, the model is in eval mode
# mini-batches per Lightning training step: Lightning's per-step machinery (hooks, loop
# bookkeeping) costs ~0.9 ms, as much as a whole step of a 5k-parameter CNN on 2 cores;
# grouping 8 steps per call brings the loop to within 10% of a plain loop
# (benchmarks/throughput.py). Stop requests and time limits are checked per group.
STEPS_PER_CALL = 8


class TensorBatches:
    """Iterates ``(x, y)`` mini-batches of tensors that already sit on the device, over
    ``passes`` reshuffled passes of the data (one Lightning epoch).

    A trailing batch of one sample is dropped when shuffling, since batch norm cannot
    train on it. With ``group`` > 1 each item holds up to ``group`` consecutive mini-batches
    (the training step splits them), so Lightning's per-call overhead is paid once per
    group instead of once per mini-batch.
    """

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        batch_size: int,
        *,
        shuffle: bool = False,
        seed: int = 0,
        group: int = 1,
        passes: int = 1,
    ) -> None:
        self.x, self.y, self.batch_size, self.shuffle = x, y, batch_size, shuffle
        self.group, self.passes = group, passes
        self.generator = torch.Generator(device=x.device)
        self.generator.manual_seed(seed)
        self._stop = self.samples_used(len(x), batch_size, shuffle)

    @staticmethod
    def samples_used(n: int, batch_size: int, shuffle: bool) -> int:
        """Samples iterated per epoch: all, less a trailing single sample when shuffling."""
        return n - 1 if shuffle and n > 1 and n % batch_size == 1 else n

    @staticmethod
    def count(n: int, batch_size: int, shuffle: bool) -> int:
        """Number of batches per epoch for ``n`` samples."""
        return -(-TensorBatches.samples_used(n, batch_size, shuffle) // batch_size)

    def __len__(self) -> int:
        return self.passes * -(-self._stop // (self.batch_size * self.group))

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for _ in range(self.passes):
            x, y = self.x, self.y
            if self.shuffle:
                order = torch.randperm(len(x), device=x.device, generator=self.generator)
                x, y = x[order], y[order]
            size = self.batch_size * self.group
            for start in range(0, self._stop, size):
                end = min(start + size, self._stop)
                yield x[start:end], y[start:end]


class TensorDataModule(pl.LightningDataModule):
    """Serves a :class:`nas.data.Dataset`'s train and validation splits from ``device``."""

    def __init__(
        self, dataset: Dataset, batch_size: int, device: torch.device, seed: int, passes: int = 1
    ) -> None:
        super().__init__()
        self.dataset, self.batch_size, self.device, self.seed = dataset, batch_size, device, seed
        self.passes = passes
        self._batches: TensorBatches | None = None
        self._generator_state: torch.Tensor | None = None  # restored from a checkpoint

    @override
    def state_dict(self) -> dict[str, Any]:
        """The shuffling generator's state, so that a resumed run sees the same batches."""
        if self._batches is None:
            return {}
        return {"generator": self._batches.generator.get_state()}

    @override
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._generator_state = state_dict.get("generator")

    def tensors(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x, y)`` of ``split`` ("train", "val" or "test") on the device."""
        x = getattr(self.dataset, f"x_{split}")
        y = getattr(self.dataset, f"y_{split}")
        return torch.from_numpy(x).to(self.device), torch.from_numpy(y).to(self.device)

    @override
    def setup(self, stage: str) -> None:
        self._train = self.tensors("train")
        self._val = self.tensors("val")

    @override
    def transfer_batch_to_device(
        self, batch: Any, device: torch.device, dataloader_idx: int
    ) -> Any:
        return batch  # already on the training device: skip Lightning's per-batch tree walk

    @override
    def train_dataloader(self) -> TensorBatches:
        self._batches = TensorBatches(
            *self._train,
            self.batch_size,
            shuffle=True,
            seed=self.seed,
            group=STEPS_PER_CALL,
            passes=self.passes,
        )
        if self._generator_state is not None:
            self._batches.generator.set_state(self._generator_state)
        return self._batches

    @override
    def val_dataloader(self) -> TensorBatches:
        return TensorBatches(*self._val, EVAL_BATCH_SIZE)
