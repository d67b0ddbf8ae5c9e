"""Input that cannot work is refused at start-up with one `error:` line naming the file and
key (or flag), before any store or study is created."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import SPACES

BASE = {"study": "bad", "space": str(SPACES / "tiny.yaml"), "n_trials": 1, "workers": 1,
        "storage": "sqlite:///store.db"}  # fmt: skip


def nas(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nas", *args], capture_output=True, text=True, cwd=cwd,
        timeout=120, env={**os.environ, "NAS_STORAGE": ""},
    )  # fmt: skip


CASES = {
    "negative seed": ({"seed": -1}, [], "recipe.yaml.seed: expected an integer in [0, "),
    "seed with no room for trial numbers": ({"seed": 4294967294}, [], "recipe.yaml.seed"),
    "seed beyond 64 bits": ({"seed": 2**70}, [], "recipe.yaml.seed"),
    "--seed -5": ({}, ["--seed", "-5"], "--seed: expected an integer in [0, "),
    "NaN timeout": ({"timeout": float("nan")}, [], "timeout: expected a number >= 0.0"),
    "NaN trial_timeout": ({"trial_timeout": float("nan")}, [], "not a finite number"),
    "infinite storage retry": ({"recovery": {"storage_retry_s": float("inf")}}, [],
                               "recovery.storage_retry_s"),
    "negative n_startup_trials": ({"sampler": {"name": "tpe", "options": {
        "n_startup_trials": -3}}}, [], "sampler.options.n_startup_trials: expected an integer >= 0"),
    "negative sigma0": ({"sampler": {"name": "cmaes", "options": {"sigma0": -1}}}, [],
                        "sampler.options.sigma0: expected a number > 0"),
    "NaN pruner option": ({"pruner": {"name": "median", "options": {"percentile": float("nan")}}},
                          [], "pruner.options.percentile"),
    "storage under /proc": ({"storage": "sqlite:////proc/nas/x.db"}, [],
                            "cannot create the folder of SQLite store /proc/nas/x.db"),
    "storage under a regular file": ({"storage": "sqlite:///afile/x.db"}, [],
                                     "cannot create the folder of SQLite store"),
    "artifacts.dir that cannot be created": ({"artifacts": {"dir": "/proc/nope/a"}}, [],
                                             "artifacts.dir: cannot use /proc/nope/a"),
    "--search-mode enas": ({}, ["--search-mode", "enas"],
                           "--search-mode: 'enas'; expected one of trials, one_shot"),
    "one-shot with no budget": ({"search": {"mode": "one_shot"}}, [],
                                "search: one_shot needs a budget for its supernet phase"),
    "--search-mode one_shot with no budget": ({}, ["--search-mode", "one_shot"],
                                              "search: one_shot needs a budget"),
    "search.top_k 0": ({"search": {"top_k": 0}}, [], "search.top_k: expected an integer >= 1"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_error_line_and_writes_nothing(tmp_path, case):
    changes, flags, expected = CASES[case]
    (tmp_path / "afile").write_text("")
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump({**BASE, **changes}))
    run = nas("search", "recipe.yaml", *flags, cwd=tmp_path)
    assert run.returncode != 0
    assert run.stderr.startswith("error: ") and run.stderr.count("\n") == 1, run.stderr
    assert expected in run.stderr, run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "recipe.yaml"]


@pytest.mark.parametrize("which", ["recipe", "space"])
def test_a_binary_file_is_one_error_line(tmp_path, which):
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(bytes(range(128, 256)))
    recipe = {**BASE, "space": str(binary)} if which == "space" else None
    if recipe is not None:
        (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    run = nas("search", "recipe.yaml" if recipe else "binary.yaml", cwd=tmp_path)
    assert run.returncode != 0
    assert run.stderr.startswith("error: ") and "binary.yaml: not a text file" in run.stderr
    assert run.stderr.count("\n") == 1
