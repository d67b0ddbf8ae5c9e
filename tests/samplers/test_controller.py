from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import optuna
import pytest
from optuna.distributions import CategoricalDistribution

from nas import ControllerSampler
from tests.conftest import ROOT

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _all_kinds(trial):
    return {
        "cat": trial.suggest_categorical("cat", ["a", "b", None, 3]),
        "f": trial.suggest_float("f", -2.0, 5.0),
        "flog": trial.suggest_float("flog", 1e-6, 1e2, log=True),
        "fstep": trial.suggest_float("fstep", 0.0, 1.0, step=0.25),
        "fstep_wide": trial.suggest_float("fstep_wide", 0.0, 10.0, step=0.1),
        "i": trial.suggest_int("i", -3, 7),
        "iwide": trial.suggest_int("iwide", 0, 1000),
        "ilog": trial.suggest_int("ilog", 1, 4096, log=True),
        "istep": trial.suggest_int("istep", 2, 200, step=6),
    }


@pytest.mark.parametrize("numeric", ["bins", "inner"])
def test_every_value_lies_inside_its_distribution(numeric):
    study = optuna.create_study(sampler=ControllerSampler(seed=0, numeric=numeric))
    study.optimize(lambda t: sum(v for v in _all_kinds(t).values() if isinstance(v, (int, float))), n_trials=60)
    for t in study.trials:
        for name, value in t.params.items():
            assert t.distributions[name]._contains(t.distributions[name].to_internal_repr(value)), (name, value)
        p = t.params
        assert -2.0 <= p["f"] <= 5.0 and 1e-6 <= p["flog"] <= 1e2
        assert p["fstep"] in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert math.isclose(round(p["fstep_wide"] / 0.1) * 0.1, p["fstep_wide"], abs_tol=1e-9)
        assert isinstance(p["iwide"], int) and 0 <= p["iwide"] <= 1000
        assert 1 <= p["ilog"] <= 4096 and (p["istep"] - 2) % 6 == 0 and 2 <= p["istep"] <= 200


def test_conditional_parameters_are_just_steps():
    def objective(trial):
        kind = trial.suggest_categorical("kind", ["conv", "rnn"])
        if kind == "conv":
            return trial.suggest_int("conv.kernel", 1, 7)
        return trial.suggest_categorical("rnn.cell", ["gru", "lstm"]) == "gru"

    study = optuna.create_study(direction="maximize", sampler=ControllerSampler(seed=1))
    study.optimize(objective, n_trials=30)
    for t in study.trials:
        assert t.user_attrs["controller"]["decisions"] == list(t.params)


LEARNING = ["reinforce", "ppo", "pqt"]


@pytest.mark.parametrize("learning", LEARNING)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_better_choice_becomes_clearly_more_likely(seed, learning):
    dist = CategoricalDistribution(["a", "b", "c", "d", "e"])
    sampler = ControllerSampler(seed=seed, learning=learning)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    before = sampler.choice_probabilities(study, "op", dist)[2]
    study.optimize(lambda t: float(t.suggest_categorical("op", dist.choices) == "c"), n_trials=40)
    after = sampler.choice_probabilities(study, "op", dist)[2]
    assert before < 0.3 and after > 0.6, (before, after)
    picks = [t.params["op"] == "c" for t in study.trials]
    assert sum(picks[-10:]) > sum(picks[:10])


def test_the_fast_bias_learns_the_better_choice_sooner():
    """The heads' biases learning at ``bias_lr`` at first (the default) is what makes a
    choice that is better on its own likely within a few tens of trials: after 15 trials,
    over five seeds, clearly more likely than with the biases at ``lr``."""
    dist = CategoricalDistribution(["a", "b", "c", "d", "e"])

    def after_15(seed, **options):
        sampler = ControllerSampler(seed=seed, **options)
        study = optuna.create_study(direction="maximize", sampler=sampler)
        study.optimize(lambda t: float(t.suggest_categorical("op", dist.choices) == "c"), n_trials=15)
        return sampler.choice_probabilities(study, "op", dist)[2]

    fast = np.mean([after_15(seed) for seed in range(5)])
    plain = np.mean([after_15(seed, bias_lr=None) for seed in range(5)])
    assert fast > plain + 0.1, (fast, plain)


@pytest.mark.parametrize("options, name", [({"bias_lr": 0.0}, "bias_lr"), ({"bias_anneal": -1}, "bias_anneal")])
def test_bad_bias_options_are_one_clear_error(options, name):
    with pytest.raises(ValueError, match=name):
        ControllerSampler(seed=0, **options)


def test_minimize_is_learned_as_well():
    dist = CategoricalDistribution([0, 1, 2, 3])
    sampler = ControllerSampler(seed=0)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.optimize(lambda t: float(t.suggest_categorical("x", dist.choices)), n_trials=40)
    assert sampler.choice_probabilities(study, "x", dist)[0] > 0.6


def _params(seed, learning="reinforce"):
    study = optuna.create_study(sampler=ControllerSampler(seed=seed, learning=learning))
    study.optimize(lambda t: sum(v for v in _all_kinds(t).values() if isinstance(v, (int, float))), n_trials=15)
    return [t.params for t in study.trials]


@pytest.mark.parametrize("learning", LEARNING)
def test_same_seed_same_sequence(learning):
    assert _params(3, learning) == _params(3, learning)
    assert _params(3, learning) != _params(4, learning)


@pytest.mark.parametrize("learning", ["ppo", "pqt"])
def test_start_up_trials_are_uniform_and_recorded_as_such(learning):
    sampler = ControllerSampler(seed=0, learning=learning, warmup=5)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(lambda t: float(t.suggest_categorical("op", list("abcd")) == "c"), n_trials=8)
    records = [t.user_attrs["controller"] for t in study.trials]
    for record in records[:5]:  # drawn uniformly: log(1/4) for the one decision
        assert record["log_probs"] == [pytest.approx(math.log(0.25))]
    assert any(r["log_probs"][0] != pytest.approx(math.log(0.25)) for r in records[5:])


def test_a_batch_of_sequences_equals_each_sequence_alone():

    from nas.samplers._controller._policy import Policy

    policy = Policy(hidden=16, temperature=1.0, tanh_constant=2.5, seed=0)
    for key, n in {"a": 3, "b": 4, "c": 2}.items():
        policy.ensure(key, n)
    batch = [(["a", "b", "c"], [1, 2, 0]), (["b", "a"], [3, 0]), (["c"], [1])]
    log_prob, entropy, valid = policy.sequences(batch)
    assert valid.sum(0).tolist() == [3, 2, 1]
    for b, (keys, indices) in enumerate(batch):
        alone, alone_entropy = policy.sequence(keys, indices)
        assert log_prob[:, b].sum().item() == pytest.approx(alone.item(), abs=1e-5)
        assert entropy[:, b].sum().item() == pytest.approx(alone_entropy.item(), abs=1e-5)


def test_failed_pruned_and_infeasible_trials_have_defined_rewards():
    def objective(trial):
        x = trial.suggest_categorical("x", ["fail", "prune", "bad", "ok"])
        trial.set_constraint("limit", 1.0 if x == "bad" else -1.0)
        if x == "fail":
            raise RuntimeError("boom")
        if x == "prune":
            trial.report(0.5, 0)
            raise optuna.TrialPruned
        return 1.0

    study = optuna.create_study(direction="maximize", sampler=ControllerSampler(seed=0))
    study.optimize(objective, n_trials=20, catch=(RuntimeError,))
    rewards = {t.params["x"]: t.user_attrs["controller"]["reward"] for t in study.trials}
    assert rewards["fail"] == -1.0 and rewards["bad"] == -1.0
    assert -1.0 <= rewards["prune"] <= 1.0
    diag = study.trials[-1].user_attrs["controller"]
    assert {"decisions", "log_prob", "entropy", "reward", "baseline", "learned_from"} <= set(diag)
    assert diag["log_prob"] < 0 and diag["entropy"] > 0


def test_multi_objective_studies_run_and_learn():
    def objective(trial):
        width = trial.suggest_categorical("width", [8, 16, 32, 64])
        depth = trial.suggest_int("depth", 1, 4)
        return width * depth / 256, float(width * depth)  # accuracy-like up, cost down

    sampler = ControllerSampler(seed=0, objective_weights=[1.0, 1.0])
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)
    study.optimize(objective, n_trials=25)
    assert len(study.best_trials) >= 1
    assert all("reward" in t.user_attrs["controller"] for t in study.trials)


WORKER = textwrap.dedent(
    """
    import sys, optuna
    from nas import ControllerSampler
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage, n, learning = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    def objective(t):
        op = t.suggest_categorical("op", ["a", "b", "c", "d"])
        k = t.suggest_int("k", 1, 9)
        lr = t.suggest_float("lr", 1e-4, 1e-1, log=True)
        return (op == "c") + k / 10 - abs(lr - 0.01)
    sampler = ControllerSampler(seed=0, learning=learning)
    study = optuna.load_study(study_name="s", storage=storage, sampler=sampler)
    if n:
        study.optimize(objective, n_trials=n)
    print(sampler.policy_fingerprint(study))
    """
)


def _worker(storage, n, learning="reinforce"):
    return subprocess.Popen([sys.executable, "-c", WORKER, storage, str(n), learning], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())


@pytest.mark.parametrize("learning", LEARNING)
def test_a_resumed_study_continues_from_the_learned_policy(tmp_path, learning):
    storage = f"sqlite:///{tmp_path / 's.db'}"
    optuna.create_study(study_name="s", storage=storage, direction="maximize")
    first, err = _worker(storage, 20, learning).communicate(timeout=300)
    assert first.strip(), err
    again, _ = _worker(storage, 0, learning).communicate(timeout=300)  # a new process
    assert again == first  # rebuilt the same policy from the store
    fresh = ControllerSampler(seed=0, learning=learning)
    untrained = fresh.policy_fingerprint(optuna.create_study(direction="maximize"))
    assert first.strip() != untrained  # it did learn, and that learning was recovered
    more, _ = _worker(storage, 5, learning).communicate(timeout=300)
    assert len(optuna.load_study(study_name="s", storage=storage).trials) == 25
    assert more != first


def test_two_workers_on_one_sqlite_file_share_one_policy(tmp_path):
    storage = f"sqlite:///{tmp_path / 's.db'}"
    optuna.create_study(study_name="s", storage=storage, direction="maximize")
    a, b = _worker(storage, 15), _worker(storage, 15)
    _out_a, err_a = a.communicate(timeout=300)
    _out_b, err_b = b.communicate(timeout=300)
    assert a.returncode == 0 and b.returncode == 0, err_a + err_b
    study = optuna.load_study(study_name="s", storage=storage)
    assert len(study.trials) == 30 and sorted(t.number for t in study.trials) == list(range(30))
    final, _ = _worker(storage, 0).communicate(timeout=300)
    # every process that catches up on the finished trials holds the same policy
    checker = ControllerSampler(seed=0)
    assert checker.policy_fingerprint(study) == final.strip()
    # each worker learned from trials the other one ran
    learned = [t.user_attrs["controller"]["learned_from"] for t in study.trials]
    assert max(learned) >= 25


# ---- cost: the work per trial must not grow with the study ------------------------------
def _policy_and_sequence():
    from nas.samplers._controller._policy import Policy

    policy = Policy(hidden=16, temperature=1.3, tanh_constant=2.5, seed=0)
    for key, n in {"a": 3, "b": 5, "c": 2}.items():
        policy.ensure(key, n)
    return policy, ["a", "b", "a", "c", "b"], [2, 4, 0, 1, 3]


def test_learning_from_a_whole_sequence_equals_the_step_by_step_policy():
    import torch

    policy, keys, indices = _policy_and_sequence()
    cell = policy.cell
    h = c = torch.zeros(1, policy.hidden)
    x, log_prob, entropy = policy.start, torch.zeros(()), torch.zeros(())
    for key, index in zip(keys, indices, strict=True):  # the textbook controller, in torch
        h, c = torch.lstm_cell(x, (h, c), cell.weight_ih, cell.weight_hh, cell.bias_ih,
                               cell.bias_hh)  # fmt: skip
        weight, bias, embedding = policy.head(key)
        logits = 2.5 * torch.tanh(torch.nn.functional.linear(h[0], weight, bias) / 1.3)
        log_p = torch.log_softmax(logits, -1)
        log_prob, entropy = log_prob + log_p[index], entropy - (log_p.exp() * log_p).sum()
        x = embedding[index : index + 1]
    fused_log_prob, fused_entropy = policy.sequence(keys, indices)
    assert fused_log_prob.item() == pytest.approx(log_prob.item(), abs=1e-5)
    assert fused_entropy.item() == pytest.approx(entropy.item(), abs=1e-5)
    params = list(policy.parameters())
    slow = torch.autograd.grad(log_prob + 0.1 * entropy, params, allow_unused=True)
    fast = torch.autograd.grad(fused_log_prob + 0.1 * fused_entropy, params, allow_unused=True)
    for a, b in zip(slow, fast, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            assert torch.allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("tanh_constant", [2.5, None])
def test_the_numpy_reinforce_gradient_equals_autograd(tanh_constant):
    """The hand-written REINFORCE gradient (forward, masked softmax, BPTT through the LSTM,
    heads used twice) is autograd's gradient of the same loss on Policy.sequence, and a
    step on it makes a rewarded sequence more likely."""
    from nas.samplers._controller._adam import PolicyAdam
    from nas.samplers._controller._gradient import reinforce_gradient

    policy, keys, indices = _policy_and_sequence()
    policy.tanh_constant = tanh_constant
    advantage, entropy_weight = -0.7, 0.2
    log_prob, entropy = policy.sequence(keys, indices)
    (-advantage * log_prob - entropy_weight * entropy).backward()
    gradient = reinforce_gradient(policy, keys, indices, advantage, entropy_weight)
    for name, p in policy.named_parameters():
        if name != "bank":
            np.testing.assert_allclose(gradient.core[name], p.grad.numpy(), atol=1e-6)
    expected = policy.bank.grad.numpy()
    np.testing.assert_allclose(gradient.bank, expected[gradient.rows], atol=1e-6)
    assert sorted(gradient.rows) == sorted(np.flatnonzero(expected.any(axis=1)))  # all used
    assert np.abs(expected).max() > 1e-3  # a gradient worth comparing
    before = policy.sequence(keys, indices)[0].item()
    PolicyAdam(policy, lr=0.05).apply(reinforce_gradient(policy, keys, indices, 1.0, 0.0))
    assert policy.sequence(keys, indices)[0].item() > before + 0.1


def test_learning_reuses_the_forward_pass_of_sampling_bit_for_bit(monkeypatch):
    """The forward pass a trial's sampling computed gives learning exactly (not only
    nearly) the gradient that recomputing it gives; a sampler reuses it while the policy
    has not moved, and a fresh process, which has to recompute, reaches the same policy."""
    from nas.samplers._controller import _sampler
    from nas.samplers._controller._gradient import reinforce_gradient
    from nas.samplers._controller._policy import Forward

    policy, keys, indices = _policy_and_sequence()
    state, states = policy.initial(), []
    for key, index in zip(keys, indices, strict=True):
        _, state = policy.step(state, key)
        states.append(state)
        state = policy.feed(state, key, index)
    reused = reinforce_gradient(policy, keys, indices, 0.4, 0.1, Forward.of(states))
    recomputed = reinforce_gradient(policy, keys, indices, 0.4, 0.1)
    for name, array in recomputed.core.items():
        assert np.array_equal(reused.core[name], array), name
    assert np.array_equal(reused.bank, recomputed.bank)
    assert np.abs(recomputed.bank).max() > 1e-4  # a gradient worth comparing

    calls = {"reused": 0, "recomputed": 0}

    def counting(*args):
        calls["reused" if args[-1] is not None else "recomputed"] += 1
        return reinforce_gradient(*args)

    monkeypatch.setattr(_sampler, "reinforce_gradient", counting)

    def objective(trial):
        ops = [trial.suggest_categorical(f"op{i}", ["a", "b", "c"]) for i in range(4)]
        return ops.count("a") - abs(math.log10(trial.suggest_float("lr", 1e-4, 1e-1, log=True)) + 2)

    study = optuna.create_study(sampler=ControllerSampler(seed=5), direction="maximize")
    study.optimize(objective, n_trials=25)
    assert calls == {"reused": 24, "recomputed": 0}  # the 25th is learned from on demand
    fresh = ControllerSampler(seed=5)  # a new process: nothing sampled here to reuse
    assert study.sampler.policy_fingerprint(study) == fresh.policy_fingerprint(study)
    assert calls["recomputed"] == 25

    # two threads: a trial sampled while the one before it ran was sampled by a policy
    # that has moved by the time it is learned from, so its forward pass is recomputed
    calls.update(reused=0, recomputed=0)

    def slow(trial):
        time.sleep(0.005)
        return objective(trial)

    threaded = optuna.create_study(sampler=ControllerSampler(seed=5), direction="maximize")
    threaded.optimize(slow, n_trials=30, n_jobs=2)
    fingerprint = threaded.sampler.policy_fingerprint(threaded)
    assert calls["recomputed"] > 0 and calls["reused"] > 0, calls
    assert fingerprint == ControllerSampler(seed=5).policy_fingerprint(threaded)


@pytest.mark.parametrize("bias_lr, bias_anneal", [(None, 0), (0.5, 6)])
def test_the_bank_optimizer_is_adam_on_one_tensor_per_head(bias_lr, bias_anneal):
    """Lazy Adam over the bank moves a head only when a trial used it, with the head's own
    step count: the same as torch's Adam on a separate tensor per head (a head with no
    gradient is skipped), step for step, also for a head that appears mid-study. With
    ``bias_lr``, the heads' bias column takes the same Adam steps at a rate falling from
    ``bias_lr`` to ``lr`` over ``bias_anneal`` steps, and nothing else changes."""
    import torch

    from nas.samplers._controller._adam import PolicyAdam

    policy, _, _ = _policy_and_sequence()
    heads = {key: torch.nn.Parameter(policy.bank.detach()[first : first + n].clone())
             for key, (first, n) in policy.spans.items()}  # fmt: skip
    biased = {key: torch.nn.Parameter(head.detach().clone()) for key, head in heads.items()}
    core = {name: torch.nn.Parameter(p.detach().clone())
            for name, p in policy.named_parameters() if name != "bank"}  # fmt: skip
    reference = torch.optim.Adam([*core.values(), *heads.values()], lr=0.05)
    bias_reference = torch.optim.Adam(list(biased.values()), lr=0.05)  # the biases' rate
    initial = policy.bank.detach().clone()
    optimizer = PolicyAdam(policy, lr=0.05, bias_lr=bias_lr, bias_anneal=bias_anneal)
    rng = np.random.default_rng(0)
    trials = [(["a", "b", "a"], [0, 4, 2]), (["c"], [1]), (["b", "c", "b", "c"], [1, 0, 2, 1])]
    steps = 0
    for round_ in range(4):
        if round_ == 2:  # a parameter seen for the first time: the bank grows
            assert policy.ensure("d", 4)
            first, n = policy.spans["d"]
            heads["d"] = torch.nn.Parameter(policy.bank.detach()[first : first + n].clone())
            biased["d"] = torch.nn.Parameter(heads["d"].detach().clone())
            reference.param_groups[0]["params"].append(heads["d"])
            bias_reference.param_groups[0]["params"].append(biased["d"])
            trials.append((["d", "a", "d"], [3, 1, 0]))
        for keys, indices in trials:  # each trial uses a different subset of heads
            advantage = float(rng.normal())
            optimizer.zero_grad()
            log_prob, entropy = policy.sequence(keys, indices)
            (-advantage * log_prob - 0.01 * entropy).backward()
            reference.zero_grad()
            bias_reference.zero_grad()
            for name, p in policy.named_parameters():
                if name != "bank":
                    core[name].grad = p.grad.clone()
            for key, (first, n) in policy.spans.items():
                grad = policy.bank.grad[first : first + n]
                heads[key].grad = grad.clone() if key in keys else None
                biased[key].grad = grad.clone() if key in keys else None
            expected = 0.05
            if bias_lr is not None and steps < bias_anneal:
                expected = bias_lr + (0.05 - bias_lr) * steps / bias_anneal
            assert optimizer.bias_rate() == pytest.approx(expected)
            bias_reference.param_groups[0]["lr"] = expected
            optimizer.step()
            reference.step()
            bias_reference.step()
            steps += 1
    for name, p in policy.named_parameters():
        if name != "bank":
            assert torch.allclose(p, core[name], atol=1e-6), name
    bias = policy.hidden  # a bank row is (output weight, bias, input table)
    others = [c for c in range(policy.bank.shape[1]) if c != bias]
    for key, (first, n) in policy.spans.items():
        head = policy.bank[first : first + n]
        assert torch.allclose(head[:, others], heads[key][:, others], atol=1e-6), key
        assert torch.allclose(head[:, bias], biased[key][:, bias], atol=1e-6), key
    assert not torch.allclose(policy.bank[: len(initial)], initial, atol=1e-3)  # they moved it
    if bias_lr is not None:  # and the faster rate is not what the plain reference gives
        assert not all(torch.allclose(policy.bank[first : first + n, bias], heads[key][:, bias],
                                      atol=1e-3) for key, (first, n) in policy.spans.items())  # fmt: skip


def test_a_draw_follows_the_softmax_and_reports_its_log_probability_and_entropy():
    """The plain-Python draw: the choice u lands on in the softmax's cumulative
    distribution (each choice gets exactly its probability's share of [0, 1)), that
    choice's log-probability and the entropy, as numpy computes them."""
    from nas.samplers._controller._sampler import _draw

    logits = [0.3, -1.2, 2.0, 2.0, -30.0]
    p = np.exp(np.array(logits) - max(logits))
    p /= p.sum()
    edges = np.concatenate([[0.0], np.cumsum(p)])
    for u in np.linspace(0.0, 1.0, 1001, endpoint=False):
        index, log_p, entropy = _draw(logits, float(u))
        assert edges[index] <= u + 1e-12 and u < edges[index + 1] + 1e-12
        assert log_p == pytest.approx(math.log(p[index]))
        assert entropy == pytest.approx(float(-(p * np.log(p)).sum()))
    assert [_draw([0.0, 0.0, 0.0], u)[0] for u in (0.0, 0.33, 0.34, 0.66, 0.67, 0.999)] == [
        0, 0, 1, 1, 2, 2
    ]


def _sampled_log_prob(policy, keys, indices):
    """Log-probability of the sequence through the sampling path (numpy steps)."""
    state, total = policy.initial(), 0.0
    for key, index in zip(keys, indices, strict=True):
        logits, state = policy.step(state, key)
        z = logits.astype(np.float64) - logits.max()
        total += z[index] - np.log(np.exp(z).sum())
        state = policy.feed(state, key, index)
    return total


def test_sampling_in_numpy_follows_the_policy_that_learning_updates():
    """The numpy step (sampling) gives the log-probabilities the torch graph (learning)
    differentiates, before and after an optimizer step changes the weights in place, and
    a copy of the policy samples from its own weights."""
    import copy

    import torch

    policy, keys, indices = _policy_and_sequence()
    before = _sampled_log_prob(policy, keys, indices)
    assert before == pytest.approx(policy.sequence(keys, indices)[0].item(), abs=1e-5)
    from nas.samplers._controller._adam import PolicyAdam

    optimizer = PolicyAdam(policy, lr=0.1)
    (-policy.sequence(keys, indices)[0]).backward()
    optimizer.step()
    after = policy.sequence(keys, indices)[0].item()
    assert after > before + 0.1
    assert _sampled_log_prob(policy, keys, indices) == pytest.approx(after, abs=1e-5)
    clone = copy.deepcopy(policy)
    with torch.no_grad():
        clone.head("a")[1].add_(1.0)
    changed = clone.sequence(keys, indices)[0].item()
    assert changed != pytest.approx(after, abs=1e-3)
    assert _sampled_log_prob(clone, keys, indices) == pytest.approx(changed, abs=1e-5)
    assert _sampled_log_prob(policy, keys, indices) == pytest.approx(after, abs=1e-5)


def _count_reads(study, objective, n_trials):
    reads = []
    get_trials = study._storage.get_all_trials
    study._storage.get_all_trials = lambda *a, **k: reads.append(1) or get_trials(*a, **k)
    study.optimize(objective, n_trials=n_trials)
    return len(reads)


def _three_params(trial):
    return (trial.suggest_float("lr", 1e-4, 1.0, log=True) + trial.suggest_int("n", 0, 3)
            + trial.suggest_float("wd", 1e-6, 1e-2, log=True))  # fmt: skip


def test_shared_numeric_params_are_drawn_together_and_conditional_ones_alone():
    """After the inner TPE's start-up, the delegated ranges every trial has (lr, wd) come
    from one relative call over the window; a conditional one from sample_independent;
    the controller's own decisions from neither."""

    def objective(trial):
        value = _three_params(trial)
        if trial.suggest_categorical("extra", [False, True]):
            value += trial.suggest_float("momentum", 0.5, 0.99)
        return value

    study = optuna.create_study(sampler=ControllerSampler(seed=0, inner_window=50))
    study.optimize(objective, n_trials=12)
    inner, calls = study.sampler._inner, []
    relative, independent = inner.sample_relative, inner.sample_independent

    def spy_relative(view, trial, space):
        calls.append(("relative", sorted(space), len(view._get_trials(deepcopy=False))))
        return relative(view, trial, space)

    def spy_independent(view, trial, name, dist):
        calls.append(("independent", name))
        return independent(view, trial, name, dist)

    inner.sample_relative, inner.sample_independent = spy_relative, spy_independent
    study.optimize(objective, n_trials=4)
    drawn = [c for c in calls if c[0] == "relative"]
    assert drawn == [("relative", ["lr", "wd"], n + 1) for n in range(12, 16)]  # window: all
    assert {c for c in calls if c[0] == "independent"} <= {("independent", "momentum")}
    assert all({"lr", "wd"} <= set(t.params) for t in study.trials)
    relative_params = study.trials[-1].params
    assert 1e-4 <= relative_params["lr"] <= 1.0 and 1e-6 <= relative_params["wd"] <= 1e-2


@pytest.mark.parametrize("inner", [None, optuna.samplers.TPESampler(seed=1)])
def test_one_sampler_serves_one_study_after_another(tmp_path, inner):
    """Optuna's relative sampling caches one study's search space (a second study on the
    store is a ValueError there); the controller starts each study with a fresh inner
    sampler."""
    sampler = ControllerSampler(seed=0, inner_sampler=inner)
    for _ in range(2):
        study = optuna.create_study(sampler=sampler, storage=f"sqlite:///{tmp_path / 's.db'}")
        study.optimize(_three_params, n_trials=13)
        assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 13


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_trial_reads_the_storage_at_most_once_and_the_inner_sampler_sees_a_window(
    tmp_path, store
):
    """In memory the controller reads the trials once per trial; on an RDB store it reads
    the cache that ``Study.ask`` has just synced, so it adds no read to Optuna's own."""
    import torch

    def create(sampler):
        url = None if store == "memory" else f"sqlite:///{tmp_path / 's.db'}"
        return optuna.create_study(sampler=sampler, storage=url)

    study = create(ControllerSampler(seed=0, inner_window=5))
    study.optimize(_three_params, n_trials=12)
    seen = []
    inner = study.sampler._inner
    original = inner.sample_independent

    def spy(view, trial, name, dist):
        seen.append([t.number for t in view._get_trials(deepcopy=False, states=None)])
        return original(view, trial, name, dist)

    inner.sample_independent = spy
    threads = torch.get_num_threads()
    reads = _count_reads(study, _three_params, 3)
    # the last 5 trials, whatever the study's size (the running trial included)
    assert seen == [list(range(n - 4, n + 1)) for n in (12, 12, 13, 13, 14, 14)]
    assert torch.get_num_threads() == threads  # the policy's single-thread section restored it
    floor = create(optuna.samplers.RandomSampler(seed=0))  # reads only what Optuna does
    floor.optimize(_three_params, n_trials=12)
    assert reads == _count_reads(floor, _three_params, 3) + (3 if store == "memory" else 0)
