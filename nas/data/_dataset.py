"""A dataset as numpy arrays: train/validation/test splits, channels first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from nas.base import DataError

Task = Literal["classification", "regression"]
DEFAULT_VAL_FRACTION = 0.2  # share of the training set held out for search
DEFAULT_SPLIT_SEED = 0  # the validation split is the same for every trial and run


@dataclass(frozen=True, eq=False)
class Dataset:
    """Arrays ready for training; ``x`` is float32 ``(N, C, L)`` or ``(N, C, H, W)``.

    Search only ever sees ``train`` and ``val``; ``test`` is for an explicit final
    evaluation (``nas train --test``, ``nas export``).
    """

    name: str
    task: Task
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_outputs: int  # classes, or regression targets

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one sample, channels first."""
        return tuple(self.x_train.shape[1:])

    @property
    def spatial_dims(self) -> int:
        """1 for signals, 2 for images."""
        return len(self.input_shape) - 1

    def describe(self) -> str:
        """One line: name, task, sizes and shape."""
        return (
            f"{self.name}: {self.task}, {len(self.x_train)} train / {len(self.x_val)} val / "
            f"{len(self.x_test)} test, input {self.input_shape}, {self.num_outputs} outputs"
        )


def split_validation(
    x: np.ndarray, y: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Carve a seeded validation split from the training arrays."""
    if not 0.0 < fraction < 1.0:
        raise DataError(f"validation fraction must be in (0, 1), got {fraction}")
    n_val = round(len(x) * fraction)
    if n_val < 1 or n_val >= len(x):
        raise DataError(f"validation fraction {fraction} of {len(x)} samples leaves an empty split")
    order = np.random.default_rng(seed).permutation(len(x))
    val, train = order[:n_val], order[n_val:]
    return x[train], y[train], x[val], y[val]


def make_dataset(
    name: str,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    x_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    val_fraction: float = DEFAULT_VAL_FRACTION,
    split_seed: int = DEFAULT_SPLIT_SEED,
) -> Dataset:
    """Assemble a Dataset from channels-first arrays, inferring the task from ``y``'s dtype.

    Integer targets are class labels ``0..K-1`` (classification); float targets are
    regression (``(N,)`` or ``(N, K)``).
    """
    task: Task = "classification" if np.issubdtype(y_train.dtype, np.integer) else "regression"
    if x_val is None or y_val is None:
        x_train, y_train, x_val, y_val = split_validation(
            x_train, y_train, val_fraction, split_seed
        )
    if task == "classification":
        num_outputs = int(max(y_train.max(), y_val.max(), y_test.max())) + 1
        cast = np.int64
    else:
        num_outputs = 1 if y_train.ndim == 1 else int(y_train.shape[1])
        cast = np.float32
    return Dataset(
        name=name,
        task=task,
        x_train=np.ascontiguousarray(x_train, dtype=np.float32),
        y_train=y_train.astype(cast),
        x_val=np.ascontiguousarray(x_val, dtype=np.float32),
        y_val=y_val.astype(cast),
        x_test=np.ascontiguousarray(x_test, dtype=np.float32),
        y_test=y_test.astype(cast),
        num_outputs=num_outputs,
    )
