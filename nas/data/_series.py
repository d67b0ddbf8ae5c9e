"""Time series in the UCR/UEA archive's formats: ``.ts`` files (read by aeon) and the UCR
2018 ``_TRAIN.tsv``/``_TEST.tsv`` pairs (label in the first column).

Give the ``_TRAIN`` file; its ``_TEST`` sibling is the test split (without one, a
stratified share is held out). Class labels of any type become ``0..K-1`` with their
names kept; series of unequal length follow ``ReadOptions.unequal_length``. Each channel
is standardized with the training series' statistics (raw UCR series range from 0..1 to
0..20000), recorded in the dataset's ``preprocessing`` for a deployed model.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from nas.base import DataError
from nas.data._convert import equal_length, hold_out_test, standardize, targets
from nas.data._dataset import Dataset, make_dataset
from nas.data._options import ReadOptions
from nas.data._readers import check_exists, register_reader, require

Split = tuple[list[np.ndarray], np.ndarray]  # series (C, L_i) and their labels/targets


def test_sibling(path: Path) -> Path | None:
    """``X_TEST.ts`` beside ``X_TRAIN.ts`` (any case of TRAIN), if it exists."""
    stem = path.stem
    if not stem.upper().endswith("_TRAIN"):
        return None
    sibling = path.with_name(stem[: -len("TRAIN")] + "TEST" + path.suffix)
    return sibling if sibling.exists() else None


def _read_ts(path: Path) -> Split:
    aeon = require("aeon.datasets", "ts", str(path))
    try:
        x, y = aeon.load_from_ts_file(str(path))
    except Exception as exc:  # aeon raises IOError/ValueError/TsFileParseException
        raise DataError(f"{path}: not a readable .ts file ({exc})") from None
    series = [np.asarray(s, dtype=np.float64) for s in x]
    return series, np.asarray(y)


def _read_tsv(path: Path) -> Split:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an empty file: "holds no series" below says so
            table = np.loadtxt(path, delimiter="\t", ndmin=2)
    except ValueError as exc:
        raise DataError(f"{path}: not a UCR .tsv file of numbers ({exc})") from None
    labels, values = table[:, 0], table[:, 1:]
    series = []
    for row in values:
        # UCR 2018 pads shorter series with trailing NaNs: cut them off
        finite = np.flatnonzero(~np.isnan(row))
        end = finite[-1] + 1 if len(finite) else 0
        series.append(row[None, :end])
    y = labels.astype(np.int64) if np.all(labels == np.round(labels)) else labels
    return series, y


_FORMATS = {".ts": _read_ts, ".tsv": _read_tsv}


def _check(series: list[np.ndarray], y: np.ndarray, source: Path) -> None:
    if not series:
        raise DataError(f"{source}: holds no series")
    for i, s in enumerate(series):
        if s.shape[-1] == 0:
            raise DataError(f"{source}: series {i} is empty")
        if not np.isfinite(s).all():
            raise DataError(
                f"{source}: series {i} has missing values (NaN or '?'); fill or drop them first"
            )
    channels = {s.shape[0] for s in series}
    if len(channels) > 1:
        raise DataError(f"{source}: series have different numbers of dimensions {sorted(channels)}")


def load_series(path: str, options: ReadOptions) -> Dataset:
    """Read a UCR/UEA train file (and its test sibling) into a Dataset."""
    check_exists(path)
    train_path = Path(path)
    read = _FORMATS[train_path.suffix.lower()]
    x_train, y_train = read(train_path)
    _check(x_train, y_train, train_path)
    test_path = test_sibling(train_path)
    x_test, y_test = read(test_path) if test_path else ([], np.asarray([]))
    if test_path:
        _check(x_test, y_test, test_path)
    notes: list[str] = []
    x, note = equal_length([*x_train, *x_test], options.unequal_length, str(path))
    notes += [note] if note else []
    (y_train, y_test), classes, note = targets([y_train, y_test], options.task, str(path))
    notes += [note] if note else []
    xs_train, xs_test = x[: len(x_train)], x[len(x_train) :]
    if test_path is None:
        xs_train, y_train, xs_test, y_test, note = hold_out_test(xs_train, y_train, options)
        notes.append(note)
    xs_train, xs_test, scaling = standardize(xs_train, xs_test, per="channel")
    notes.append("each channel standardized with the training series' mean and std")
    name = train_path.stem
    name = name[: -len("_TRAIN")] if name.upper().endswith("_TRAIN") else name
    return make_dataset(
        name,
        xs_train,
        y_train,
        xs_test,
        y_test,
        val_fraction=options.val_fraction,
        split_seed=options.split_seed,
        kind="signal",
        classes=classes,
        notes=tuple(notes),
        preprocessing={"standardize": scaling},
    )


register_reader(".ts")(load_series)
register_reader(".tsv")(load_series)
