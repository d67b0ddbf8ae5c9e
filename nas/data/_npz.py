"""Bring-your-own data: an ``.npz`` file with x_train/y_train/x_test/y_test.

Optional ``x_val``/``y_val`` replace the carved validation split. The input's rank sets
its dimensionality: ``(N, L)`` and ``(N, C, H, W)`` are unambiguous; a 3-D array is
either ``(N, C, L)`` or ``(N, H, W)``, so such files carry ``layout="NCL"`` or
``layout="NHW"``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from nas.base import DataError
from nas.data._convert import targets
from nas.data._dataset import Dataset, make_dataset
from nas.data._options import ReadOptions
from nas.data._readers import register_reader

REQUIRED = ("x_train", "y_train", "x_test", "y_test")
OPTIONAL = ("x_val", "y_val", "layout")
LAYOUTS = ("NCL", "NHW")


def _channels_first(name: str, x: np.ndarray, layout: str | None, source: str) -> np.ndarray:
    """Bring ``x`` to (N, C, L) or (N, C, H, W)."""
    if x.ndim == 2:
        return x[:, None, :]
    if x.ndim == 4:
        return x
    if x.ndim == 3:
        if layout == "NCL":
            return x
        if layout == "NHW":
            return x[:, None, :, :]
        raise DataError(
            f"{source}: {name} has shape {x.shape}, which is either (N, C, L) signals or "
            f"(N, H, W) images; add layout='NCL' or layout='NHW' to the file"
        )
    raise DataError(
        f"{source}: {name} has shape {x.shape}; "
        "expected (N, L), (N, C, L), (N, H, W) or (N, C, H, W)"
    )


def _check_pair(x: np.ndarray, y: np.ndarray, split: str, source: str) -> None:
    if not np.issubdtype(x.dtype, np.number):
        raise DataError(f"{source}: x_{split} has dtype {x.dtype}; expected numbers")
    if len(x) == 0:
        raise DataError(f"{source}: x_{split} is empty")
    if y.ndim not in (1, 2) or len(y) != len(x):
        raise DataError(
            f"{source}: y_{split} has shape {y.shape}; expected ({len(x)},) or ({len(x)}, K) "
            f"to match x_{split} with {len(x)} samples"
        )
    if not np.isfinite(x).all():
        raise DataError(f"{source}: x_{split} contains NaN or inf")
    if np.issubdtype(y.dtype, np.integer):
        if y.ndim != 1:
            raise DataError(
                f"{source}: y_{split} holds integer class labels, so it must be (N,), got {y.shape}"
            )
    elif np.issubdtype(y.dtype, np.floating):
        if not np.isfinite(y).all():
            raise DataError(f"{source}: y_{split} contains NaN or inf")
    else:
        raise DataError(
            f"{source}: y_{split} has dtype {y.dtype}; expected integer labels or float targets"
        )


@register_reader(".npz")
def load_npz(path: str | Path, options: ReadOptions) -> Dataset:
    """Load and validate a user ``.npz`` file."""
    source = str(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataError(f"{source}: file not found") from None
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(f"{source}: not a readable .npz file ({exc})") from None
    with archive:
        keys = set(archive.files)
        missing = [k for k in REQUIRED if k not in keys]
        if missing:
            raise DataError(
                f"{source}: missing array {missing[0]!r}; an .npz needs {', '.join(REQUIRED)}"
                f" (optional: {', '.join(OPTIONAL)})"
            )
        unknown = sorted(keys - set(REQUIRED) - set(OPTIONAL))
        if unknown:
            raise DataError(
                f"{source}: unknown array {unknown[0]!r}; allowed: {', '.join(REQUIRED + OPTIONAL)}"
            )
        if ("x_val" in keys) != ("y_val" in keys):
            raise DataError(f"{source}: x_val and y_val must be given together")
        arrays = {k: archive[k] for k in keys}
    layout = str(arrays.pop("layout")) if "layout" in arrays else None
    if layout is not None and layout not in LAYOUTS:
        raise DataError(f"{source}: layout is {layout!r}; expected one of {', '.join(LAYOUTS)}")
    splits = ["train", "test"] + (["val"] if "x_val" in arrays else [])
    for split in splits:
        _check_pair(arrays[f"x_{split}"], arrays[f"y_{split}"], split, source)
        arrays[f"x_{split}"] = _channels_first(f"x_{split}", arrays[f"x_{split}"], layout, source)
    sample = arrays["x_train"].shape[1:]
    y_kind = np.issubdtype(arrays["y_train"].dtype, np.integer)
    for split in splits[1:]:
        if arrays[f"x_{split}"].shape[1:] != sample:
            raise DataError(
                f"{source}: x_{split} samples have shape {arrays[f'x_{split}'].shape[1:]}; "
                f"expected {sample} like x_train"
            )
        if np.issubdtype(arrays[f"y_{split}"].dtype, np.integer) != y_kind or (
            arrays[f"y_{split}"].shape[1:] != arrays["y_train"].shape[1:]
        ):
            raise DataError(
                f"{source}: y_{split} ({arrays[f'y_{split}'].dtype}, {arrays[f'y_{split}'].shape}) "
                f"does not match y_train ({arrays['y_train'].dtype}, {arrays['y_train'].shape})"
            )
    ys = [arrays[f"y_{split}"] for split in splits]
    if arrays["y_train"].ndim == 2:  # (N, K) float targets: K regression outputs
        if options.task == "classification":
            raise DataError(f"{source}: y_train has shape {arrays['y_train'].shape}; class "
                            "labels are one per sample, (N,)")  # fmt: skip
        ys, classes, note = [np.asarray(y, np.float32) for y in ys], None, None
    else:
        ys, classes, note = targets(ys, options.task, source)
    arrays.update({f"y_{split}": y for split, y in zip(splits, ys, strict=True)})
    return make_dataset(
        Path(source).stem,
        arrays["x_train"],
        arrays["y_train"],
        arrays["x_test"],
        arrays["y_test"],
        x_val=arrays.get("x_val"),
        y_val=arrays.get("y_val"),
        val_fraction=options.val_fraction,
        split_seed=options.split_seed,
        classes=classes,
        notes=(note,) if note else (),
    )
