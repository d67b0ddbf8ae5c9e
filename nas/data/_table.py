"""Tables: a CSV or Parquet file with one row per sample and a named target column.

The target's dtype sets the task: strings, booleans and integers are class labels
(classification), floats are regression targets. Categorical feature columns (strings,
booleans, pandas categories) are one-hot encoded; numeric columns are standardized with
the training rows' mean and standard deviation. Both transforms are recorded in the
dataset's ``preprocessing`` (and so in an exported bundle), since a deployed model needs
its inputs prepared the same way. A ``X_TRAIN.csv`` with a ``X_TEST.csv`` beside it uses
that file as the test split; otherwise a stratified share is held out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from nas.base import DataError
from nas.data._convert import split_test, standardize, targets
from nas.data._dataset import Dataset, make_dataset
from nas.data._options import ReadOptions
from nas.data._readers import check_exists, register_reader, require
from nas.data._series import test_sibling


def _read(path: Path) -> Any:
    pd = require("pandas", "tables", str(path))
    try:
        if path.suffix.lower() == ".parquet":
            require("pyarrow", "tables", str(path))
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except Exception as exc:  # pandas/pyarrow parser errors of many types
        raise DataError(f"{path}: not a readable {path.suffix} table ({exc})") from None


def _features(frame: Any, target: str, source: Path) -> tuple[Any, dict[str, list[str]]]:
    """Feature columns as floats: categorical columns one-hot encoded."""
    pd = require("pandas", "tables", str(source))
    features = frame.drop(columns=[target])
    if features.shape[1] == 0:
        raise DataError(f"{source}: no feature columns besides the target {target!r}")
    missing = [c for c in features.columns if features[c].isna().any()]
    if missing:
        raise DataError(
            f"{source}: column {missing[0]!r} has missing values; fill or drop them first"
        )
    categorical = [
        c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])
        or pd.api.types.is_bool_dtype(features[c])
    ]  # fmt: skip
    one_hot = {str(c): sorted(map(str, features[c].unique())) for c in categorical}
    if categorical:
        features = pd.get_dummies(features.astype({c: str for c in categorical}),
                                  columns=categorical, dtype=np.float32)  # fmt: skip
    return features.astype(np.float32), one_hot


def load_table(path: str, options: ReadOptions) -> Dataset:
    """Read a CSV/Parquet table (and its ``_TEST`` sibling) into a Dataset of rows."""
    check_exists(path)
    source = Path(path)
    frame = _read(source)
    target = options.target
    if target is None or target not in frame.columns:
        columns = ", ".join(map(str, frame.columns[:20]))
        given = "no target column was given" if target is None else f"no column {target!r}"
        raise DataError(f"{source}: {given}; pass --target COLUMN, one of: {columns}")
    test_path = test_sibling(source)
    n_train = len(frame)
    if test_path is not None:
        test_frame = _read(test_path)
        if list(test_frame.columns) != list(frame.columns):
            raise DataError(f"{test_path}: columns differ from {source}'s")
        pd = require("pandas", "tables", str(source))
        frame = pd.concat([frame, test_frame], ignore_index=True)
    if frame[target].isna().any():
        raise DataError(f"{source}: target column {target!r} has missing values")
    features, one_hot = _features(frame, target, source)
    x = features.to_numpy()[:, None, :]  # (N, 1, F): one row of F features
    y = frame[target].to_numpy()
    (y,), classes, label_note = targets([y], options.task, f"{source}: column {target!r}")
    x_train, y_train, x_test, y_test, notes = split_test(
        x, y, n_train if test_path is not None else None, options
    )
    notes += [label_note] if label_note else []
    x_train, x_test, scaling = standardize(x_train, x_test, per="feature")
    scaling["columns"] = [str(c) for c in features.columns]
    preprocessing = {"standardize": scaling, "one_hot": one_hot}
    if one_hot:
        notes.append(f"one-hot encoded {', '.join(one_hot)}")
    notes.append("features standardized with the training rows' mean and std")
    return make_dataset(
        source.stem, x_train, y_train, x_test, y_test,
        val_fraction=options.val_fraction, split_seed=options.split_seed,
        kind="table", classes=classes, notes=tuple(notes), preprocessing=preprocessing,
    )  # fmt: skip


register_reader(".csv")(load_table)
register_reader(".parquet")(load_table)
