"""Workers sharing one study on a real PostgreSQL server: the multi-machine path.

Each worker is a separate ``nas worker`` process, exactly as Slurm or Kubernetes would start
it on another machine; only the storage URL (in $NAS_STORAGE) connects them.
"""

from __future__ import annotations

import uuid
from collections import Counter

import optuna

from nas.samplers import ControllerSampler
from tests.study.conftest import finish, start_worker
from tests.study.test_workers import check_recovered, crash_recipe, kill_mid_trial_then_recover


def _study(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"  # one server serves every test


def test_three_workers_finish_exactly_3n_trials(make_recipe, postgres_url):
    study, n = _study("three"), 3
    recipe = make_recipe(study=study, storage=None, sampler="tpe", n_trials=100)
    env = {"NAS_STORAGE": postgres_url}
    outputs = finish([start_worker(recipe, "--n-trials", str(n), env=env) for _ in range(3)])

    trials = optuna.load_study(study_name=study, storage=postgres_url).trials
    assert sorted(t.number for t in trials) == list(range(3 * n))  # unique, none lost
    assert all(t.state.name in ("COMPLETE", "PRUNED") for t in trials)
    assert sorted(Counter(t.user_attrs["worker"] for t in trials).values()) == [n, n, n]
    password = postgres_url.split(":")[2].split("@")[0]
    for out, err in outputs:
        assert "joined study" in out and ":***@127.0.0.1" in out  # printed, masked
        assert password not in out + err


def test_sigkilled_worker_trial_is_failed_and_retried_on_postgres(
    make_recipe, tmp_path, postgres_url
):
    study = _study("crash")
    recipe = crash_recipe(make_recipe, tmp_path, postgres_url, study)
    check_recovered(kill_mid_trial_then_recover(recipe, postgres_url, study))


def test_controller_keeps_learning_across_workers(make_recipe, postgres_url):
    study, n = _study("controller"), 4
    recipe = make_recipe(study=study, storage=None, sampler="controller", n_trials=100)
    env = {"NAS_STORAGE": postgres_url}
    finish([start_worker(recipe, "--n-trials", str(n), env=env) for _ in range(3)])

    loaded = optuna.load_study(study_name=study, storage=postgres_url)
    trials = sorted(loaded.trials, key=lambda t: t.number)
    assert len(trials) == 3 * n
    by_worker: dict[str, list] = {}
    for t in trials:
        by_worker.setdefault(t.user_attrs["worker"], []).append(t)
    crossed = 0
    for own in by_worker.values():
        # some trial of this worker started from a policy that had learned from more trials
        # than the worker had run itself: it learned from the other workers
        crossed += any(
            t.user_attrs["controller"]["learned_from"] > sum(o.number < t.number for o in own)
            for t in own
        )
    # a worker that started first under load may run all its trials before any other
    # worker's finish; the others must still learn from it
    assert crossed >= 2, {w: [t.user_attrs["controller"]["learned_from"] for t in own]
                          for w, own in by_worker.items()}  # fmt: skip
    # the policy is a function of the seed and the stored trials: any process rebuilds it
    fingerprints = {ControllerSampler(seed=0).policy_fingerprint(loaded) for _ in range(2)}
    assert len(fingerprints) == 1
