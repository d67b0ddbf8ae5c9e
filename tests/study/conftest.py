from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.conftest import ROOT, SPACES


@pytest.fixture
def make_recipe(tmp_path):
    """Write a recipe (tiny space, SQLite store in tmp_path) and return its path."""

    def make(**overrides) -> Path:
        doc = {
            "study": "t",
            "space": str(SPACES / "tiny.yaml"),
            "data": "mnist1d",
            "sampler": {"name": "tpe", "options": {"n_startup_trials": 2}},
            "pruner": "none",
            "n_trials": 3,
            "seed": 0,
            "storage": f"sqlite:///{tmp_path / 'store.db'}",
            "artifacts": {"dir": str(tmp_path / "artifacts")},  # a PostgreSQL store's too
        }
        doc.update(overrides)
        path = tmp_path / "recipe.yaml"
        path.write_text(yaml.safe_dump(doc))
        return path

    return make


@pytest.fixture
def short_signals(tmp_path):
    """A 1-sample-long signal dataset: a kernel-2 conv cannot be built on it."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 1)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    path = tmp_path / "short.npz"
    np.savez(path, x_train=x[:240], y_train=y[:240], x_test=x[240:], y_test=y[240:])
    space = tmp_path / "short.yaml"
    space.write_text(
        "stages:\n"
        "  - name: feature\n    n_blocks: 1\n    blocks: {conv: {channels: 4, kernel: [2, 3]}}\n"
        "training:\n  optimizer: sgd\n  lr: [0.1, 1.0e12]\n  epochs: 2\n  batch_size: 64\n  patience: 0\n"
    )
    return path, space




def start_worker(recipe: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    """``nas worker RECIPE ARGS`` in a subprocess, output captured."""
    return subprocess.Popen(
        [sys.executable, "-m", "nas", "worker", str(recipe), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )  # fmt: skip


def finish(processes: list[subprocess.Popen], timeout: float = 240) -> list[tuple[str, str]]:
    """Wait for every process; fail with its output if one did not exit 0."""
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=timeout)
        assert process.returncode == 0, f"exit {process.returncode}\n{out}\n{err}"
        outputs.append((out, err))
    return outputs
