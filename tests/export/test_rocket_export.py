"""A cross-validated search of the rocket block, exported as a retrained model and as the
fold ensemble: the fitted biases and ridge weights travel in every format."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from nas.export import ExportRequest, export_trial, load
from nas.study import TrialRecord
from tests.data.formats import cv_search

LENGTH = 24


@pytest.fixture(scope="module")
def rocket_study(tmp_path_factory):
    root = tmp_path_factory.mktemp("rocket")
    space = (
        "stages:\n  - name: stem\n    n_blocks: 1\n"
        "    blocks: {rocket: {features: 840}}\n"
        "  - name: feature\n    n_blocks: 1\n    blocks: {conv: {channels: 4}}\n"
        "training: {lr: [0.01, 0.02], epochs: 3}\n"
    )
    store, study = cv_search(root, "rk", space, length=LENGTH)
    return root, store, study


def test_the_trial_is_rocket_alone_solved_in_closed_form(rocket_study):
    _, _, study = rocket_study
    trial = study.trials[0]
    assert trial.params == {}  # the feature stage and the lr choice were not sampled
    record = TrialRecord.read(trial)
    assert record.summary.startswith("rocket840") and record.summary.endswith("ridge output")
    assert trial.value == 1.0 and len(record.folds) == 3


@pytest.mark.parametrize("flag", ["retrain", "ensemble"])
def test_exports_reproduce_the_model_in_every_format(rocket_study, flag):
    root, store, _ = rocket_study
    out = root / flag
    info, _ = export_trial(ExportRequest(storage=store, out=out, **{flag: True}))
    assert info.max_abs_diff["onnx"] < 1e-4 and info.max_abs_diff["torchscript"] < 1e-4
    assert info.test_metrics["acc"] == 1.0
    model = load(out)
    biases = [b for name, b in model.named_buffers() if "rocket" in name and "bias" in name]
    assert biases and all(b.abs().sum() > 0 for b in biases)  # fitted, not the zeros
    x = torch.randn(4, 1, LENGTH)
    import onnxruntime

    session = onnxruntime.InferenceSession(str(out / "model.onnx"))
    with torch.no_grad():
        expected = model(x).numpy()
    np.testing.assert_allclose(session.run(None, {"input": x.numpy()})[0], expected, atol=1e-4)
    code = (
        "import torch, sys, json; sys.path.insert(0, '.'); from model import load; "
        f"torch.manual_seed(0); x = torch.randn(4, 1, {LENGTH}); "
        "print(json.dumps(load()(x).tolist()))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=out, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    torch.manual_seed(0)
    with torch.no_grad():
        mine = model(torch.randn(4, 1, LENGTH)).numpy()
    np.testing.assert_allclose(np.array(json.loads(run.stdout)), mine, atol=1e-5)
