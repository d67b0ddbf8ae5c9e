"""Several workers on one study (SQLite, one machine), GPU pinning plans, crash recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import optuna
import pytest

from nas.base import RecipeError
from nas.study import (
    SQLITE_MAX_WORKERS,
    WorkerPlan,
    check_storage_for,
    launch_workers,
    load_recipe,
    plan_workers,
    prepare_search,
)
from tests.conftest import ROOT, SPACES
from tests.study.conftest import finish, start_worker

FINISHED = ("COMPLETE", "PRUNED", "FAIL")
QUICK = {"feature.n_blocks": 0, "head.n_blocks": 0, "readout": "flatten", "optimizer": "adam",
         "lr": 0.01, "schedule": "constant"}  # fmt: skip


def _trials(recipe_path, study="t"):
    recipe = load_recipe(recipe_path)
    return optuna.load_study(study_name=study, storage=recipe.storage).trials


# ---- plans ---------------------------------------------------------------------------
def test_plan_on_cpu_gives_each_trial_the_recipes_threads():
    plan = plan_workers(4, None, None, cpu_count=8, gpu_count=0)
    assert plan == WorkerPlan((None,) * 4, threads=1)
    assert plan_workers(3, None, None, cpu_count=8, gpu_count=0, threads=2).threads == 2
    assert plan_workers(1, None, None, cpu_count=8, gpu_count=0).in_process


@pytest.mark.parametrize(
    ("cpus", "gpus", "threads", "n_trials", "storage", "expected"),
    [
        (2, 0, 1, 20, "sqlite:///s.db", 2),  # one worker per CPU on a CPU-only machine
        (16, 0, 1, 20, "sqlite:///s.db", 8),  # SQLite serves at most 8
        (16, 0, 1, 20, "postgresql+psycopg://u@h/db", 16),
        (16, 0, 4, 20, "postgresql+psycopg://u@h/db", 4),  # each trial takes 4 CPUs
        (8, 0, 1, 3, "sqlite:///s.db", 3),  # no more workers than trials
        (8, 0, 1, None, "sqlite:///s.db", 8),  # until the timeout
        (8, 0, 1, 20, "sqlite:///:memory:", 1),  # one process only
        (8, 1, 1, 20, "sqlite:///s.db", 1),  # a GPU: one trial at a time on it
        (1, 0, 1, 20, "sqlite:///s.db", 1),
    ],
)
def test_auto_workers(cpus, gpus, threads, n_trials, storage, expected):
    plan = plan_workers(None, None, None, cpu_count=cpus, gpu_count=gpus, threads=threads,
                        n_trials=n_trials, storage_url=storage)  # fmt: skip
    assert plan.n_workers == expected
    assert plan.auto == (expected > 1) and plan.in_process == (expected == 1)


def test_plan_pins_workers_to_gpus_round_robin():
    plan = plan_workers(None, ["0", "1"], 3, cpu_count=16, gpu_count=2)
    assert plan.devices == ("0", "1", "0", "1", "0", "1")
    assert plan.threads == 1 and not plan.in_process
    # --trials-per-gpu alone uses every visible GPU
    assert plan_workers(None, None, 2, cpu_count=4, gpu_count=2).devices == ("0", "1", "0", "1")
    assert plan_workers(4, ["0", "1"], 2, cpu_count=4, gpu_count=2).n_workers == 4


@pytest.mark.parametrize(
    ("args", "gpus", "message"),
    [
        ((3, ["0", "1"], 2), 2, "--workers 3 does not match 2 GPU(s) x --trials-per-gpu 2 = 4"),
        ((None, ["0"], None), 0, "--devices 0: no GPU is visible here; on CPU use --workers N"),
        ((None, None, 2), 0, "--trials-per-gpu: no GPU is visible here"),
        ((None, ["0", "3"], None), 2, "--devices: GPU 3 does not exist; this machine has 2"),
        ((None, ["0", ""], None), 2, "--devices: expected GPU indices such as 0,1"),
    ],
)
def test_plan_errors_name_the_flags(args, gpus, message):
    with pytest.raises(RecipeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan_workers(*args, cpu_count=4, gpu_count=gpus)


def test_sqlite_refuses_more_workers_than_it_serves():
    many = WorkerPlan((None,) * (SQLITE_MAX_WORKERS + 1), threads=1)
    with pytest.raises(RecipeError, match="put the study on PostgreSQL"):
        check_storage_for(many, "sqlite:///x.db")
    check_storage_for(many, "postgresql+psycopg://u:p@h/db")  # a server takes many


# ---- several workers on SQLite ----------------------------------------------------------
def test_search_with_workers_runs_exactly_n_trials(make_recipe):
    recipe = make_recipe(n_trials=6, sampler="random")
    result = subprocess.run(
        [sys.executable, "-m", "nas", "search", str(recipe), "--workers", "3"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "workers 3" in result.stdout
    assert "Finished 6 trials" in result.stdout
    assert "locked" not in result.stderr
    trials = _trials(recipe)
    assert sorted(t.number for t in trials) == list(range(6))
    assert all(t.state.name in FINISHED for t in trials)
    assert len({t.user_attrs["worker"] for t in trials}) >= 2  # they share the budget
    # each worker sampled with its own seed stream: no two trials drew the same lr
    assert len({t.params["lr"] for t in trials}) == 6


def test_launched_workers_are_pinned_to_their_devices(make_recipe):
    # On CPU, CUDA_VISIBLE_DEVICES only hides GPUs, so the pinning itself is testable here.
    prepared = prepare_search(load_recipe(make_recipe(n_trials=4, sampler="random")))
    plan = WorkerPlan(("0", "1"), threads=1)
    outcome = launch_workers(prepared, plan, [prepared.recipe.source])
    assert outcome.new_trials == 4
    trials = prepared.study.get_trials()
    by_worker: dict[str, set[str]] = {}
    for t in trials:
        by_worker.setdefault(t.user_attrs["worker"], set()).add(
            t.user_attrs["cuda_visible_devices"]
        )
    assert sorted(by_worker.values(), key=sorted) == [{"0"}, {"1"}]


def test_workers_without_n_trials_share_the_recipe_budget(make_recipe):
    recipe = make_recipe(n_trials=4, sampler="random")
    finish([start_worker(recipe), start_worker(recipe)])
    finished = [t for t in _trials(recipe) if t.state.name in FINISHED]
    # each stops once the study holds 4 finished trials; one in flight then may still finish
    assert 4 <= len(finished) <= 5


def test_worker_refuses_a_study_with_another_space(make_recipe, tmp_path):
    prepare_search(load_recipe(make_recipe()))
    other = tmp_path / "other.yaml"
    other.write_text((SPACES / "tiny.yaml").read_text().replace("units: 16", "units: 32"))
    result = subprocess.run(
        [sys.executable, "-m", "nas", "worker", str(make_recipe(space=str(other)))],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert "was created from other search space" in result.stderr
    assert "Traceback" not in result.stderr


# ---- crash recovery ---------------------------------------------------------------------
def kill_mid_trial_then_recover(recipe, storage_url: str, study: str) -> list:
    """Worker A is SIGKILLed while training trial 0; worker B must fail and retry it."""
    prepared = prepare_search(load_recipe(recipe))
    prepared.study.enqueue_trial({**QUICK, "epochs": 20000})  # trial 0: long, gets killed
    prepared.study.enqueue_trial({**QUICK, "epochs": 2})  # trial 1: quick
    env = {"NAS_STORAGE": storage_url}
    victim = start_worker(recipe, "--n-trials", "1", env=env)
    storage = optuna.storages.RDBStorage(storage_url)
    deadline = time.time() + 120
    while time.time() < deadline:
        trial = optuna.load_study(study_name=study, storage=storage).trials[0]
        if trial.state.name == "RUNNING" and "seed" in trial.user_attrs:  # it is training
            break
        assert victim.poll() is None, victim.communicate()
        time.sleep(0.2)
    else:
        pytest.fail("worker A never started training trial 0")
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert optuna.load_study(study_name=study, storage=storage).trials[0].state.name == "RUNNING"

    finish([start_worker(recipe, "--n-trials", "2", env=env)])
    return optuna.load_study(study_name=study, storage=storage).trials


def check_recovered(trials) -> None:
    states = {t.number: t.state.name for t in trials}
    assert states[0] == "FAIL"  # failed by the heartbeat check...
    assert states[1] == "COMPLETE"
    retry = trials[2]  # ...and re-run with the same parameters and seed
    assert retry.system_attrs["failed_trial"] == 0
    assert retry.user_attrs["retry_of"] == 0
    assert retry.params == trials[0].params
    assert retry.user_attrs["seed"] == trials[0].user_attrs["seed"]
    assert retry.state.name == "PRUNED"  # the long trial hits trial_timeout this time
    assert "trial_timeout" in retry.user_attrs["fail_reason"]
    assert len(trials) == 3 and not [t for t in trials if t.state.name == "RUNNING"]


RECOVERY = {"heartbeat_interval": 1, "grace_period": 3, "max_retry": 1}


def crash_recipe(make_recipe, tmp_path, storage: str, study: str = "t"):
    """A recipe whose trials may train for 20000 epochs (cut to 8 s by trial_timeout)."""
    space = tmp_path / "slow.yaml"
    space.write_text((SPACES / "tiny.yaml").read_text().replace("epochs: 2", "epochs: [2, 20000]"))
    return make_recipe(
        study=study, space=str(space), sampler="random", recovery=RECOVERY, trial_timeout=8,
        storage=storage,
    )  # fmt: skip


def test_sigkilled_worker_trial_is_failed_and_retried_on_sqlite(make_recipe, tmp_path):
    storage = f"sqlite:///{tmp_path / 'store.db'}"
    recipe = crash_recipe(make_recipe, tmp_path, storage)
    check_recovered(kill_mid_trial_then_recover(recipe, storage, "t"))


def test_recovery_settings_are_validated(make_recipe):
    with pytest.raises(RecipeError, match="grace_period: 2 s must be longer than heart"):
        load_recipe(make_recipe(recovery={"heartbeat_interval": 5, "grace_period": 2}))
    with pytest.raises(RecipeError, match=r"recovery.*max_retr"):
        load_recipe(make_recipe(recovery={"max_retries": 1}))


def test_worker_needs_no_password_on_its_command_line(make_recipe, tmp_path):
    # `nas search --workers` hands the storage URL to its workers in $NAS_STORAGE
    recipe = make_recipe(n_trials=2, sampler="random")
    storage = load_recipe(recipe).storage
    env = {**os.environ, "NAS_STORAGE": storage}
    seen = subprocess.run(
        [sys.executable, "-m", "nas", "worker", str(make_recipe(n_trials=2, storage=None))],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )  # fmt: skip
    assert seen.returncode == 0, seen.stderr
    assert f"in {storage}" in seen.stdout


def test_ctrl_c_stops_every_worker_and_keeps_the_study_resumable(make_recipe, tmp_path):
    space = tmp_path / "slow.yaml"
    space.write_text((SPACES / "tiny.yaml").read_text().replace("epochs: 2", "epochs: 20000"))
    recipe = make_recipe(space=str(space), sampler="random", n_trials=4)
    process = subprocess.Popen(
        [sys.executable, "-m", "nas", "search", str(recipe), "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    deadline = time.time() + 120
    while time.time() < deadline:  # wait until both workers are training
        try:
            running = [t for t in _trials(recipe) if "seed" in t.user_attrs]
        except KeyError:  # the study is not created yet
            running = []
        if len(running) == 2:
            break
        time.sleep(0.5)
    assert len(running) == 2, process.stderr.read() if process.poll() is not None else ""
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, out + err
    assert "Resume with: nas search" in out and "--workers 2" in out
    assert "Traceback" not in err
    trials = _trials(recipe)
    assert [t.state.name for t in trials] == ["FAIL", "FAIL"]
    assert {t.user_attrs["fail_reason"] for t in trials} == {"interrupted by the user (Ctrl-C)"}
