"""A folder of images, one sub-folder per class (torchvision's ImageFolder layout), read
with Pillow.

    pets/cat/001.png  pets/cat/002.png  pets/dog/001.png ...

A folder holding ``train/`` and ``test/`` (each with the class sub-folders) uses those
splits; otherwise a stratified share is held out as test. Images are scaled to 0..1,
kept grayscale when every image is, else converted to RGB, and resized to the most
common size when sizes differ (recorded in the dataset's notes).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from nas.base import DataError
from nas.data._convert import split_test
from nas.data._dataset import Dataset, make_dataset
from nas.data._options import ReadOptions
from nas.data._readers import FOLDER, check_exists, register_reader, require

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
PIXEL_MAX = 255.0


def _class_files(root: Path) -> dict[str, list[Path]]:
    classes = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        if files:
            classes[folder.name] = files
    return classes


def _open_all(files: list[Path], source: Path):  # type: ignore[no-untyped-def]
    image = require("PIL.Image", "images", str(source))
    opened = []
    for f in files:
        try:
            with image.open(f) as img:
                img.load()
                opened.append(img.copy())
        except Exception as exc:  # Pillow raises UnidentifiedImageError, OSError, ...
            raise DataError(f"{f}: not a readable image ({exc})") from None
    return opened


def load_image_folder(path: str, options: ReadOptions) -> Dataset:
    """Read an image-class folder (or its ``train/`` and ``test/``) into a Dataset."""
    check_exists(path)
    root = Path(path)
    has_splits = (root / "train").is_dir() and (root / "test").is_dir()
    train = _class_files(root / "train" if has_splits else root)
    test = _class_files(root / "test") if has_splits else {}
    where = root / "train" if has_splits else root
    if len(train) < 2:
        found = f"only {next(iter(train))!r}" if train else "none"
        raise DataError(
            f"{where}: an image folder needs one sub-folder of images per class, 2 or more "
            f"classes; found {found}"
        )
    unknown = sorted(set(test) - set(train))
    if unknown:
        raise DataError(f"{root / 'test'}: class {unknown[0]!r} has no training images")
    classes = tuple(train)
    files = [(f, i) for i, c in enumerate(classes) for f in train[c]]
    files += [(f, classes.index(c)) for c in test for f in test[c]]
    images = _open_all([f for f, _ in files], root)
    notes = []
    color = any(img.mode not in ("L", "1", "I", "I;16", "F") for img in images)
    mode = "RGB" if color else "L"
    size, _ = Counter(img.size for img in images).most_common(1)[0]
    if any(img.size != size for img in images):
        notes.append(f"images resized to the most common size {size[0]}x{size[1]}")
    pixels = [np.asarray(img.convert(mode).resize(size), np.float32) / PIXEL_MAX for img in images]
    x = np.stack(pixels)
    x = x[:, None] if mode == "L" else x.transpose(0, 3, 1, 2)  # channels first
    y = np.array([label for _, label in files], np.int64)
    n_train = sum(len(v) for v in train.values()) if has_splits else None
    x_train, y_train, x_test, y_test, held = split_test(x, y, n_train, options)
    return make_dataset(
        root.name, x_train, y_train, x_test, y_test,
        val_fraction=options.val_fraction, split_seed=options.split_seed,
        kind="image", classes=classes, notes=(*notes, *held),
    )  # fmt: skip


register_reader(FOLDER)(load_image_folder)
