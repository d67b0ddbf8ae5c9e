"""``nas export --ensemble-trials N``: several trials' fold models as one weighted
ensemble, chosen on out-of-fold predictions, verified and reloadable in every format."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

import nas.export._trial_ensemble as trial_ensemble_module
from nas import ExportError
from nas.export import ExportRequest, export_trial, load
from nas.export._selection import Selection
from nas.export._trial_ensemble import architecture_kind, ensemble_candidates
from nas.study import TrialRecord, complete_trials
from tests.data.formats import cv_search

LENGTH = 12
SPACE = (
    "stages:\n  - name: feature\n    n_blocks: 1\n"
    "    blocks: {conv: {channels: 4, kernel: 3}, recurrent: {hidden: 4}}\n"
    "readout: global_avg\n"
    "training: {lr: 0.02, batch_size: 8, epochs: 4, min_steps: 20, patience: 3}\n"
)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("trials")
    # two points, four trials: the repeats train too (other seeds), so there are 4 candidates
    store, study = cv_search(root, "te", SPACE, length=LENGTH, n_trials=4, retrain_duplicates=True)
    return root, store, study


def _kinds(study):
    return {t.number: architecture_kind(TrialRecord.read(t).arch(t.number)) for t in study.trials}


def test_candidates_put_the_best_of_each_kind_first(study):
    _, _, found = study
    kinds = _kinds(found)
    assert len(set(kinds.values())) == 2  # the fixture's trials use both blocks
    chosen = ensemble_candidates(complete_trials(found), maximize=True, n=2)
    assert {kinds[t.number] for t, _ in chosen} == set(kinds.values())
    ranked = sorted(found.trials, key=lambda t: (-t.value, t.number))
    assert chosen[0][0].number == ranked[0].number


def test_selection_over_real_trials_is_never_worse_than_the_best_one(study, tmp_path):
    _, store, _ = study
    info, trial = export_trial(ExportRequest(storage=store, out=tmp_path, ensemble_trials=3))
    weights = {int(n): w for n, w in info.source["ensemble_trials"].items()}
    assert sum(weights.values()) == pytest.approx(1.0)
    assert trial.number == max(weights, key=lambda n: (weights[n], -n))  # the heaviest
    assert info.ensemble == 3 * len(weights)  # each chosen trial's 3 fold models
    assert info.member_weights == pytest.approx([w / 3 for w in weights.values() for _ in range(3)])
    model = info.source["model"]
    assert model.startswith("weighted ensemble of trials #") and "of 3 candidates" in model
    assert "(logits temperature-scaled)" in model
    assert set(info.source["temperatures"]) == set(info.source["ensemble_trials"])
    assert all(1e-3 <= t <= 1e3 for t in info.source["temperatures"].values())
    losses = info.source["out_of_fold_loss"]
    assert len(losses) == 4  # the ensemble's and each of the 3 candidates'
    assert losses["ensemble"] <= min(v for k, v in losses.items() if k != "ensemble")
    assert load(tmp_path).weights == pytest.approx(info.member_weights)


@pytest.fixture(scope="module")
def mixed_bundle(study, tmp_path_factory):
    """An export whose selection (forced here) weighs a conv and a recurrent trial."""
    _, store, found = study
    kinds = _kinds(found)
    first = next(n for n, k in kinds.items() if k == ("conv",))
    second = next(n for n, k in kinds.items() if k == ("recurrent",))

    def forced(predictions, y, task):
        assert {first, second} <= set(predictions)
        return Selection({second: 0.75, first: 0.25}, 0.1, {n: 0.2 for n in predictions})

    out = tmp_path_factory.mktemp("mixed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(trial_ensemble_module, "select_ensemble", forced)
        info, _ = export_trial(ExportRequest(storage=store, out=out, ensemble_trials=4))
    return out, info


def test_an_ensemble_of_two_architectures_is_verified_and_reloads(mixed_bundle):
    out, info = mixed_bundle
    assert info.ensemble == 6 and info.member_architectures == [0, 0, 0, 1, 1, 1]
    assert info.member_weights == pytest.approx([0.25] * 3 + [1 / 12] * 3)
    assert "architectures.json" in info.files
    stored = json.loads((out / "architectures.json").read_text())
    assert [s["stages"][0]["blocks"][0]["type"] for s in stored] == ["recurrent", "conv"]
    assert info.max_abs_diff["onnx"] < 1e-4 and info.max_abs_diff["torchscript"] < 1e-4
    card = (out / "README.md").read_text()
    assert "weighted ensemble of trials" in card and "(0.75)" in card
    model = load(out)
    x = torch.randn(5, 1, LENGTH)
    with torch.no_grad():
        expected = model(x)
        members = torch.stack([m(x).softmax(-1) for m in model.members])
    weights = torch.tensor(info.member_weights).view(-1, 1, 1)
    torch.testing.assert_close(expected.exp(), (members * weights).sum(0))
    import onnxruntime

    session = onnxruntime.InferenceSession(str(out / "model.onnx"))
    np.testing.assert_allclose(session.run(None, {"input": x.numpy()})[0], expected, atol=1e-4)
    code = ("import torch, sys; sys.path.insert(0, '.'); from model import load; "
            "print(load()(torch.ones(2, 1, 12)).tolist())")  # fmt: skip
    run = subprocess.run([sys.executable, "-c", code], cwd=out, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with torch.no_grad():
        np.testing.assert_allclose(
            np.array(json.loads(run.stdout)), model(torch.ones(2, 1, 12)).numpy(), atol=1e-5
        )
    source = (out / "model.py").read_text()
    assert "def build_member_0():" in source and "def build_member_1():" in source


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"member_architectures": [0, 0, 0, 1, 1, 2]}, "index 2, but architectures.json holds 2"),
        ({"member_architectures": [0, 1]}, "2 entries for 6 members"),
        ({"member_weights": [0.5, 0.5]}, "2 weights for 6 members"),
        ({"member_weights": [2.0] * 6}, "member_weights: expected null or a list of weights"),
    ],
)
def test_a_tampered_ensemble_bundle_is_refused_in_one_line(mixed_bundle, tmp_path, edit, message):
    import shutil

    out, _ = mixed_bundle
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    info = json.loads((copy / "bundle.json").read_text())
    (copy / "bundle.json").write_text(json.dumps({**info, **edit}))
    with pytest.raises(ExportError, match=message):
        load(copy)


def test_a_missing_architectures_file_is_named(mixed_bundle, tmp_path):
    import shutil

    out, _ = mixed_bundle
    shutil.copytree(out, tmp_path / "copy")
    (tmp_path / "copy" / "architectures.json").unlink()
    with pytest.raises(ExportError, match=r"architectures.json: missing"):
        load(tmp_path / "copy")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--ensemble-trials", "1"], "--ensemble-trials 1: give 2 or more candidate trials"),
        (["--ensemble-trials", "3", "--retrain"], "give one of --retrain, --ensemble or"),
        (["--ensemble-trials", "3", "--trial", "0"], "drop --trial and --pick"),
    ],
)
def test_bad_requests_get_one_line_and_write_nothing(study, tmp_path, flags, message):
    _, store, _ = study
    out = tmp_path / "x"
    run = subprocess.run([sys.executable, "-m", "nas", "export", "--storage", store, "--out",
                          str(out), *flags], capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 2 and message in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and not out.exists()


def test_a_study_with_one_complete_trial_cannot_ensemble_trials(tmp_path):
    store, _ = cv_search(tmp_path, "one", SPACE, length=LENGTH)
    with pytest.raises(ExportError, match="has 1 complete trial"):
        export_trial(ExportRequest(storage=store, out=tmp_path / "x", ensemble_trials=2))


def test_the_command_names_the_trials_it_exported(study, tmp_path):
    _, store, _ = study
    run = subprocess.run([sys.executable, "-m", "nas", "export", "--storage", store,
                          "--ensemble-trials", "2", "--out", str(tmp_path / "b")],
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, run.stderr
    info = json.loads((tmp_path / "b" / "bundle.json").read_text())
    named = ", ".join(f"#{n}" for n in info["source"]["ensemble_trials"])
    assert f"Exported an ensemble of trials {named} of te to" in run.stdout
    assert "weighted ensemble of trials" in run.stdout


def test_regression_trials_are_averaged_on_squared_error_without_temperatures(tmp_path):
    import yaml

    from nas.study import load_recipe, prepare_search, run_search
    from tests.data.formats import write_table

    write_table(tmp_path / "houses.csv", n=90, regression=True)
    (tmp_path / "space.yaml").write_text(
        "stages:\n  - name: head\n    n_blocks: [1, 2]\n    blocks: {dense: {units: [8, 16]}}\n"
        "readout: flatten\ntraining: {lr: 0.01, batch_size: 16, epochs: 8, patience: 0}\n"
    )
    store = f"sqlite:///{tmp_path / 'r.db'}"
    recipe = {"study": "r", "space": "space.yaml", "data": "houses.csv", "target": "y",
              "n_trials": 3, "pruner": "none", "validation": {"folds": 3},
              "storage": store}  # fmt: skip
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    prepared = prepare_search(load_recipe(tmp_path / "recipe.yaml"))
    run_search(prepared.recipe, prepared=prepared)
    info, _ = export_trial(ExportRequest(storage=store, out=tmp_path / "b", ensemble_trials=3))
    assert set(info.source["temperatures"].values()) == {1.0}
    assert "out-of-fold squared error" in info.source["model"]
    assert "temperature" not in info.source["model"]
    assert np.isfinite(info.test_metrics["rmse"]) and info.max_abs_diff["onnx"] < 1e-4
    losses = info.source["out_of_fold_loss"]
    assert losses["ensemble"] <= min(v for k, v in losses.items() if k != "ensemble")


def test_the_python_api_exports_an_ensemble_of_trials(study, tmp_path):
    import nas

    _, _, found = study
    info = nas.export(found, tmp_path / "api", ensemble_trials=2)
    assert info.source["ensemble_trials"] and info.ensemble % 3 == 0


def test_a_multi_objective_study_is_refused_before_any_training():
    import optuna

    from nas.export import trials_ensemble

    study = optuna.create_study(directions=["maximize", "minimize"])
    with pytest.raises(ExportError, match="needs a single-objective study; export a trial"):
        trials_ensemble(study, None, 3)  # type: ignore[arg-type]


def test_scaling_the_logits_divides_every_output_by_the_temperature():
    from nas.arch import Architecture, Block, Stage
    from nas.blocks import get_block
    from nas.builder import build_model
    from nas.export._trial_ensemble import _scale_logits

    conv = get_block("conv")
    arch = Architecture(stages=(Stage("feature", (Block("conv", conv.config()),)),),
                        readout="global_avg")  # fmt: skip
    model = build_model(arch, (1, LENGTH), 3).eval()
    x = torch.randn(4, 1, LENGTH)
    with torch.no_grad():
        before = model(x)
        _scale_logits(model, 0.25)
        torch.testing.assert_close(model(x), before * 0.25)
