"""GPU paths: precisions, device-resident data, pinned workers. Skipped without CUDA (CI has
none); run on a GPU machine with `pytest tests/training/test_gpu.py`."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import optuna
import pytest
import torch

from nas.arch import Architecture
from nas.training import TrainOptions, train_architecture
from tests.conftest import PAPER_CNN, ROOT

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.parametrize("precision", ["32-true", "bf16-mixed", "16-mixed"])
def test_every_precision_trains_on_the_gpu(mnist1d, precision):
    arch = Architecture.from_json(PAPER_CNN.read_text())
    # clipping and a per-step schedule exercise the manual optimization path
    arch = replace(arch, train=replace(arch.train, grad_clip=1.0, schedule="onecycle"))
    result, _ = train_architecture(
        arch, mnist1d, TrainOptions(seed=0, epochs=5, accelerator="gpu", precision=precision)
    )
    assert result.device.startswith("cuda") and result.precision == precision
    assert all(row["train_loss"] == row["train_loss"] for row in result.history)  # no NaN
    assert result.metrics["val_acc"] > 0.3  # well above chance (0.1) after 5 epochs


def test_default_precision_is_bf16_where_supported(mnist1d):
    arch = Architecture.from_json(PAPER_CNN.read_text())
    result, _ = train_architecture(arch, mnist1d, TrainOptions(seed=0, epochs=1))
    assert result.precision == ("bf16-mixed" if torch.cuda.is_bf16_supported() else "32-true")


def test_search_pins_concurrent_trials_to_the_gpu(tmp_path):
    import yaml

    recipe = tmp_path / "r.yaml"
    storage = f"sqlite:///{tmp_path / 's.db'}"
    recipe.write_text(yaml.safe_dump({
        "study": "gpu", "space": str(ROOT / "search_spaces" / "tiny.yaml"), "sampler": "random",
        "pruner": "none", "n_trials": 4, "storage": storage,
    }))  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "nas", "search", str(recipe), "--devices", "0",
         "--trials-per-gpu", "2"], capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    trials = optuna.load_study(study_name="gpu", storage=storage).trials
    assert len(trials) == 4
    assert {t.user_attrs["cuda_visible_devices"] for t in trials} == {"0"}
    assert {t.user_attrs["device"] for t in trials} == {"cuda"}
    assert len({t.user_attrs["worker"] for t in trials}) == 2
