from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import PAPER_CNN, ROOT, SPACES

TINY_PARAMS = {
    "feature.n_blocks": 1,
    "feature.0.type": "conv",
    "feature.0.conv.channels": 8,
    "feature.0.conv.kernel": 3,
    "feature.0.conv.stride": 2,
    "feature.0.conv.pooling": "max",
    "head.n_blocks": 1,
    "head.0.dense.activation": "relu",
    "readout": "flatten",
    "optimizer": "adam",
    "lr": 0.01,
    "schedule": "cosine",
}


def nas(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from nas.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ.copy(),
        timeout=300,
    )


def test_train_from_space_and_params_end_to_end(tmp_path):
    params = tmp_path / "params.json"
    params.write_text(json.dumps(TINY_PARAMS))
    run = nas(
        "train", "--space", str(SPACES / "tiny.yaml"), "--params", str(params), "--json", "--test"
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["epochs_run"] == 2  # tiny.yaml fixes epochs: 2
    assert 0.0 <= result["metrics"]["val_acc"] <= 1.0 and "acc" in result["test_metrics"]
    again = nas("train", "--space", str(SPACES / "tiny.yaml"), "--params", str(params), "--json")
    assert json.loads(again.stdout)["metrics"] == result["metrics"]  # same seed, same metrics


def test_train_prints_validation_and_test_metrics():
    run = nas("train", str(PAPER_CNN), "--epochs", "2", "--test", "--seed", "1")
    assert run.returncode == 0, run.stderr
    for text in (
        "conv25k5s2 > conv25k3s2 > conv25k3s2",
        "val_acc",
        "test_acc",
        "5,210",
        "best epoch",
    ):
        assert text in run.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "missing.json"], "error: missing.json: architecture not found"),
        (["train"], "error: give ARCH.json, or both --space FILE and --params PARAMS.json"),
        (["train", str(PAPER_CNN), "--data", "cifar"], "error: unknown dataset 'cifar'"),
        (
            ["train", "--space", "search_spaces/tiny.yaml", "--params", '{"lr": 0.1}'],
            "error: params do not match",
        ),
        (
            ["train", "--space", "nope.yaml", "--params", "{}"],
            "error: nope.yaml: search space file not found",
        ),
    ],
)
def test_bad_input_is_one_line_without_traceback(args, message):
    run = nas(*args)
    assert run.returncode == 2
    assert run.stderr.startswith(message), run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) <= 3


def test_debug_flag_shows_the_traceback():
    run = nas("--debug", "train", "missing.json")
    assert run.returncode != 0 and "Traceback" in run.stderr


def test_import_nas_and_help_do_not_import_heavy_libraries():
    probe = (
        "import sys, nas, nas.space, nas.arch, nas.blocks, nas.training, nas.data, nas.study, nas.samplers, nas.dashboard\n"
        "from nas.cli import main\n"
        "sys.argv = ['nas', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'lightning', 'optuna', 'sklearn', 'mnist1d') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "train" in run.stdout
    assert "HEAVY=\n" in run.stdout or run.stdout.rstrip().endswith("HEAVY=")
