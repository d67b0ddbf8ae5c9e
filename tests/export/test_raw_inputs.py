"""A deployed model takes raw inputs and returns targets in their own units: the data's
standardization (training split statistics) is inside model.onnx, model.pt and model.py."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml

from nas.data import ReadOptions, load_dataset, raw_inputs
from nas.export import ExportRequest, export_trial, load
from nas.study import load_recipe, prepare_search, run_search
from tests.data.formats import write_table


@pytest.fixture(scope="module")
def regression_bundle(tmp_path_factory):
    root = tmp_path_factory.mktemp("raw")
    write_table(root / "houses.csv", n=120, regression=True)
    (root / "space.yaml").write_text(
        "stages:\n  - name: head\n    n_blocks: 1\n    blocks: {dense: {units: 16}}\n"
        "readout: flatten\ntraining: {lr: 0.01, batch_size: 16, epochs: 30, patience: 0}\n"
    )
    recipe = {"study": "raw", "space": "space.yaml", "data": "houses.csv", "target": "y",
              "n_trials": 1, "pruner": "none", "validation": "holdout",
              "storage": f"sqlite:///{root / 'raw.db'}"}  # fmt: skip
    (root / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    prepared = prepare_search(load_recipe(root / "recipe.yaml"))
    run_search(prepared.recipe, prepared=prepared)
    out = root / "bundle"
    info, _ = export_trial(ExportRequest(storage=f"sqlite:///{root / 'raw.db'}", out=out))
    data = load_dataset(str(root / "houses.csv"), options=ReadOptions(target="y"))
    return out, info, data


def test_the_bundle_takes_raw_features_and_predicts_raw_targets(regression_bundle):
    out, info, data = regression_bundle
    stored = json.loads((out / "bundle.json").read_text())
    assert stored["raw_inputs"] is True and stored["preprocessing"]["target"]["std"][0] > 0.5
    x_raw = raw_inputs(data.x_test, data.preprocessing)
    assert abs(x_raw[:, 0, 0].std() - 100) < 40  # feature "a" is ~N(0, 100) in the file
    import onnxruntime

    session = onnxruntime.InferenceSession(str(out / "model.onnx"))
    predicted = session.run(None, {"input": x_raw})[0].reshape(-1)
    rmse = float(np.sqrt(np.mean((predicted - data.y_test) ** 2)))
    assert rmse == pytest.approx(info.test_metrics["rmse"], rel=1e-3)
    assert rmse < 0.5 * data.y_test.std()  # learned: y = 2.5 a + noise, in the target's units
    with torch.no_grad():
        loaded = load(out)(torch.from_numpy(x_raw)).numpy().reshape(-1)
        scripted = torch.jit.load(str(out / "model.pt"))(torch.from_numpy(x_raw)).numpy()
    np.testing.assert_allclose(loaded, predicted, atol=1e-4)
    np.testing.assert_allclose(scripted.reshape(-1), predicted, atol=1e-4)


def test_the_standalone_code_takes_raw_inputs_too(regression_bundle):
    out, _, data = regression_bundle
    x_raw = raw_inputs(data.x_test[:3], data.preprocessing)
    np.save(out / "x.npy", x_raw)
    code = ("import sys, json, numpy as np, torch; sys.path.insert(0, '.'); from model import load; "
            "print(json.dumps(load()(torch.from_numpy(np.load('x.npy'))).reshape(-1).tolist()))")  # fmt: skip
    run = subprocess.run([sys.executable, "-c", code], cwd=out, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with torch.no_grad():
        expected = load(out)(torch.from_numpy(x_raw)).numpy().reshape(-1)
    np.testing.assert_allclose(json.loads(run.stdout), expected, atol=1e-5)


def test_the_model_card_says_to_give_raw_inputs(regression_bundle):
    out, _, _ = regression_bundle
    card = (out / "README.md").read_text()
    assert "Give the model raw inputs" in card and "targets' own units" in card
    assert ", 1 output |" in card  # not "1 outputs"
