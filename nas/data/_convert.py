"""Conversions the readers share: class labels to indices, series of unequal length to
one length, and a test split for files that bring none."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nas.base import DataError
from nas.data._dataset import split_holdout, task_of
from nas.data._options import TASKS, UNEQUAL_LENGTH_POLICIES, ReadOptions


def encode_labels(
    labels: Sequence[np.ndarray], source: str
) -> tuple[list[np.ndarray], tuple[str, ...]]:
    """Map class labels of any type (strings as aeon returns them, numbers) to ``0..K-1``.

    Classes are ordered numerically when every label is a number, else alphabetically; the
    returned names let a study and a bundle report predictions in the user's labels.
    """
    joined = np.concatenate([np.asarray(y).astype(str) for y in labels])
    names = sorted(set(joined.tolist()), key=_label_order(joined))
    if len(names) < 2:
        raise DataError(f"{source}: every sample has the label {names[0]!r}; need 2+ classes")
    index = {name: i for i, name in enumerate(names)}
    encoded = [np.array([index[v] for v in np.asarray(y).astype(str)], np.int64) for y in labels]
    return encoded, tuple(names)


def _label_order(labels: np.ndarray):  # type: ignore[no-untyped-def]
    try:
        [float(v) for v in set(labels.tolist())]
    except ValueError:
        return str
    return float


def is_classification_labels(y: np.ndarray) -> bool:
    """Strings, booleans and integers are class labels; floats are regression targets."""
    return not np.issubdtype(np.asarray(y).dtype, np.floating)


MAX_AUTO_CLASSES = 100  # more distinct integer labels than this: ask, do not guess
MAX_CLASS_LOOKALIKES = 20  # whole-number floats with at most this many values look like labels


def targets(
    ys: Sequence[np.ndarray], task: str, source: str
) -> tuple[list[np.ndarray], tuple[str, ...] | None, str | None]:
    """The targets of every split, checked and converted for ``task``.

    ``auto`` decides by the values and refuses to guess where a user could mean either:
    strings and booleans are class labels; integers are class labels unless there are more
    than ``MAX_AUTO_CLASSES`` of them; floats are regression targets unless every value is
    a whole number and there are at most ``MAX_CLASS_LOOKALIKES`` of them (labels saved as
    floats). Class labels become ``0..K-1`` (``encode_labels``).

    Returns:
        The converted arrays; the class names (None for regression, and for labels that
        already were ``0..K-1``); a note saying what was done (None: nothing to say).

    Raises:
        DataError: the task is ambiguous (the message says how to settle it) or the targets
            cannot serve it.
    """
    if task not in TASKS:
        raise DataError(f"task: {task!r}; expected one of {', '.join(TASKS)}")
    joined = np.concatenate([np.asarray(y).reshape(len(y), -1)[:, 0] for y in ys if len(y)])
    numeric = np.issubdtype(joined.dtype, np.number) and joined.dtype != np.bool_
    if task == "auto":
        task = _guess_task(joined, numeric, source)
    if task == "regression":
        if not numeric:
            raise DataError(
                f"{source}: task regression needs numeric targets; got {joined.dtype} values "
                f"such as {joined[0]!r}"
            )
        return [np.asarray(y, np.float32) for y in ys], None, None
    encoded, names = encode_labels(ys, source)
    identity = numeric and [float(n) for n in names] == list(range(len(names)))
    if identity:
        return encoded, None, None
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return encoded, names, f"class labels {{{shown}}} mapped to outputs 0..{len(names) - 1}"


def _guess_task(values: np.ndarray, numeric: bool, source: str) -> str:
    settle = "say task: classification or task: regression (--task) to choose"
    if not numeric:
        return "classification"
    distinct = np.unique(values)
    if np.issubdtype(values.dtype, np.integer):
        if len(distinct) > MAX_AUTO_CLASSES:
            raise DataError(
                f"{source}: the target has {len(distinct)} distinct whole numbers: class labels "
                f"or a quantity to predict? {settle}"
            )
        return "classification"
    if len(distinct) <= MAX_CLASS_LOOKALIKES and np.all(np.mod(distinct, 1) == 0):
        shown = ", ".join(f"{v:g}" for v in distinct[:6]) + (", ..." if len(distinct) > 6 else "")
        raise DataError(
            f"{source}: the target holds floats that are all whole numbers ({shown}): class "
            f"labels saved as floats, or values to predict? {settle}"
        )
    return "regression"


def equal_length(
    series: Sequence[np.ndarray], policy: str, source: str
) -> tuple[np.ndarray, str | None]:
    """Stack ``(C, L_i)`` series into ``(N, C, L)``; unequal lengths follow ``policy``.

    Returns the array and a note saying what was done (None: lengths were equal).
    """
    if policy not in UNEQUAL_LENGTH_POLICIES:
        raise DataError(
            f"unequal_length: {policy!r}; expected one of {', '.join(UNEQUAL_LENGTH_POLICIES)}"
        )
    lengths = [s.shape[-1] for s in series]
    longest, shortest = max(lengths), min(lengths)
    if longest == shortest:
        return np.stack(series).astype(np.float32), None
    if policy == "error":
        raise DataError(
            f"{source}: series have unequal lengths ({shortest} to {longest}); set "
            "unequal_length: resample (interpolate to the longest) or pad (zeros at the end)"
        )
    out = np.zeros((len(series), series[0].shape[0], longest), np.float32)
    for i, s in enumerate(series):
        if policy == "pad":
            out[i, :, : s.shape[-1]] = s
        else:
            out[i] = _resample(s, longest)
    verb = "resampled" if policy == "resample" else "zero-padded at the end"
    return out, f"series of lengths {shortest}-{longest} {verb} to length {longest}"


def _resample(s: np.ndarray, length: int) -> np.ndarray:
    if s.shape[-1] == 1:
        return np.repeat(s, length, axis=-1)
    old = np.linspace(0.0, 1.0, s.shape[-1])
    new = np.linspace(0.0, 1.0, length)
    return np.stack([np.interp(new, old, channel) for channel in s])


def split_test(
    x: np.ndarray, y: np.ndarray, n_train: int | None, options: ReadOptions
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The first ``n_train`` samples train and the rest test (a file's own test split), or
    with ``n_train`` None a held-out test split: ``x, y, x_test, y_test, notes``."""
    if n_train is not None:
        return x[:n_train], y[:n_train], x[n_train:], y[n_train:], []
    x, y, x_test, y_test, note = hold_out_test(x, y, options)
    return x, y, x_test, y_test, [note]


def hold_out_test(
    x: np.ndarray, y: np.ndarray, options: ReadOptions
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """A seeded, stratified test split for data without one: ``x, y, x_test, y_test, note``."""
    x, y, x_test, y_test = split_holdout(
        x, y, options.test_fraction, options.split_seed, task_of(y), what="test"
    )
    note = f"no test file: {len(x_test)} samples ({options.test_fraction:.0%}) held out as test"
    return x, y, x_test, y_test, note


def standardize(
    x_train: np.ndarray, x_test: np.ndarray, per: str
) -> tuple[np.ndarray, np.ndarray, dict[str, object]]:
    """Scale to zero mean and unit variance with the training samples' statistics, per
    ``"channel"`` (series: over samples and time) or per ``"feature"`` (table columns).

    Returns both arrays and the record a deployed model needs to do the same
    (``(x - mean) / std`` along that axis).
    """
    axes = (0, 2) if per == "channel" else (0, 1)
    mean = x_train.mean(axis=axes, keepdims=True)
    std = x_train.std(axis=axes, keepdims=True)
    std[std == 0] = 1.0  # a constant channel stays constant (zero)
    record = {"per": per, "mean": mean.ravel().tolist(), "std": std.ravel().tolist()}
    return (x_train - mean) / std, (x_test - mean) / std, record
