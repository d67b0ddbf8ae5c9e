"""Searches that survive their infrastructure: storage outages, trials lost while a worker
was paused, stale trials found while a worker trains, supervised worker pools, signals.

The PostgreSQL chaos test (workers of `nas search --workers` SIGKILLed and replaced, a pause
past the grace period, a server restart, all in one study) is in test_chaos.py.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import sqlalchemy.exc

import nas.training
from nas.base import StorageError
from nas.study import load_recipe, prepare_search, run_search
from tests.conftest import ROOT, SPACES

RECOVERY = {"heartbeat_interval": 1, "grace_period": 3, "max_retry": 2}


def trials_of(recipe_path, study="t"):
    recipe = load_recipe(recipe_path)
    return optuna.load_study(study_name=study, storage=recipe.storage).trials


def slow_space(tmp_path, epochs="[2, 20000]"):
    space = tmp_path / "slow.yaml"
    space.write_text((SPACES / "tiny.yaml").read_text().replace("epochs: 2", f"epochs: {epochs}"))
    return str(space)


# ---- storage outages ------------------------------------------------------------------
class Outage:
    """Makes Optuna's RDB storage fail like a stopped server for ``seconds``, starting at
    the first reported epoch (so the outage hits a trial in flight)."""

    def __init__(self, monkeypatch, seconds: float, message="connection refused") -> None:
        self.seconds, self.message, self.until = seconds, message, None
        self.faults = 0
        rdb = optuna.storages.RDBStorage
        for name in ("set_trial_intermediate_value", "set_trial_user_attr", "get_all_trials",
                     "set_trial_state_values", "record_heartbeat", "get_trial",
                     "create_new_trial", "_get_stale_trial_ids"):  # fmt: skip
            monkeypatch.setattr(rdb, name, self._wrap(getattr(rdb, name), name))

    def _wrap(self, method, name):
        def call(storage, *args, **kwargs):
            if name == "set_trial_intermediate_value" and self.until is None:
                self.until = time.monotonic() + self.seconds
            if self.until is not None and time.monotonic() < self.until:
                self.faults += 1
                raise sqlalchemy.exc.OperationalError(
                    name, {}, sqlite3.OperationalError(self.message)
                )
            return method(storage, *args, **kwargs)

        return call


def test_a_storage_outage_mid_trial_is_waited_out(make_recipe, monkeypatch, caplog):
    recipe = load_recipe(make_recipe(n_trials=3, sampler="random", pruner="median"))
    outage = Outage(monkeypatch, seconds=3)
    with caplog.at_level(logging.WARNING, logger="nas.study"):
        outcome = run_search(recipe)
    assert outage.faults > 0
    assert outcome.n_complete == 3 and outcome.new_trials == 3
    trials = trials_of(recipe.source)
    assert [t.state.name for t in trials] == ["COMPLETE"] * 3
    assert trials[0].intermediate_values  # the epochs reported during the outage landed
    lines = [r.getMessage() for r in caplog.records]
    assert sum("is unreachable (connection refused)" in line for line in lines) == 1, lines
    assert sum("is back after" in line for line in lines) == 1, lines


def test_an_outage_past_the_window_ends_the_search_with_one_error(make_recipe, monkeypatch):
    recipe = load_recipe(
        make_recipe(n_trials=3, sampler="random", recovery={**RECOVERY, "storage_retry_s": 2})
    )
    Outage(monkeypatch, seconds=3600)
    with pytest.raises(StorageError, match="lost the study store .* for 2 s"):
        run_search(recipe)


def test_a_read_only_store_is_one_error(make_recipe, monkeypatch):
    recipe = load_recipe(make_recipe(n_trials=2, sampler="random"))
    Outage(monkeypatch, seconds=3600, message="attempt to write a readonly database")
    with pytest.raises(StorageError, match="the store is read-only"):
        run_search(recipe)


def refused(name: str = "connect") -> sqlalchemy.exc.OperationalError:
    return sqlalchemy.exc.OperationalError(name, {}, sqlite3.OperationalError("connection refused"))


def test_a_worker_started_while_the_store_is_down_joins_once_it_is_back(make_recipe, monkeypatch):
    """A replacement worker (or a scheduler's job) may start while the server restarts: it
    waits for the store as its later calls would, instead of dying. A search's own first
    open still fails at once, so a wrong URL is one error, not a wait."""
    import nas.study._storage as storage_module

    recipe = load_recipe(make_recipe(n_trials=1, sampler="random", recovery=RECOVERY))
    prepare_search(recipe)  # the search that created the study
    real, down = storage_module._create, [2]

    def create(*args):
        if down[0] > 0:
            down[0] -= 1
            raise refused()
        return real(*args)

    monkeypatch.setattr(storage_module, "_create", create)
    joined = prepare_search(recipe, worker=1)
    assert down == [0] and joined.study.study_name == "t"
    down[0] = 1
    with pytest.raises(StorageError, match="cannot open storage .*connection refused"):
        prepare_search(recipe)
    assert down == [0]  # one attempt


def test_heartbeats_found_old_by_a_query_that_waited_out_an_outage_fail_nothing(
    make_recipe, monkeypatch
):
    """A stale-trial query that met the store down returns once it is back, before the
    workers' heartbeats resume: every heartbeat looks old then, and none is a crash."""
    from nas.base.optuna_compat import storage_of
    from nas.study._recovery import fail_stale_trials

    recipe = load_recipe(
        make_recipe(n_trials=1, sampler="random", recovery={**RECOVERY, "grace_period": 2})
    )
    study = prepare_search(recipe).study
    storage = storage_of(study)
    storage.outage.sleep = lambda seconds: None
    trial = study.ask()
    trial.set_user_attr("worker", "alive:1")
    storage.record_heartbeat(trial._trial_id)
    time.sleep(3.1)  # its last heartbeat (before the outage) is past the grace period
    rdb = optuna.storages.RDBStorage
    real, down = rdb._get_stale_trial_ids, [2]

    def stale_ids(self, study_id):
        if down[0] > 0:
            down[0] -= 1
            raise refused("SELECT")
        return real(self, study_id)

    monkeypatch.setattr(rdb, "_get_stale_trial_ids", stale_ids)
    assert fail_stale_trials(study, recipe.recovery) == []
    assert down == [0] and study.trials[0].state.name == "RUNNING"
    # a grace period after the store came back, a trial still silent is a crash
    later = time.monotonic() + 2.5
    monkeypatch.setattr("nas.study._resilient.time.monotonic", lambda: later)
    assert fail_stale_trials(study, recipe.recovery) == [0]
    assert study.trials[0].state.name == "FAIL"


# ---- trials lost while paused, stale trials found while training --------------------
def test_a_trial_failed_by_another_worker_meanwhile_is_dropped(make_recipe, monkeypatch, caplog):
    """What a worker paused past the grace period sees when it resumes: its trial was
    failed (and queued again) by another worker. It drops it and goes on."""
    from nas.study._recovery import fail_trial

    recipe = load_recipe(make_recipe(n_trials=2, sampler="random", recovery=RECOVERY))
    other = prepare_search(recipe).study  # another worker's view of the study
    real, calls = nas.training.train_architecture, []

    def paused(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:  # while trial 0 trains, the other worker fails it as stale
            trial = other.get_trials(states=(optuna.trial.TrialState.RUNNING,))[0]
            fail_trial(other, trial, "worker x:1 stopped heartbeating", max_retry=2)
        return real(*args, **kwargs)

    monkeypatch.setattr(nas.training, "train_architecture", paused)
    with caplog.at_level(logging.WARNING, logger="nas.study"):
        outcome = run_search(recipe)
    trials = trials_of(recipe.source)
    assert trials[0].state.name == "FAIL"
    assert trials[0].user_attrs["fail_reason"] == "worker x:1 stopped heartbeating"
    assert trials[1].user_attrs["retry_of"] == 0 and trials[1].state.name == "COMPLETE"
    assert "fail_reason" not in trials[1].user_attrs  # the retry inherits no failure
    assert outcome.new_trials == 2
    assert any("trial #0 was failed by another process" in r.getMessage() for r in caplog.records)


def test_a_stale_trial_is_failed_while_the_worker_trains(make_recipe, tmp_path, monkeypatch):
    """A trial whose worker died goes stale; a live worker fails it during its own long
    trial, not only when it starts the next one."""
    recipe = load_recipe(
        make_recipe(
            n_trials=1, sampler="random", space=slow_space(tmp_path, "20000"), trial_timeout=8,
            recovery=RECOVERY,
        )
    )  # fmt: skip
    prepare_search(recipe)
    storage = optuna.storages.RDBStorage(recipe.storage, heartbeat_interval=1, grace_period=3)
    study = optuna.load_study(study_name="t", storage=storage)
    orphan = study.ask()  # a dead worker's trial: one heartbeat, then nothing
    orphan.set_user_attr("worker", "gone:42")
    storage.record_heartbeat(orphan._trial_id)
    started = time.monotonic()
    run_search(recipe)  # one trial of about 8 s
    trials = trials_of(recipe.source)
    assert trials[0].state.name == "FAIL"
    reason = trials[0].user_attrs["fail_reason"]
    assert reason.startswith("worker gone:42 stopped heartbeating (none for over 3 s")
    failed_after = (trials[0].datetime_complete - trials[1].datetime_start).total_seconds()
    assert 0 < failed_after < time.monotonic() - started - 2  # during trial #1, not after it
    assert trials[2].state.name == "WAITING"  # its retry, for the next worker
    assert trials[2].system_attrs["failed_trial"] == 0


# ---- signals and supervised pools ----------------------------------------------------
def search_process(recipe, *args):
    return subprocess.Popen(
        [sys.executable, "-m", "nas", "search", str(recipe), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


def wait_for_training(recipe, count: int, process, timeout=120) -> list:
    """The trials in training once ``count`` are (their ``seed`` is written)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            running = [
                t for t in trials_of(recipe) if t.state.name == "RUNNING" and "seed" in t.user_attrs
            ]
        except KeyError:  # the study is not created yet
            running = []
        if len(running) >= count:
            return running
        assert process.poll() is None, process.communicate()
        time.sleep(0.3)
    pytest.fail(f"{count} trials never started training")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split()[2] != "Z"  # a zombie has exited


def test_sigterm_stops_a_single_process_search_like_ctrl_c(make_recipe, tmp_path):
    recipe = make_recipe(space=slow_space(tmp_path, "20000"), sampler="random", n_trials=3)
    process = search_process(recipe, "--workers", "1")
    wait_for_training(recipe, 1, process)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert "Traceback" not in err and "Resume with: nas search" in out
    [trial] = trials_of(recipe)
    assert trial.state.name == "FAIL"
    assert trial.user_attrs["fail_reason"] == "interrupted by the user (SIGTERM)"


def test_sigterm_reaches_every_worker_and_sigkill_takes_them_along(make_recipe, tmp_path):
    recipe = make_recipe(space=slow_space(tmp_path, "20000"), sampler="random", n_trials=4)
    process = search_process(recipe, "--workers", "2")
    running = wait_for_training(recipe, 2, process)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, out + err
    trials = trials_of(recipe)
    assert {t.state.name for t in trials} == {"FAIL"}
    assert {t.user_attrs["fail_reason"] for t in trials} == {"interrupted by the user (Ctrl-C)"}
    pids = [int(t.user_attrs["worker"].rsplit(":", 1)[1]) for t in running]
    assert not any(alive(pid) for pid in pids)

    # SIGKILL cannot be passed on: the workers notice their parent is gone and stop
    process = search_process(recipe, "--workers", "2")
    running = wait_for_training(recipe, 2, process)
    pids = [int(t.user_attrs["worker"].rsplit(":", 1)[1]) for t in running]
    process.kill()
    process.wait()
    deadline = time.time() + 60
    while time.time() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.5)
    assert not any(alive(pid) for pid in pids), "workers outlived their parent"
    orphans = [t for t in trials_of(recipe) if t.number in {r.number for r in running}]
    seen = [(t.number, t.state.name, t.user_attrs.get("fail_reason")) for t in orphans]
    # each worker failed its own trial on the way out (none left RUNNING, none failed as
    # stale by another process), with the one SIGTERM its parent's death sends (the kernel
    # repeats the signal; nas.base._process passes on the first only)
    assert seen == [(r.number, "FAIL", "interrupted by the user (SIGTERM)") for r in running]


@pytest.mark.parametrize("step", ["_cost", "_record_result"])
def test_a_stop_request_fails_the_trial_with_its_reason_whatever_it_broke_out_of(
    make_recipe, monkeypatch, step
):
    """Lightning answers SIGTERM with SIGTERMException, a SystemExit, wherever its loops
    notice it; whichever step of a trial it escapes from, the trial ends FAIL with the
    stop's reason (not RUNNING until its heartbeat goes stale) and the search stops."""
    from nas.study._objective import TrialObjective

    original = getattr(TrialObjective, step)

    def stopped(self, trial, *args):
        if trial.number == 1:
            signal.raise_signal(signal.SIGTERM)  # the first stop signal: a request
            raise SystemExit(1)
        return original(self, trial, *args)

    monkeypatch.setattr(TrialObjective, step, stopped)
    recipe = make_recipe(sampler="random", n_trials=3)
    outcome = run_search(load_recipe(recipe))
    assert outcome.interrupted
    trials = trials_of(recipe)
    assert [t.state.name for t in trials] == ["COMPLETE", "FAIL"]
    assert trials[1].user_attrs["fail_reason"] == "interrupted by the user (SIGTERM)"


def test_a_trial_that_exits_the_process_is_failed_not_left_running(make_recipe, monkeypatch):
    from nas.study._objective import TrialObjective

    def exits(self, trial, *args):
        raise SystemExit(3)

    monkeypatch.setattr(TrialObjective, "_cost", exits)
    recipe = make_recipe(sampler="random", n_trials=2)
    with pytest.raises(SystemExit):
        run_search(load_recipe(recipe))
    assert [t.state.name for t in trials_of(recipe)] == ["FAIL"]


def test_status_shows_waiting_retries_and_no_dead_time(make_recipe, tmp_path):
    """A trial whose worker died at once but was found stale three hours later adds
    seconds, not hours, to the study's time; its queued retry shows as WAITING."""
    import sqlite3 as sqlite

    from nas.study import study_statuses
    from nas.study._recovery import fail_trial

    recipe = load_recipe(make_recipe(n_trials=1, recovery=RECOVERY))
    study = prepare_search(recipe).study
    trial = study.ask()
    storage = optuna.storages.RDBStorage(recipe.storage, heartbeat_interval=1, grace_period=3)
    storage.record_heartbeat(trial._trial_id)  # its only heartbeat: the worker died here
    fail_trial(study, study.trials[0], "worker x:1 stopped heartbeating", max_retry=1)
    path = recipe.storage.removeprefix("sqlite:///")
    with sqlite.connect(path) as db:  # found stale three hours later
        db.execute(
            "UPDATE trials SET datetime_complete = datetime(datetime_start, '+3 hours') "
            "WHERE trial_id = ?",
            (trial._trial_id,),
        )
    [status] = study_statuses(recipe.storage)
    assert status.states == {"FAIL": 1, "WAITING": 1}
    assert status.seconds < 60
    run = subprocess.run(
        [sys.executable, "-m", "nas", "status", "--storage", recipe.storage],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert "waiting" in run.stdout and "3h" not in run.stdout, run.stdout


def test_the_retry_of_a_killed_trial_resumes_from_its_checkpoint(make_recipe, tmp_path):
    """A worker is SIGKILLed after a few epochs of trial #0; the retry resumes from the
    last epoch checkpoint in the artifact store and ends with the metrics of the same trial
    run without interruption."""
    params = {"feature.n_blocks": 1, "feature.0.type": "conv", "feature.0.conv.channels": 4,
              "feature.0.conv.kernel": 3, "feature.0.conv.stride": 2, "feature.0.conv.pooling": "none",
              "head.n_blocks": 0, "readout": "flatten", "optimizer": "adam", "lr": 0.01,
              "schedule": "cosine"}  # fmt: skip
    space = tmp_path / "resume.yaml"
    space.write_text((SPACES / "tiny.yaml").read_text().replace("epochs: 2", "epochs: 40"))
    recovery = {**RECOVERY, "checkpoint_every_s": 0}
    recipe = make_recipe(space=str(space), sampler="random", recovery=recovery, n_trials=1)
    study = prepare_search(load_recipe(recipe)).study
    study.enqueue_trial(params)
    victim = subprocess.Popen(
        [sys.executable, "-m", "nas", "worker", str(recipe), "--n-trials", "1"], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.time() + 120
    while time.time() < deadline:
        record = trials_of(recipe)[0].user_attrs.get("checkpoint")
        if record and record["epoch"] >= 3:
            break
        assert victim.poll() is None
        time.sleep(0.1)
    victim.kill()
    victim.wait()
    time.sleep(RECOVERY["grace_period"] + 1)  # its heartbeat goes stale
    run_search(load_recipe(recipe))  # fails trial #0 as stale, runs its retry
    killed, retry = trials_of(recipe)[:2]
    assert killed.state.name == "FAIL" and retry.state.name == "COMPLETE"
    assert retry.user_attrs["resumed"]["trial"] == 0 and retry.user_attrs["resumed"]["epoch"] >= 3
    assert len(retry.user_attrs["history"]) == 40  # epochs 0..39: the saved ones and the rest

    reference = make_recipe(study="reference", space=str(space), sampler="random", n_trials=1,
                            recovery=recovery)  # fmt: skip
    prepare_search(load_recipe(reference)).study.enqueue_trial(killed.params)
    run_search(load_recipe(reference))
    whole = trials_of(reference, "reference")[0]
    assert retry.params == whole.params
    assert retry.user_attrs["seed"] == whole.user_attrs["seed"]
    assert retry.value == whole.value
    assert retry.user_attrs["metrics"] == whole.user_attrs["metrics"]


def test_a_model_too_large_for_memory_fails_its_trial_before_allocating(make_recipe, tmp_path):
    space = tmp_path / "huge.yaml"
    space.write_text(
        "stages:\n  - name: feature\n    blocks: {conv: {channels: [4, 1000000000000]}}\n"
        "training: {epochs: 1, batch_size: 256}\n"
    )
    recipe = load_recipe(make_recipe(space=str(space), sampler="random", n_trials=2))
    study = prepare_search(recipe).study
    study.enqueue_trial({"feature.0.conv.channels": 1000000000000})
    study.enqueue_trial({"feature.0.conv.channels": 4})
    outcome = run_search(recipe)
    huge, small = trials_of(recipe.source)
    assert huge.state.name == "FAIL"
    assert "training needs about" in huge.user_attrs["fail_reason"]
    assert "more than the" in huge.user_attrs["fail_reason"]
    assert small.state.name == "COMPLETE" and outcome.new_trials == 2


def test_a_trial_created_beyond_a_shared_budget_never_runs(make_recipe, monkeypatch):
    """Two workers may both see one trial left; the one whose trial comes second fails it
    at once as surplus, so the study holds exactly its budget. A retry is always run."""
    import nas.study._loop as loop
    from nas.study._recovery import enqueue_retry

    recipe = load_recipe(make_recipe(n_trials=2, sampler="random", recovery=RECOVERY))
    study = prepare_search(recipe).study
    first, second, third = study.ask(), study.ask(), study.ask()
    assert loop.admitted(study, first, 2) and loop.admitted(study, second, 2)
    assert not loop.admitted(study, third, 2)
    for trial in (first, second, third):
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    enqueue_retry(study, study.trials[0], max_retry=1)
    assert loop.admitted(study, study.ask(), 2)  # the retry of trial #0

    recipe = load_recipe(make_recipe(study="race", n_trials=2, sampler="random"))
    real, calls = loop.budget_left, []

    def racing(study, total):  # the third check comes before the last trial is created
        calls.append(1)
        return len(calls) <= 3 or real(study, total)

    monkeypatch.setattr(loop, "budget_left", racing)
    outcome = run_search(recipe, study_total=2)
    trials = trials_of(recipe.source, "race")
    assert [t.state.name for t in trials] == ["COMPLETE", "COMPLETE", "FAIL"]
    assert trials[2].user_attrs["fail_reason"] == loop.SURPLUS
    assert "architecture" not in trials[2].user_attrs  # nothing was sampled or trained
    assert outcome.new_trials == 2
