"""`nas search`, `nas status` and `nas best` as a user runs them, Ctrl-C included."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import optuna
import yaml

from tests.conftest import ROOT, SPACES


def _recipe(tmp_path, **overrides):
    doc = {"study": "cli", "space": str(SPACES / "tiny.yaml"), "sampler": "random", "pruner": "none",
           "n_trials": 3, "storage": f"sqlite:///{tmp_path / 'store.db'}",
           "workers": 1}  # in this process: Ctrl-C and output order as one process has them
    doc.update(overrides)
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _nas(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-c", "from nas.cli import main; main()", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"}, **kwargs,
    )


def test_search_then_status_then_best(tmp_path):
    recipe = _recipe(tmp_path)
    out, err = _nas("search", str(recipe)).communicate(timeout=300)
    assert "Finished 3 trials" in out, err
    for n in range(3):
        assert f"#{n} " in out
    storage = f"sqlite:///{tmp_path / 'store.db'}"
    status, _ = _nas("status", "--storage", storage).communicate(timeout=120)
    assert "cli" in status and "val_acc ↑" in status
    best, err = _nas("best", "--storage", storage, "--json").communicate(timeout=120)
    record = json.loads(best)["trials"][0]
    assert record["state"] == "COMPLETE" and record["summary"] and record["n_params"] > 0
    table, _ = _nas("best", "--storage", storage).communicate(timeout=120)
    assert "best trial of cli" in table and "Retrain it: nas train --space" in table


def test_overrides_on_the_command_line(tmp_path):
    recipe = _recipe(tmp_path)
    storage = f"sqlite:///{tmp_path / 'other.db'}"
    out, err = _nas("search", str(recipe), "--n-trials", "1", "--storage", storage,
                    "--study-name", "renamed", "--sampler", "tpe", "--seed", "5").communicate(timeout=300)
    assert "Finished 1 trials" in out, err
    study = optuna.load_study(study_name="renamed", storage=storage)
    assert len(study.trials) == 1 and study.user_attrs["recipe"]["sampler"]["name"] == "tpe"


def test_bad_recipe_and_storage_are_one_line_errors(tmp_path):
    _, err = _nas("search", str(tmp_path / "none.yaml")).communicate(timeout=60)
    assert err.startswith("error: ") and "study recipe not found" in err and "Traceback" not in err
    recipe = _recipe(tmp_path)
    run = _nas("search", str(recipe), "--sampler", "bayes")
    _, err = run.communicate(timeout=60)
    assert run.returncode == 2 and "--sampler: unknown sampler 'bayes'" in err
    _, err = _nas("status", "--storage", "postgresql://user:secret@127.0.0.1:1/db").communicate(timeout=60)
    assert err.startswith("error: cannot open storage postgresql://user:***@127.0.0.1:1/db")
    assert "secret" not in err


def test_ctrl_c_fails_the_running_trial_and_keeps_the_completed_ones(tmp_path):
    space = tmp_path / "slow.yaml"
    space.write_text((SPACES / "tiny.yaml").read_text().replace("epochs: 2", "epochs: [2, 500]"))
    recipe = _recipe(tmp_path, space=str(space), n_trials=5)
    storage = f"sqlite:///{tmp_path / 'store.db'}"
    # trial 0 is quick (2 epochs), trial 1 trains for a long time
    from nas.study import load_recipe, prepare_search

    study = prepare_search(load_recipe(recipe)).study
    base = {"feature.n_blocks": 0, "head.n_blocks": 0, "readout": "flatten", "optimizer": "adam",
            "lr": 0.01, "schedule": "constant"}
    study.enqueue_trial({**base, "epochs": 2})
    study.enqueue_trial({**base, "epochs": 500})

    proc = _nas("search", str(recipe))
    lines = []
    deadline = time.time() + 120
    while time.time() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if line.startswith("#0 "):
            break
    assert any(line.startswith("#0 ") for line in lines), "".join(lines)
    time.sleep(3)  # trial 1 is training now
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    out = "".join(lines) + out
    assert proc.returncode == 130, err
    assert "Interrupted." in out and f"Resume with: nas search {recipe}" in out
    assert "Traceback" not in err

    trials = optuna.load_study(study_name="cli", storage=storage).trials
    assert [t.state.name for t in trials] == ["COMPLETE", "FAIL"]
    assert trials[1].user_attrs["fail_reason"] == "interrupted by the user (Ctrl-C)"


def test_the_resume_hint_keeps_the_seed_and_the_overrides(tmp_path):
    """Bug: the hint printed after Ctrl-C dropped --seed, so resuming changed every later
    trial's seed."""
    space = tmp_path / "slow.yaml"
    space.write_text((SPACES / "tiny.yaml").read_text().replace("epochs: 2", "epochs: [2, 500]"))
    recipe = _recipe(tmp_path, space=str(space), n_trials=3)
    from nas.study import load_recipe, prepare_search

    study = prepare_search(load_recipe(recipe)).study
    base = {"feature.n_blocks": 0, "head.n_blocks": 0, "readout": "flatten", "optimizer": "adam",
            "lr": 0.01, "schedule": "constant"}  # fmt: skip
    study.enqueue_trial({**base, "epochs": 2})
    study.enqueue_trial({**base, "epochs": 500})
    proc = _nas("search", str(recipe), "--seed", "7", "--sampler", "tpe")
    lines = [proc.stdout.readline()]
    while lines[-1] and not lines[-1].startswith("#0 "):  # trial 1 trains for a long time now
        lines.append(proc.stdout.readline())
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    hint = next(line for line in ("".join(lines) + out).splitlines() if "Resume with:" in line)
    assert hint.endswith(f"Resume with: nas search {recipe} --sampler tpe --seed 7"), hint


def test_a_search_without_recipe_hands_its_data_to_workers_and_resumes(tmp_path):
    from pathlib import Path

    from nas.cli._overrides import RecipeOverrides

    overrides = RecipeOverrides(seed=3, data="toy_TRAIN.ts", target=None)
    assert overrides.worker_argv(None) == ["--seed", "3", "--data", "toy_TRAIN.ts"]
    assert overrides.resume_argv(None, "--workers", "2") == [
        "nas", "search", "--seed", "3", "--data", "toy_TRAIN.ts", "--workers", "2"
    ]  # fmt: skip
    table = RecipeOverrides(data="t.csv", target="y")
    assert table.worker_argv(Path("r.yaml")) == ["r.yaml", "--data", "t.csv", "--target", "y"]


def test_no_recipe_and_no_data_is_one_line_error(tmp_path):
    run = subprocess.run([sys.executable, "-m", "nas", "search"], capture_output=True,
                         text=True, cwd=tmp_path)  # fmt: skip
    assert run.returncode == 2
    assert "give a recipe (STUDY.yaml), or --data FILE" in run.stderr
