"""A dataset as numpy arrays: train/validation/test splits, channels first.

Splits of classification data are stratified, so every class is in every split in its
share, however small the data; cross-validation folds come from the same pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from nas.base import DataError, count

Task = Literal["classification", "regression"]
Kind = Literal["signal", "image", "table"]
DEFAULT_VAL_FRACTION = 0.2  # share of the training set held out for search
DEFAULT_SPLIT_SEED = 0  # the validation split is the same for every trial and run
MIN_PER_CLASS_TO_STRATIFY = 2  # a class with one sample cannot be in two splits


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
    kind: Kind = "signal"  # what a sample is: a 1-D signal, an image, or a table row
    classes: tuple[str, ...] | None = None  # the user's label of each class index
    notes: tuple[str, ...] = ()  # what the reader did to the data (resampling, encoding)
    preprocessing: dict[str, Any] = field(default_factory=dict)  # to apply before inference

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one sample, channels first."""
        return tuple(self.x_train.shape[1:])

    @property
    def spatial_dims(self) -> int:
        """1 for signals, 2 for images."""
        return len(self.input_shape) - 1

    @property
    def n_pool(self) -> int:
        """Samples search may use: train plus validation."""
        return len(self.x_train) + len(self.x_val)

    def describe(self) -> str:
        """One line: name, task, sizes and shape."""
        return (
            f"{self.name}: {self.task}, {len(self.x_train)} train / {len(self.x_val)} val / "
            f"{len(self.x_test)} test, input {self.input_shape}, "
            f"{count(self.num_outputs, 'output')}"
        )

    def train_size(self, folds: int = 1) -> int:
        """Samples a model trains on: the training split, or with ``folds`` > 1 the pool
        less one fold (what each fold of a cross-validation trains on)."""
        return self.n_pool * (folds - 1) // folds if folds > 1 else len(self.x_train)

    def pool(self) -> tuple[np.ndarray, np.ndarray]:
        """Train and validation together: what cross-validation folds and a final retrain
        use. The test split is never part of it."""
        return (
            np.concatenate([self.x_train, self.x_val]),
            np.concatenate([self.y_train, self.y_val]),
        )

    def fold(self, k: int, index: int, seed: int = DEFAULT_SPLIT_SEED) -> Dataset:
        """Fold ``index`` of a (stratified, for classification) ``k``-fold split of the
        pool: its validation part is that fold, its training part the other ``k - 1``."""
        x, y = self.pool()
        train, val = fold_indices(y, self.task, k, seed)[index]
        return replace(self, x_train=x[train], y_train=y[train], x_val=x[val], y_val=y[val])

    def retrain_set(self) -> Dataset:
        """The whole pool as training data (validation kept for monitoring only)."""
        x, y = self.pool()
        return replace(self, x_train=x, y_train=y)

    def class_name(self, index: int) -> str:
        """The user's label of class ``index`` (its number when labels were numbers)."""
        return self.classes[index] if self.classes else str(index)


def _stratify(y: np.ndarray, task: str) -> np.ndarray | None:
    """Labels to stratify on, or None when a class is too rare (or for regression)."""
    if task != "classification":
        return None
    _, counts = np.unique(y, return_counts=True)
    return y if counts.min() >= MIN_PER_CLASS_TO_STRATIFY else None


def fold_indices(
    y: np.ndarray, task: str, k: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` (train, validation) index pairs; stratified when every class has ``k`` samples."""
    from sklearn.model_selection import KFold, StratifiedKFold

    if not 2 <= k <= len(y):
        raise DataError(f"{k}-fold cross-validation needs 2 <= folds <= {len(y)} samples")
    if task == "classification" and np.unique(y, return_counts=True)[1].min() >= k:
        splitter: Any = StratifiedKFold(k, shuffle=True, random_state=seed)
    else:
        splitter = KFold(k, shuffle=True, random_state=seed)
    return [(train, val) for train, val in splitter.split(np.zeros(len(y)), y)]


def split_holdout(
    x: np.ndarray, y: np.ndarray, fraction: float, seed: int, task: str, what: str = "validation"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A seeded split of ``fraction`` of the samples, stratified for classification:
    ``(x_rest, y_rest, x_held, y_held)``."""
    from sklearn.model_selection import train_test_split

    if not 0.0 < fraction < 1.0:
        raise DataError(f"{what} fraction must be in (0, 1), got {fraction}")
    n_held = round(len(x) * fraction)
    if n_held < 1 or n_held >= len(x):
        raise DataError(f"{what} fraction {fraction} of {len(x)} samples leaves an empty split")
    stratify = _stratify(y, task)
    if stratify is not None and n_held < len(np.unique(y)):
        stratify = None  # fewer held-out samples than classes: no stratified split exists
    x_rest, x_held, y_rest, y_held = train_test_split(
        x, y, test_size=n_held, random_state=seed, stratify=stratify
    )
    return x_rest, y_rest, x_held, y_held


def target_statistics(y_train: np.ndarray) -> dict[str, list[float]]:
    """Mean and std of each regression target over the training split: a model predicts
    standardized targets and maps them back with these (its ``output_scale`` layer)."""
    y = np.asarray(y_train, np.float64).reshape(len(y_train), -1)
    std = y.std(axis=0)
    std[std == 0] = 1.0
    return {"mean": y.mean(axis=0).tolist(), "std": std.tolist()}


def raw_inputs(x: np.ndarray, preprocessing: dict[str, Any]) -> np.ndarray:
    """Standardized inputs back in the user's units (what a deployed model is given)."""
    record = preprocessing.get("standardize")
    if not record:
        return x
    mean, std = _broadcast(record, x.shape[1:])
    return (x * std + mean).astype(np.float32)


def _broadcast(record: dict[str, Any], sample: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``mean`` and ``std`` of a standardization record shaped to broadcast over samples."""
    shape = input_scale_shape(record, sample)
    return np.asarray(record["mean"]).reshape(shape), np.asarray(record["std"]).reshape(shape)


def input_scale_shape(record: dict[str, Any], sample: tuple[int, ...]) -> list[int]:
    """The shape of a standardization's statistics against one sample: per channel
    ``(C, 1, ...)``, per feature the sample's own shape."""
    if record.get("per", "channel") == "channel":
        return [sample[0], *([1] * (len(sample) - 1))]
    return list(sample)


def task_of(y: np.ndarray) -> Task:
    """Integer targets are class labels (classification); floats are regression targets."""
    return "classification" if np.issubdtype(y.dtype, np.integer) else "regression"


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
    kind: Kind | None = None,
    classes: tuple[str, ...] | None = None,
    notes: tuple[str, ...] = (),
    preprocessing: dict[str, Any] | None = None,
) -> Dataset:
    """Assemble a Dataset from channels-first arrays, inferring the task from ``y``'s dtype.

    Integer targets are class labels ``0..K-1`` (classification); float targets are
    regression (``(N,)`` or ``(N, K)``). Without ``x_val`` a stratified validation split
    of ``val_fraction`` is carved from the training arrays.
    """
    task = task_of(y_train)
    if x_val is None or y_val is None:
        x_train, y_train, x_val, y_val = split_holdout(
            x_train, y_train, val_fraction, split_seed, task
        )
    if task == "classification":
        num_outputs = int(max(y_train.max(), y_val.max(), y_test.max())) + 1
        if classes is not None:
            num_outputs = max(num_outputs, len(classes))
        cast = np.int64
    else:
        num_outputs = 1 if y_train.ndim == 1 else int(y_train.shape[1])
        cast = np.float32
        preprocessing = {**(preprocessing or {}), "target": target_statistics(y_train)}
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
        kind=kind or ("image" if x_train.ndim == 4 else "signal"),
        classes=classes,
        notes=notes,
        preprocessing=preprocessing or {},
    )
