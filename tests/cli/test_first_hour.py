"""A new user's first hour: read-only commands write nothing and load no torch, a run's last
line says what stopped it and how to go on, progress while training, libraries quiet unless
--verbose, and the smaller things (driver hints, absolute store URLs in model cards)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import PAPER_CNN, SPACES


def nas(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from nas.cli import main; main()", *args],
        capture_output=True, text=True, cwd=cwd, timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "NAS_STORAGE": ""},
    )  # fmt: skip


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A finished two-trial search in a folder of its own, through a relative store URL."""
    folder = tmp_path_factory.mktemp("first-hour")
    recipe = {"study": "first", "space": str(SPACES / "tiny.yaml"), "sampler": "random",
              "pruner": "none", "n_trials": 2, "storage": "sqlite:///rel.db"}  # fmt: skip
    (folder / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    run = nas("search", "recipe.yaml", "--workers", "1", cwd=folder)
    assert run.returncode == 0, run.stderr
    return folder, run


@pytest.mark.parametrize(
    "command",
    [["status"], ["best"], ["export", "--best", "--out", "bundle"], ["dashboard", "--port", "8791"]],
)
def test_read_only_commands_on_a_missing_store_create_nothing(tmp_path, command):
    run = nas(*command, cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.startswith("error: no study store at sqlite:///studies/nas.db")
    assert list(tmp_path.iterdir()) == []
    elsewhere = tmp_path / "nonexistent" / "dir" / "x.db"
    run = nas(*command, "--storage", f"sqlite:///{elsewhere}", cwd=tmp_path)
    assert run.returncode == 2 and "no study store at" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_status_and_best_read_without_torch_and_write_nothing(store):
    folder, _ = store
    before = _tree(folder)
    probe = (
        "import sys\nfrom nas.cli import main\n"
        "sys.argv = ['nas', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('HEAVY=' + ','.join(m for m in ('torch', 'lightning') if m in sys.modules))\n"
    )
    for command in (["status"], ["best"], ["best", "--json"]):
        run = subprocess.run([sys.executable, "-c", probe, *command, "--storage", "sqlite:///rel.db"],
                             capture_output=True, text=True, cwd=folder, timeout=120)  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert run.stdout.rstrip().endswith("HEAVY="), (command, run.stdout[-300:])
    assert _tree(folder) == before


def test_the_last_line_says_what_stopped_the_run_and_how_to_go_on(store, tmp_path):
    _, run = store
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith("Finished 2 trials: n_trials reached")
    assert "Add more with: nas search recipe.yaml --workers 1" in last
    store_url = f"sqlite:///{(store[0] / 'rel.db').resolve()}"
    assert f"See the best with: nas best --study first --storage {store_url}" in last
    recipe = {"study": "slow", "space": str(SPACES / "tiny.yaml"), "sampler": "random",
              "pruner": "none", "n_trials": 5, "timeout": 0.01,
              "storage": f"sqlite:///{tmp_path / 's.db'}"}  # fmt: skip
    (tmp_path / "slow.yaml").write_text(yaml.safe_dump(recipe))
    run = nas("search", "slow.yaml", "--workers", "1", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith("Stopped by the timeout (0.01 s) after 1 of 5 trials"), last
    assert "Continue the study with: nas search slow.yaml --workers 1" in last


def test_libraries_are_quiet_unless_verbose(store, tmp_path):
    _, run = store
    assert "[I " not in run.stderr and "ExperimentalWarning" not in run.stderr
    recipe = {"study": "v", "space": str(SPACES / "tiny.yaml"), "sampler": "random",
              "pruner": "none", "n_trials": 1, "storage": f"sqlite:///{tmp_path / 'v.db'}"}  # fmt: skip
    (tmp_path / "v.yaml").write_text(yaml.safe_dump(recipe))
    loud = nas("--verbose", "search", "v.yaml", "--workers", "1", cwd=tmp_path)
    assert loud.returncode == 0, loud.stderr
    assert "A new study created" in loud.stderr


def test_train_shows_epochs_on_stderr_unless_quiet(tmp_path):
    run = nas("train", str(PAPER_CNN), "--epochs", "2", "--json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "training epoch 1/2" in run.stderr and "training epoch 2/2" in run.stderr
    assert run.stdout.lstrip().startswith("{")  # the JSON result alone on stdout
    quiet = nas("train", str(PAPER_CNN), "--epochs", "2", "--quiet", cwd=tmp_path)
    assert quiet.returncode == 0 and "epoch 1/2" not in quiet.stderr


def test_a_driver_hint_keeps_its_extra(tmp_path):
    run = nas("status", "--storage", "mysql://user@localhost/db", cwd=tmp_path)
    assert run.returncode == 2
    assert "pip install 'nas[mysql]'" in run.stderr


def test_the_model_card_names_the_store_by_absolute_path(store, tmp_path):
    folder, _ = store
    out = tmp_path / "bundle"
    run = nas("export", "--best", "--storage", "sqlite:///rel.db", "--out", str(out),
              "--formats", "onnx", cwd=folder)  # fmt: skip
    assert run.returncode == 0, run.stderr
    card = (out / "README.md").read_text()
    assert f"--storage sqlite:///{(folder / 'rel.db').resolve()}" in card
    assert "sqlite:///rel.db" not in card
    assert "10 outputs" in card


def test_search_runs_one_worker_per_cpu_by_default(tmp_path):
    from nas.base import available_cpus

    recipe = {"study": "w", "space": str(SPACES / "tiny.yaml"), "sampler": "random",
              "pruner": "none", "n_trials": 2, "storage": f"sqlite:///{tmp_path / 'w.db'}"}  # fmt: skip
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(recipe))
    run = nas("search", "w.yaml", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    if available_cpus() >= 2:
        assert "workers 2, 1 CPU thread(s) each (one per CPU;" in run.stdout
        assert len({line.split()[0] for line in run.stdout.splitlines() if line.startswith("#")}) == 2
    else:
        assert "workers" not in run.stdout  # one CPU: the trials run in this process
