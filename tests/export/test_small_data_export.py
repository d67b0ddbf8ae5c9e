"""Export after a cross-validated search: a checked retrain with the folds' budget, and
the fold models as one averaging ensemble (ONNX, TorchScript and model.py included)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from nas import ExportError
from nas.export import (
    ExportRequest,
    check_not_collapsed,
    export_trial,
    load,
    retrain_passes,
)
from nas.study import TrialRecord
from tests.data.formats import cv_search


@pytest.fixture(scope="module")
def cv_study(tmp_path_factory):
    root = tmp_path_factory.mktemp("cv")
    space = (
        "stages:\n  - name: feature\n    n_blocks: 1\n"
        "    blocks: {conv: {channels: 4, kernel: 3, normalization: batch}}\n"
        "readout: global_avg\n"
        "training: {lr: 0.02, batch_size: 8, epochs: 6, min_steps: 40, patience: 3}\n"
    )
    store, study = cv_search(root, "cv", space, length=12)
    return root, store, study


def test_ensemble_export_is_verified_in_every_format_and_reloads(cv_study):
    root, store, _ = cv_study
    out = root / "ensemble"
    info, _ = export_trial(ExportRequest(storage=store, out=out, ensemble=True))
    assert info.ensemble == 3 and info.classes == ["down", "up"]
    assert info.max_abs_diff["onnx"] < 1e-4 and info.max_abs_diff["torchscript"] < 1e-4
    assert "averaging ensemble of the 3 models" in (out / "README.md").read_text()
    assert "Output index → class: 0: down, 1: up" in (out / "README.md").read_text()
    stored = json.loads((out / "bundle.json").read_text())
    assert stored["preprocessing"]["standardize"]["per"] == "channel"
    model = load(out)
    x = torch.randn(4, 1, 12)
    import onnxruntime

    session = onnxruntime.InferenceSession(str(out / "model.onnx"))
    onnx_out = session.run(None, {"input": x.numpy()})[0]
    with torch.no_grad():
        np.testing.assert_allclose(onnx_out, model(x).numpy(), atol=1e-4)
    # the standalone code builds the same ensemble, without nas
    code = ("import torch, sys; sys.path.insert(0, '.'); from model import load; "
            "print(load()(torch.ones(2, 1, 12)).tolist())")  # fmt: skip
    run = subprocess.run([sys.executable, "-c", code], cwd=out, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with torch.no_grad():
        expected = model(torch.ones(2, 1, 12))
    np.testing.assert_allclose(np.array(json.loads(run.stdout)), expected.numpy(), atol=1e-5)


def test_retrain_uses_the_mean_of_the_folds_passes(cv_study):
    root, store, study = cv_study
    record = TrialRecord.read(study.trials[0])
    folds = [f["best_passes"] for f in record.folds]
    assert retrain_passes(record, None) == max(1, round(sum(folds) / len(folds)))
    info, _ = export_trial(ExportRequest(storage=store, out=root / "retrained", retrain=True))
    assert f"for {retrain_passes(record, None)} passes" in info.source["model"]
    assert "retrained on all 30 training samples" in info.source["model"]


def test_a_collapsed_retrain_is_refused_in_one_line(cv_study):
    from nas.data import load_dataset

    root, _, study = cv_study
    data = load_dataset(str(root / "toy_TRAIN.ts"))

    class OneClass(torch.nn.Module):
        def forward(self, x):
            return torch.tensor([[0.0, 5.0]]).repeat(len(x), 1)

    record = TrialRecord.read(study.trials[0])
    with pytest.raises(ExportError, match="predicts class 'up' for every training sample"):
        check_not_collapsed(OneClass(), data, record, 0)


def test_a_retrain_that_fits_worse_than_the_estimate_is_refused(cv_study):
    from nas.data import load_dataset

    root, _, _ = cv_study
    data = load_dataset(str(root / "toy_TRAIN.ts"))

    class Coin(torch.nn.Module):  # alternates classes: not collapsed, but no fit either
        def forward(self, x):
            out = torch.zeros(len(x), 2)
            out[torch.arange(len(x)) % 2 == 0, 0] = 1.0
            out[torch.arange(len(x)) % 2 == 1, 1] = 1.0
            return out

    record = TrialRecord(metrics={"val_acc": 0.95})
    with pytest.raises(ExportError, match="below the search's estimate on unseen data"):
        check_not_collapsed(Coin(), data, record, 0)


def test_retrain_and_ensemble_together_are_refused(cv_study, tmp_path):
    _, store, _ = cv_study
    run = subprocess.run([sys.executable, "-m", "nas", "export", "--storage", store, "--out",
                          str(tmp_path / "x"), "--retrain", "--ensemble"],
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 2 and "give one of --retrain" in run.stderr
