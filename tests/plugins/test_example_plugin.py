"""The example plugin (examples/se_block): a block of one's own reaches the CLI, every
worker, export and ``nas.load``, by a recipe's ``plugins:`` or by an entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import yaml

from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "se_block"


def _nas(*args, cwd=ROOT, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "nas", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=timeout)  # fmt: skip


@pytest.fixture
def example(tmp_path):
    """The example copied to a temp folder (its store and artifacts land there)."""
    folder = tmp_path / "se_block"
    shutil.copytree(
        EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__", "*.db*", "*-artifacts")
    )
    recipe = yaml.safe_load((folder / "study.yaml").read_text())
    recipe["space"] = "space.yaml"
    (folder / "study.yaml").write_text(yaml.safe_dump(recipe))
    return folder


def test_plugin_block_searches_with_two_workers_and_exports(example, tmp_path):
    space = yaml.safe_load((example / "space.yaml").read_text())
    space["stages"][0]["blocks"] = {
        "se_conv": space["stages"][0]["blocks"]["se_conv"]
    }  # only se_conv
    space["training"]["epochs"] = 2
    (example / "space.yaml").write_text(yaml.safe_dump(space))
    storage = f"sqlite:///{example / 'se_block.db'}"
    search = _nas("search", str(example / "study.yaml"), "--workers", "2", "--n-trials", "2")
    assert search.returncode == 0, search.stderr
    assert "Finished 2 trials" in search.stdout and "se" in search.stdout

    import optuna

    trials = optuna.load_study(study_name="se_block", storage=storage).trials
    assert len(trials) == 2 and all(t.state.name == "COMPLETE" for t in trials)
    workers = {t.user_attrs["worker"] for t in trials}  # worker processes, not this one
    assert workers and all(not w.endswith(f":{os.getpid()}") for w in workers)
    assert all("se_conv" in json.dumps(t.user_attrs["architecture"]) for t in trials)

    out = tmp_path / "bundle"
    export = _nas("export", "--storage", storage, "--out", str(out))
    assert export.returncode == 0, export.stderr
    assert "class SqueezeExcite" in (out / "model.py").read_text()  # the plugin's layer, as code
    x = np.random.default_rng(0).normal(size=(8, 1, 40)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    probe = (  # model.py runs where neither nas nor the plugin can be imported
        "import sys; sys.modules['nas'] = None; sys.modules['nas_se_block'] = None\n"
        "import numpy as np, torch\nfrom model import load\n"
        f"np.save({str(tmp_path / 'y.npy')!r}, load()(torch.from_numpy(np.load({str(tmp_path / 'x.npy')!r}))).detach().numpy())\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], cwd=out, capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})  # fmt: skip
    assert run.returncode == 0, run.stderr
    reload = (  # nas.load in a fresh process imports the plugin the bundle names
        "import numpy as np, torch, nas\n"
        f"m = nas.load({str(out)!r})\n"
        f"print(float(np.abs(m(torch.from_numpy(np.load({str(tmp_path / 'x.npy')!r}))).detach().numpy()"
        f" - np.load({str(tmp_path / 'y.npy')!r})).max()))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", reload], capture_output=True, text=True, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    assert float(run.stdout) < 1e-5


def test_an_installed_entry_point_registers_the_plugin_everywhere(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(EXAMPLE / "nas_se_block", site / "nas_se_block")
    dist = site / "nas_se_block-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: nas-se-block\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[nas.plugins]\nse_block = nas_se_block\n")
    env = {"PYTHONPATH": str(site)}
    listed = _nas("list", "blocks", env=env, cwd=tmp_path)
    assert listed.returncode == 0 and "se_conv" in listed.stdout, listed.stderr
    arch = {"stages": [{"name": "feature", "blocks": [{"type": "se_conv", "channels": 4}]}],
            "train": {"epochs": 1, "batch_size": 256}}  # fmt: skip
    (tmp_path / "arch.json").write_text(json.dumps(arch))
    trained = _nas("train", str(tmp_path / "arch.json"), "--json", env=env, cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout)["n_params"] > 0
    assert "se_conv" not in _nas("list", "blocks", cwd=tmp_path).stdout  # not installed: absent


def test_a_plugin_that_cannot_be_imported_is_one_clear_error(example):
    recipe = yaml.safe_load((example / "study.yaml").read_text())
    recipe["plugins"] = ["nas_se_block", "no_such_plugin"]
    (example / "study.yaml").write_text(yaml.safe_dump(recipe))
    run = _nas("search", str(example / "study.yaml"))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "study.yaml: plugins[1]: cannot import plugin 'no_such_plugin'" in run.stderr
    assert not (example / "se_block.db").exists()  # nothing stored
