"""What a study was created from, so that joining it with something else is refused.

A study records the fingerprint of its data (name, shape, dtype and a content hash that
ignores sample order, so another seed's train/validation split is the same data), of its
search space (the YAML text's hash) and of its objectives. A search or worker that joins
the study with a different one is refused before anything is written: appending trials of
other data to a study would make ``nas best`` describe a model of the wrong data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from nas.data import Dataset
    from nas.study._recipe import Objective

HASH_CHARS = 16  # of a SHA-256 hex digest: collisions are not a concern at this length


def fingerprint(dataset: Dataset, space_text: str, objectives: Sequence[Objective]) -> dict:
    """The fingerprint a study stores (JSON-ready)."""
    return {
        "data": {
            "name": dataset.name,
            "samples": dataset.n_pool + len(dataset.x_test),
            "input": list(dataset.input_shape),
            "dtype": str(dataset.x_train.dtype),
            "task": dataset.task,
            "sha256": data_hash(dataset),
        },
        "space": _sha(space_text.encode()),
        "objectives": [f"{o.metric} ({o.direction})" for o in objectives],
    }


def data_hash(dataset: Dataset) -> str:
    """A hash of every (sample, target) pair of the dataset, independent of their order
    and of how they are split into train, validation and test."""
    rows: list[bytes] = []
    for x, y in (
        (dataset.x_train, dataset.y_train),
        (dataset.x_val, dataset.y_val),
        (dataset.x_test, dataset.y_test),
    ):
        rows += _row_digests(x, y)
    return _sha(b"".join(sorted(rows)))


def _row_digests(x: np.ndarray, y: np.ndarray) -> list[bytes]:
    import numpy as np

    xs = np.ascontiguousarray(x).reshape(len(x), -1)
    ys = np.ascontiguousarray(y).reshape(len(y), -1)
    return [
        hashlib.blake2b(a.tobytes() + b.tobytes(), digest_size=16).digest()
        for a, b in zip(xs, ys, strict=True)
    ]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_CHARS]


def differences(stored: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What differs between two fingerprints, one phrase each (empty: the same)."""
    found = []
    old_data, new_data = stored.get("data", {}), new.get("data", {})
    if old_data != new_data:
        found.append(f"data {_describe(old_data)} (now {_describe(new_data)})")
    if stored.get("space") != new.get("space"):
        found.append(f"search space {stored.get('space')} (now {new.get('space')})")
    if stored.get("objectives") != new.get("objectives"):
        old, now = ", ".join(stored.get("objectives", [])), ", ".join(new.get("objectives", []))
        found.append(f"objectives {old} (now {now})")
    return found


def _describe(data: Mapping[str, Any]) -> str:
    shape = "x".join(str(d) for d in data.get("input", []))
    return (
        f"{data.get('name')}: {data.get('samples')} samples of {shape} {data.get('dtype')}, "
        f"{data.get('task')}, sha256 {data.get('sha256')}"
    )
