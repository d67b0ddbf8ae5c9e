"""Writers of small datasets in the field's formats, for the reader tests (no downloads)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def separable_series(n: int, length: int = 16, channels: int = 1, seed: int = 0):
    """``n`` series (C, L) of two classes ("up"/"down" trends) and their string labels."""
    rng = np.random.default_rng(seed)
    labels = np.array(["up", "down"] * (n // 2) + ["up"] * (n % 2))
    t = np.linspace(-1, 1, length)
    series = [
        np.stack([(1 if y == "up" else -1) * t * 3 + rng.normal(0, 0.1, length)] * channels)
        for y in labels
    ]
    return series, labels


def write_ts(
    path: Path, series: Sequence[np.ndarray], labels: Sequence[str], *, missing: bool = False
) -> Path:
    """A UCR/UEA ``.ts`` file: one line per case, dimensions separated by ':'."""
    equal = len({s.shape[-1] for s in series}) == 1
    lines = [
        "@problemName test",
        "@timeStamps false",
        f"@missing {'true' if missing else 'false'}",
        f"@univariate {'true' if series[0].shape[0] == 1 else 'false'}",
        f"@equalLength {'true' if equal else 'false'}",
        f"@classLabel true {' '.join(sorted(set(map(str, labels))))}",
        "@data",
    ]
    for i, (s, y) in enumerate(zip(series, labels, strict=True)):
        dims = [",".join(f"{v:.5f}" for v in channel) for channel in s]
        if missing and i == 0:
            dims[0] = "?," + dims[0].split(",", 1)[1]
        lines.append(":".join(dims) + f":{y}")
    path.write_text("\n".join(lines) + "\n")
    return path


def write_tsv(path: Path, series: Sequence[np.ndarray], labels: Sequence[int]) -> Path:
    """A UCR 2018 ``.tsv`` file: label first, shorter series padded with NaN."""
    longest = max(s.shape[-1] for s in series)
    rows = np.full((len(series), longest + 1), np.nan)
    for i, (s, y) in enumerate(zip(series, labels, strict=True)):
        rows[i, 0] = y
        rows[i, 1 : 1 + s.shape[-1]] = s[0]
    np.savetxt(path, rows, delimiter="\t", fmt="%.6g")
    return path


def write_table(path: Path, n: int = 60, seed: int = 0, regression: bool = False) -> Path:
    """A CSV/Parquet table: two numeric features, one categorical, a target column."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    a = rng.normal(0, 1, n)
    colour = rng.choice(["red", "green", "blue"], n)
    frame = pd.DataFrame({"a": a * 100, "b": rng.normal(5, 2, n), "colour": colour})
    frame["y"] = a * 2.5 + 0.1 * rng.normal(size=n) if regression else np.where(
        a > 0, "big", "small"
    )  # fmt: skip
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)
    return path


def write_image_folder(root: Path, classes: Sequence[str], per_class: int = 6, size=(8, 8)):
    """``root/<class>/<i>.png``: grayscale images, class k brighter in row k."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for k, name in enumerate(classes):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = rng.integers(0, 40, size[::-1]).astype(np.uint8)
            pixels[k % size[1]] = 250
            Image.fromarray(pixels, mode="L").save(folder / f"{i}.png")
    return root


def cv_search(
    root: Path,
    name: str,
    space: str,
    length: int,
    folds: int = 3,
    n_trials: int = 1,
    retrain_duplicates: bool = False,
):
    """A ``n_trials``-trial ``folds``-fold search of ``space`` (YAML text) on separable
    ``.ts`` series of ``length`` (30 train, 10 test) under ``root``; returns (store URL,
    study). ``retrain_duplicates``: trials of a space with few points each train, with
    their own seeds (else repeats are pruned)."""
    import yaml

    from nas.study import load_recipe, prepare_search, run_search

    (root / "space.yaml").write_text(space)
    series, labels = separable_series(30, length=length)
    write_ts(root / "toy_TRAIN.ts", series, labels)
    test, test_labels = separable_series(10, length=length, seed=1)
    write_ts(root / "toy_TEST.ts", test, test_labels)
    store = f"sqlite:///{root / f'{name}.db'}"
    recipe = {"study": name, "space": "space.yaml", "data": "toy_TRAIN.ts",
              "validation": {"folds": folds}, "n_trials": n_trials, "pruner": "none",
              "storage": store, "search": {"retrain_duplicates": retrain_duplicates}}  # fmt: skip
    (root / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    prepared = prepare_search(load_recipe(root / "recipe.yaml"))
    run_search(prepared.recipe, prepared=prepared)
    return store, prepared.study
