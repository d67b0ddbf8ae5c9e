"""How a data file is read: the options every reader receives."""

from __future__ import annotations

from dataclasses import dataclass

from nas.data._dataset import DEFAULT_SPLIT_SEED, DEFAULT_VAL_FRACTION

UNEQUAL_LENGTH_POLICIES = ("resample", "pad", "error")
TASKS = ("auto", "classification", "regression")  # what the targets are (see ReadOptions.task)
DEFAULT_TEST_FRACTION = 0.2  # held out as test when a file brings no test split of its own


@dataclass(frozen=True)
class ReadOptions:
    """What a reader needs besides the path."""

    val_fraction: float = DEFAULT_VAL_FRACTION  # validation share carved from training data
    split_seed: int = DEFAULT_SPLIT_SEED  # seeds the validation (and any test) split
    target: str | None = None  # tables: the column to predict
    # series of unequal length: "resample" each to the longest length (linear
    # interpolation), "pad" with zeros at the end, or "error"
    unequal_length: str = "resample"
    test_fraction: float = DEFAULT_TEST_FRACTION
    # "classification", "regression", or "auto": decided by the targets' values, refusing
    # to guess where either is plausible (nas.data._convert.targets)
    task: str = "auto"
