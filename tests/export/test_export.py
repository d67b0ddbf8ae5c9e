from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from nas import ExportError
from nas.arch import Architecture, Block, Stage
from nas.blocks import (
    NORMALIZATIONS,
    VECTOR,
    ConvConfig,
    DenseConfig,
    RecurrentConfig,
    get_block,
    list_activations,
    list_blocks,
    list_readouts,
)
from nas.builder import build_model
from nas.export import ONNX_TOLERANCE, export_onnx, load, standalone_source

INPUTS = {"1d": (2, 24), "2d": (1, 8, 8)}


def _arch(block_type: str, readout: str = "flatten") -> Architecture:
    family = get_block(block_type)
    block = Block(block_type, family.config())
    if family.consumes == VECTOR or family.final:
        return Architecture(stages=(Stage("head", (block,)),), readout=readout)
    return Architecture(stages=(Stage("feature", (block, block)),), readout=readout)


def _cases():
    for block_type in list_blocks():
        for dims in INPUTS:
            if (block_type, dims) != ("rocket", "2d"):  # 1-D only (tests/blocks)
                yield block_type, dims, _arch(block_type)
    for cell in ("lstm", "gru", "rnn"):  # every recurrent cell, bidirectional and stacked
        arch = Architecture(stages=(Stage("f", (Block("recurrent", RecurrentConfig(cell, 6, 2, True)),)),))
        yield f"recurrent-{cell}", "1d", arch
    for readout in list_readouts():
        yield f"conv-{readout}", "2d", _arch("conv", readout)
    for activation in list_activations():  # a new activation is exported (or fails here)
        for norm in NORMALIZATIONS:
            conv = Block("conv", ConvConfig(4, activation=activation, normalization=norm, pooling="avg"))
            dense = Block("dense", DenseConfig(8, activation=activation, normalization=norm))
            arch = Architecture(stages=(Stage("f", (conv,)), Stage("h", (dense,))))
            yield f"{activation}-{norm}", "1d", arch


CASES = list(_cases())


@pytest.mark.parametrize(("name", "dims", "arch"), CASES, ids=[f"{n}-{d}" for n, d, _ in CASES])
def test_onnx_matches_pytorch_for_every_block_family(tmp_path, name, dims, arch):
    torch.manual_seed(0)
    model = build_model(arch, INPUTS[dims], 5).eval()
    diff = export_onnx(model, torch.randn(16, *INPUTS[dims]), tmp_path / "m.onnx")
    assert diff <= ONNX_TOLERANCE


def test_a_module_built_without_layer_fails_export_naming_itself():
    model = build_model(_arch("conv"), INPUTS["1d"], 5)
    model.layers["output"] = torch.nn.Linear(32 * 24, 5)  # not built through layer()
    with pytest.raises(TypeError, match=r"Linear was not built through nas.blocks.layer\(\)"):
        standalone_source(model, "x")
    model = build_model(_arch("conv"), INPUTS["1d"], 5)
    model.layers["feature_0_conv"][0] = torch.nn.Conv1d(2, 32, 3, padding=1)  # replaced later
    with pytest.raises(TypeError, match="Sequential: a submodule was replaced after it was built"):
        standalone_source(model, "x")


@pytest.mark.parametrize(("name", "dims", "arch"), CASES, ids=[f"{n}-{d}" for n, d, _ in CASES])
def test_generated_code_builds_the_same_network(name, dims, arch):
    torch.manual_seed(0)
    model = build_model(arch, INPUTS[dims], 5).eval()
    namespace = {"__file__": "model.py", "__name__": "model"}
    exec(compile(standalone_source(model, name), "model.py", "exec"), namespace)
    twin = namespace["build"]()
    twin.load_state_dict(model.state_dict())  # same module tree and names
    x = torch.randn(3, *INPUTS[dims])
    assert torch.equal(twin.eval()(x), model(x))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """A tiny study with weights artifacts, exported (best trial) once for these tests."""
    import optuna
    import yaml

    from nas.export import ExportRequest, export_trial
    from nas.study import load_recipe, prepare_search, run_search
    from tests.conftest import SPACES

    root = tmp_path_factory.mktemp("export")
    recipe = root / "r.yaml"
    storage = f"sqlite:///{root / 's.db'}"
    recipe.write_text(yaml.safe_dump({"study": "e", "space": str(SPACES / "tiny.yaml"), "sampler": "random",
                                      "pruner": "none", "n_trials": 1, "storage": storage}))
    prepared = prepare_search(load_recipe(recipe))
    prepared.study.enqueue_trial({
        "feature.n_blocks": 2, "feature.0.type": "conv", "feature.0.conv.channels": 8,
        "feature.0.conv.kernel": 5, "feature.0.conv.stride": 2, "feature.0.conv.pooling": "none",
        "feature.1.type": "recurrent", "feature.1.recurrent.cell": "gru",
        "feature.1.recurrent.bidirectional": True, "head.n_blocks": 1, "head.0.dense.activation": "gelu",
        "readout": "last", "optimizer": "adam", "lr": 0.01, "schedule": "constant"})
    run_search(load_recipe(recipe), prepared=prepared)
    out = root / "bundle"
    info, trial = export_trial(ExportRequest(storage=storage, out=out))
    study = optuna.load_study(study_name="e", storage=storage)
    return out, info, trial, study, storage


def test_bundle_holds_every_file_and_reloads(bundle, mnist1d):
    out, info, trial, _, _ = bundle
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md", "architecture.json", "bundle.json", "model.onnx", "model.pt", "model.py",
        "weights.safetensors"]
    assert Architecture.from_json((out / "architecture.json").read_text()).to_dict() == trial.user_attrs["architecture"]
    model = load(out)
    x = torch.from_numpy(mnist1d.x_val[:64])
    from nas.training import evaluate

    val = evaluate(model, torch.from_numpy(mnist1d.x_val), torch.from_numpy(mnist1d.y_val), "classification")
    assert val["acc"] == pytest.approx(trial.value)  # the search's weights, not new ones
    scripted = torch.jit.load(str(out / "model.pt"))
    assert torch.allclose(scripted(x), model(x), atol=1e-5)
    stored = json.loads((out / "bundle.json").read_text())
    assert stored["test_metrics"]["acc"] == pytest.approx(info.test_metrics["acc"])
    assert stored["onnx_max_abs_diff"] <= ONNX_TOLERANCE


def test_model_card_shows_test_metric_and_how_to_retrain(bundle):
    out, info, trial, _, _ = bundle
    card = (out / "README.md").read_text()
    assert f"| **test acc** | **{info.test_metrics['acc']:.4f}** |" in card
    assert "nas train --space" in card and f"--seed {trial.user_attrs['seed']}" in card
    assert "--retrain" in card and f"{trial.user_attrs['n_params']:,}" in card


def test_standalone_model_py_runs_where_nas_cannot_be_imported(bundle, tmp_path, mnist1d):
    out, _, _, _, _ = bundle
    x = mnist1d.x_test[:32]
    np.save(tmp_path / "x.npy", x)
    probe = (
        "import sys; sys.modules['nas'] = None\n"  # any `import nas` now raises ImportError
        "import numpy as np, torch\n"
        "from model import load\n"
        f"y = load()(torch.from_numpy(np.load({str(tmp_path / 'x.npy')!r})))\n"
        f"np.save({str(tmp_path / 'y.npy')!r}, y.detach().numpy())\n"
        "assert 'nas' not in [m.split('.')[0] for m in sys.modules if sys.modules[m] is not None]\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], cwd=out, capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert run.returncode == 0, run.stderr
    expected = load(out)(torch.from_numpy(x)).detach().numpy()
    assert np.allclose(np.load(tmp_path / "y.npy"), expected, atol=1e-6)


def test_export_without_weights_needs_retrain(tmp_path):
    import yaml

    from nas.export import ExportRequest, export_trial
    from nas.study import load_recipe, run_search
    from tests.conftest import SPACES

    recipe = tmp_path / "r.yaml"
    storage = f"sqlite:///{tmp_path / 's.db'}"
    recipe.write_text(yaml.safe_dump({"study": "n", "space": str(SPACES / "tiny.yaml"), "sampler": "random",
                                      "pruner": "none", "n_trials": 1, "storage": storage,
                                      "artifacts": {"weights": False}}))
    run_search(load_recipe(recipe))
    with pytest.raises(ExportError, match="has no stored weights .* add --retrain"):
        export_trial(ExportRequest(storage=storage, out=tmp_path / "b"))
    info, _ = export_trial(ExportRequest(storage=storage, out=tmp_path / "b", retrain=True, formats=("python",)))
    assert info.source["retrained"] and (tmp_path / "b" / "model.py").exists()
    assert not (tmp_path / "b" / "model.onnx").exists()


def test_pick_chooses_from_the_pareto_front():
    import optuna

    from nas.export import select_trial

    study = optuna.create_study(directions=["maximize", "minimize"])
    study.set_metric_names(["val_acc", "params"])
    for acc, params in ((0.90, 1000), (0.95, 5000), (0.97, 90000), (0.80, 8000)):
        trial = study.ask()
        trial.set_user_attr("n_params", params)
        study.tell(trial, (acc, params))
    assert select_trial(study, pick="val_acc").number == 2
    assert select_trial(study, pick="val_acc,params<=50000").number == 1
    assert select_trial(study, pick="params").number == 0
    with pytest.raises(ExportError, match="several objectives; choose from its Pareto front \\(trials 0, 1, 2\\)"):
        select_trial(study)
    with pytest.raises(ExportError, match="no Pareto-front trial is within the limits"):
        select_trial(study, pick="val_acc,params<=10")
    with pytest.raises(ExportError, match="cannot read 'params<10'"):
        select_trial(study, pick="val_acc,params<10")


def test_export_command_line(bundle, tmp_path):
    _, _, trial, _, storage = bundle
    run = subprocess.run(
        [sys.executable, "-c", "from nas.cli import main; main()", "export", "--storage", storage,
         "--trial", str(trial.number), "--out", str(tmp_path / "cli"), "--formats", "onnx,python"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert f"Exported trial #{trial.number} of e to" in run.stdout and "test acc:" in run.stdout
    assert "ONNX vs PyTorch max abs diff" in run.stdout
    bad = subprocess.run(
        [sys.executable, "-c", "from nas.cli import main; main()", "export", "--storage", storage,
         "--trial", "0", "--pick", "val_acc", "--out", str(tmp_path / "x")],
        capture_output=True, text=True, env=os.environ.copy(), timeout=300,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error: give one of --trial N, --best or --pick")


def test_bad_export_requests_fail_before_any_work(bundle, tmp_path):
    from nas.export import ExportRequest, export_trial

    _, _, _, _, storage = bundle
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("keep me too")
    cases = [
        (ExportRequest(storage=storage, out=tmp_path / "b", formats=("onnx", "tflite")), "unknown format 'tflite'"),
        (ExportRequest(storage=storage, out=a_file), "exists and is not a folder"),
        (ExportRequest(storage=storage, out=busy), "folder is not empty and holds no nas bundle"),
    ]
    for request, message in cases:
        with pytest.raises(ExportError, match=message):
            export_trial(request)
    assert a_file.read_text() == "keep me" and sorted(p.name for p in busy.iterdir()) == ["notes.txt"]
    assert not (tmp_path / "b").exists()


def test_exporting_again_over_a_bundle_replaces_it(bundle, tmp_path):
    import shutil

    from nas.export import ExportRequest, export_trial

    original, _, trial, _, storage = bundle
    out = tmp_path / "again"
    shutil.copytree(original, out)
    _, again = export_trial(ExportRequest(storage=storage, out=out, formats=("python",)))
    assert again.number == trial.number
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md", "architecture.json", "bundle.json", "model.py", "weights.safetensors"]
