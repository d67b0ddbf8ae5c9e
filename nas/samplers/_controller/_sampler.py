"""ControllerSampler: an LSTM controller trained with REINFORCE, as an Optuna sampler.

Zoph & Le (2017) and ENAS (Pham et al. 2018): every parameter a trial suggests is one
step of an LSTM that conditions on the decisions before it. ``learning="ppo"``: the first
``warmup`` trials are drawn uniformly, and after each finished trial the policy takes
several clipped policy-gradient steps over a replay of recent trials (``_replay.py``);
``learning="reinforce"``: one REINFORCE step per trial with an exponential-moving-average
baseline and an entropy bonus. It works with any define-by-run objective, not only nas
search spaces::

    import optuna, nas
    study = optuna.create_study(sampler=nas.ControllerSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=50)

**The policy is never lost or forked.** It is a deterministic function of the seed and of
the finished trials, learned from in trial-number order (only the finished prefix: a
trial that is still running holds back the ones after it; one whose worker died is failed
by the study's heartbeat check, skipped, and learned from through its retry). Each
process that samples for a study first catches up on the trials it has not learned from
yet, so a study resumed in a new process, or shared by several workers on one storage,
continues from the same policy. Each trial stores its decision order and diagnostics in
the ``controller`` user attr (one storage write per trial); the rest is recomputed from
its params.
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState

from nas.base.optuna_compat import (
    TrialWindow,
    cached_trials,
    study_id,
    trial_id,
    trials_as_of_ask,
)
from nas.samplers._controller._adam import PolicyAdam
from nas.samplers._controller._decisions import Decision, decision_for
from nas.samplers._controller._gradient import reinforce_gradient
from nas.samplers._controller._numeric import NumericTPE
from nas.samplers._controller._policy import Forward, Policy, RolloutState
from nas.samplers._controller._record import ControllerRecord
from nas.samplers._controller._replay import Experience, ReplayConfig, ReplayLearner
from nas.samplers._controller._reward import RankReward

LEARNING = ("ppo", "pqt", "reinforce")
WARMUP = 10  # uniform start-up trials of the ppo and pqt learners
# (replay size, steps per trial): ppo replays recent trials; pqt imitates the best few
REPLAY_DEFAULTS = {"ppo": (64, 4), "pqt": (10, 1)}
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def _softmax_weights(logits: list[float]) -> tuple[float, list[float], float]:
    """``softmax(logits)`` unnormalised: the largest logit, ``exp(logit - largest)`` of
    each, and their sum. Plain Python: a head has a handful of choices, and a dozen numpy
    calls on them cost more than the arithmetic."""
    top = max(logits)
    weights = [math.exp(z - top) for z in logits]
    return top, weights, sum(weights)


def _draw(logits: list[float], u: float) -> tuple[int, float, float]:
    """The choice that ``u`` (uniform in [0, 1)) draws from ``softmax(logits)``, its
    log-probability, and the distribution's entropy."""
    top, weights, total = _softmax_weights(logits)
    log_total = math.log(total)
    target, running, index = u * total, 0.0, len(weights) - 1
    for k, weight in enumerate(weights):
        running += weight
        if target < running:
            index = k
            break
    entropy = log_total - sum(w * (z - top) for w, z in zip(weights, logits, strict=True)) / total
    return index, logits[index] - top - log_total, entropy


def _same(known: BaseDistribution, dist: BaseDistribution) -> bool:
    """``known == dist``, fast for the usual case: every suggest call makes a new but equal
    distribution, and comparing attribute dicts directly is several times cheaper than
    Optuna's choice-by-choice ``__eq__`` (which this falls back to, e.g. for NaN choices)."""
    if known is dist:
        return True
    if type(known) is type(dist) and known.__dict__ == dist.__dict__:
        return True
    return known == dist


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run the policy's tiny tensor ops on one thread: with several, each op pays for waking
    a thread pool (measured: a 100-tensor Adam update 9x slower on 2 busy cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@dataclass
class _Rollout:
    state: RolloutState
    rng: np.random.Generator  # the trial's draws, in suggest order
    view: TrialWindow  # the study as before_trial read it, as the inner sampler sees it
    version: int  # of the policy when the rollout began
    names: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # the decisions' heads
    indices: list[int] = field(default_factory=list)  # and choices
    states: list[RolloutState] = field(default_factory=list)  # after each step
    log_prob: float = 0.0
    log_probs: list[float] = field(default_factory=list)
    entropy: float = 0.0


@dataclass(frozen=True)
class _Sampled:
    """A finished rollout's forward pass, kept until the trial is learned from: if the
    policy has not moved since (one worker, trials in turn), learning reuses it instead
    of running the LSTM over the decisions again."""

    version: int
    keys: list[str]
    indices: list[int]
    states: list[RolloutState]  # after each step: the forward pass (``Forward.of``)


class ControllerSampler(BaseSampler):
    """LSTM controller trained with REINFORCE (see the module docs).

    Args:
        seed: seeds the policy's initial weights and every trial's draws.
        hidden_size: LSTM hidden size. The defaults of ``hidden_size`` (32) and
            ``entropy_weight`` (0.03) were tuned on one synthetic problem and checked on two
            others (BENCHMARKS.md): a larger, less regularised policy commits too early.
        lr: Adam learning rate of the policy.
        bias_lr, bias_anneal: the learning rate of each decision's output bias (its
            preference whatever the LSTM state) for the first optimizer steps, falling
            linearly to ``lr`` over ``bias_anneal`` steps (one per trial with
            ``reinforce``); None: ``lr`` throughout. A few tens of rewards already say
            which choices are better on their own; 0.1 over 100 trials made the policy
            catch TPE by about 60 trials instead of about 100, on four synthetic problems
            (BENCHMARKS.md).
        entropy_weight: weight of the entropy bonus (keeps exploring).
        baseline_decay: decay of the moving-average reward baseline.
        temperature: logits are divided by it before the tanh squashing.
        tanh_constant: logits become ``tanh_constant * tanh(logits)``; None disables.
        numeric: ``"inner"`` (default): wide int/float ranges (a learning rate, say) go to
            ``inner_sampler``; ``"bins"``: they are ``bins`` controller choices with a
            uniform draw inside the chosen bin. Categorical and small int/stepped ranges
            are always controller decisions. The default won on the synthetic benchmark
            (BENCHMARKS.md): it matched TPE's best value and beat it on recent trials.
        bins: number of bins for wide numeric ranges.
        inner_sampler: sampler for delegated numeric parameters (default: ``NumericTPE``,
            Optuna's TPE algorithm and defaults for int and float ranges at about half its
            cost per draw, ``_numeric.py``; e.g. ``optuna.samplers.TPESampler()`` for
            Optuna's own); it sees the trial window, and its relative sampling is used
            for the delegated parameters that all recent trials share.
        inner_window: the inner sampler sees only this many most recent trials (None: all),
            which keeps the cost of a trial flat as the study grows. 100 and 200 gave the
            same regret on the synthetic benchmark (40 seeds, BENCHMARKS.md); 100 costs
            TPE half the time.
        failure_reward: reward of failed trials (rewards lie in [-1, 1]).
        infeasible_reward: reward of trials violating a constraint.
        objective_weights: weights of the per-objective ranks in multi-objective studies.
        learning: ``"ppo"`` (clipped steps over a replay) or ``"reinforce"`` (one step).
        warmup: trials drawn uniformly before the policy samples (None: 10 with ppo, 0
            with reinforce); learned from off-policy.
        replay, ppo_epochs, clip, entropy_start, anneal: the replay size (ppo: the last
            64 trials; pqt: the best 10), steps per trial (ppo 4, pqt 1), ppo's ratio clip,
            and the entropy bonus decaying from ``entropy_start`` to ``entropy_weight``
            over ``anneal`` trials (see ``ReplayConfig``).
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        hidden_size: int = 32,
        lr: float = 0.01,
        bias_lr: float | None = 0.1,
        bias_anneal: int = 100,
        entropy_weight: float = 0.03,
        baseline_decay: float = 0.9,
        temperature: float = 1.0,
        tanh_constant: float | None = 2.5,
        numeric: str = "inner",
        bins: int = 10,
        inner_sampler: BaseSampler | None = None,
        inner_window: int | None = 100,
        failure_reward: float = -1.0,
        infeasible_reward: float = -1.0,
        objective_weights: Sequence[float] | None = None,
        learning: str = "reinforce",
        warmup: int | None = None,
        replay: int | None = None,
        ppo_epochs: int | None = None,
        clip: float = 0.2,
        entropy_start: float = 0.05,
        anneal: int = 50,
    ) -> None:
        if learning not in LEARNING:
            raise ValueError(f"learning must be one of {', '.join(LEARNING)}, got {learning!r}")
        if numeric not in ("bins", "inner"):
            raise ValueError(f"numeric must be 'bins' or 'inner', got {numeric!r}")
        if bias_lr is not None and not bias_lr > 0:
            raise ValueError(f"bias_lr must be positive or None, got {bias_lr}")
        if bias_anneal < 0:
            raise ValueError(f"bias_anneal must be at least 0, got {bias_anneal}")
        if bins < 2:
            raise ValueError(f"bins must be at least 2, got {bins}")
        if inner_window is not None and inner_window < 1:
            raise ValueError(f"inner_window must be at least 1 or None, got {inner_window}")
        self._seed = (
            int(np.random.SeedSequence(seed).generate_state(1)[0]) if seed is None else seed
        )
        self._config = dict(
            hidden=hidden_size, temperature=temperature, tanh_constant=tanh_constant
        )
        self._lr, self._entropy_weight, self._baseline_decay = lr, entropy_weight, baseline_decay
        self._bias = dict(bias_lr=bias_lr, bias_anneal=bias_anneal)
        self._numeric, self._bins = numeric, bins
        self._inner_sampler = inner_sampler
        self._window = inner_window
        self._reward_args = (failure_reward, infeasible_reward, objective_weights)
        self._learning = learning
        self._warmup = (0 if learning == "reinforce" else WARMUP) if warmup is None else warmup
        size, epochs = REPLAY_DEFAULTS.get(learning, (1, 1))
        self._replay_config = ReplayConfig(
            replay or size, ppo_epochs or epochs, clip, entropy_start, anneal
        )
        self._lock = threading.RLock()
        self._rollouts: dict[int, _Rollout] = {}
        self._sampled: dict[int, _Sampled] = {}  # by trial number
        # name -> (distribution, decision): a space asks the same few dozen, every trial
        self._decisions: dict[str, tuple[BaseDistribution, Decision | None]] = {}
        self._reset()

    # ---- policy state -------------------------------------------------------------
    def _reset(self) -> None:
        """Forget everything learned: the state a fresh process starts from."""
        self._policy = Policy(seed=self._seed, **self._config)
        self._optimizer = PolicyAdam(self._policy, lr=self._lr, **self._bias)
        self._rewards = RankReward(*self._reward_args)
        self._learner = ReplayLearner(
            self._replay_config, self._policy, self._optimizer, self._rewards
        )
        self.baseline = 0.0
        self._learned = 0  # trials [0, _learned) have been learned from
        self._sampled = {}
        # a fresh inner sampler per study: Optuna's relative sampling caches one study's
        # search space. No constant liar (NumericTPE has none; a TPESampler passed in
        # keeps its own setting): sharing a running trial's relative params costs a
        # storage write per trial, and the policy's draws spread workers.
        self._inner = (
            copy.deepcopy(self._inner_sampler)
            if self._inner_sampler is not None
            else NumericTPE(seed=self._seed)
        )
        self._study_id: int | None = None

    def _ensure(self, decision: Decision) -> None:
        self._policy.ensure(decision.key, decision.n)

    def _decision(self, name: str, dist: BaseDistribution) -> Decision | None:
        known = self._decisions.get(name)
        if known is not None and _same(known[0], dist):
            return known[1]  # comparing is cheap; hashing a distribution is not
        decision = (
            None
            if dist.single()
            else decision_for(name, dist, self._bins, self._numeric == "inner")
        )
        self._decisions[name] = (dist, decision)
        return decision

    # ---- learning -----------------------------------------------------------------
    def _catch_up(self, study: Study, *, in_ask: bool = False) -> list[FrozenTrial]:
        """Learn from finished trials not yet learned from, in trial-number order.

        Returns the study's trials, read once; inside ``Study.ask`` (``before_trial``) from
        the trial cache that ask has just synced, so a trial costs no storage read here.
        """
        if self._study_id != study_id(study):
            self._reset()
            self._study_id = study_id(study)
        trials = trials_as_of_ask(study) if in_ask else cached_trials(study)
        while self._learned < len(trials) and trials[self._learned].state in _FINISHED:
            self._learn(study, trials[self._learned])
            self._learned += 1
        for number in [n for n in self._sampled if n < self._learned]:
            del self._sampled[number]  # skipped (a failed trial), or learned elsewhere
        return trials

    def _decisions_of(self, trial: FrozenTrial) -> list[tuple[Decision, int]]:
        # none recorded: sampled elsewhere, or re-run with fixed params (a crashed trial's
        # retry): learn from its params in their stored (suggest) order
        record = ControllerRecord.read(trial)
        names = (record.decisions if record is not None else None) or list(trial.params)
        out = []
        for name in names:
            if name not in trial.distributions:
                continue
            decision = self._decision(name, trial.distributions[name])
            if decision is not None:
                try:
                    out.append((decision, decision.index(trial.params[name])))
                except ValueError:  # a value this decision cannot produce (e.g. enqueued)
                    continue
        return out

    def _learn(self, study: Study, trial: FrozenTrial) -> None:
        if trial.state == TrialState.FAIL and ControllerRecord.read(trial) is None:
            # its process died before reporting (SIGKILL, a lost machine): not the
            # architecture's fault, and the retry of its params is learned from instead
            return
        reward = self._rewards.score(
            trial.state, trial.values, trial.constraints, study.directions, record=True
        )
        decisions = self._decisions_of(trial)
        advantage = reward - self.baseline
        self.baseline = self._baseline_decay * self.baseline + (1 - self._baseline_decay) * reward
        for decision, _ in decisions:
            self._ensure(decision)
        with torch.enable_grad():  # callers may hold no_grad
            if self._learning in ("ppo", "pqt"):
                learn = self._learner.learn if self._learning == "ppo" else self._learner.imitate
                entropy = self._learner.entropy_weight(self._learned, self._entropy_weight)
                learn(self._experience(trial, decisions), study.directions, entropy)
            if self._learning != "ppo" and decisions:
                self._reinforce(decisions, advantage, self._sampled.pop(trial.number, None))

    def _experience(self, trial: FrozenTrial, decisions: list[tuple[Decision, int]]) -> Experience:
        """``trial`` for the replay, with the log-probability of its choices under the
        policy that drew them: its record's, or (enqueued, retried, another sampler's)
        the current policy's, so it enters the replay on-policy."""
        keys, indices = [d.key for d, _ in decisions], [i for _, i in decisions]
        record = ControllerRecord.read(trial)
        if record is not None and record.log_probs and len(record.log_probs) == len(keys):
            behaviour = list(record.log_probs)
        elif keys:
            with torch.no_grad():
                behaviour = self._policy.sequences([(keys, indices)])[0][:, 0].tolist()
        else:
            behaviour = []
        return Experience(keys, indices, behaviour, trial.state, trial.values, trial.constraints)

    def _reinforce(
        self, decisions: list[tuple[Decision, int]], advantage: float, sampled: _Sampled | None
    ) -> None:
        """One REINFORCE step: raise the log-probability of these decisions by advantage
        (the gradient by hand in numpy, ``_gradient.py``: a quarter of autograd's cost),
        reusing the forward pass of the trial's sampling when it is this one."""
        keys, indices = [d.key for d, _ in decisions], [i for _, i in decisions]
        forward = None
        if (
            sampled is not None
            and sampled.version == self._policy.version
            and (sampled.keys, sampled.indices) == (keys, indices)
        ):
            forward = Forward.of(sampled.states)
        gradient = reinforce_gradient(
            self._policy, keys, indices, advantage, self._entropy_weight, forward
        )
        self._optimizer.apply(gradient)

    def policy_fingerprint(self, study: Study) -> str:
        """SHA-256 of the policy after catching up on ``study``: equal means same policy."""
        import hashlib

        with self._lock, _one_thread():
            self._catch_up(study)
            digest = hashlib.sha256()
            for name, tensor in sorted(self._policy.heads_state().items()):
                digest.update(name.encode())
                digest.update(tensor.detach().numpy().tobytes())
            return digest.hexdigest()

    def policy_state(self, study: Study) -> dict[str, torch.Tensor]:
        """The policy's weights after catching up on ``study`` (a copy, to save): the
        LSTM cell's, ``start``, and each decision's head as ``head:<name>|<distribution>``."""
        with self._lock, _one_thread():
            self._catch_up(study)
            return {k: v.detach().clone() for k, v in self._policy.heads_state().items()}

    def choice_probabilities(
        self, study: Study, name: str, distribution: BaseDistribution
    ) -> list[float]:
        """Probabilities of each choice if ``name`` were the first decision of a trial."""
        decision = self._decision(name, distribution)
        if decision is None:
            raise ValueError(f"{name} is not a controller decision")
        with self._lock, _one_thread():
            self._catch_up(study)
            self._ensure(decision)
            logits, _ = self._policy.step(self._policy.initial(), decision.key)
            _, weights, total = _softmax_weights(logits.tolist())
            return [w / total for w in weights]

    # ---- Optuna's sampler interface ------------------------------------------------
    def reseed_rng(self) -> None:
        self._inner.reseed_rng()

    # The delegated numeric parameters that every recent trial shares (a learning rate and
    # a weight decay, say) are drawn together, by one relative (multivariate) call of the
    # inner sampler over the trial window: one pass over the window for all of them
    # instead of one per parameter, and the joint density of the good trials. The rest
    # (conditional ones, or before the inner sampler's start-up) come one by one
    # through sample_independent.
    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        rollout = self._rollouts.get(trial_id(trial))
        if rollout is None or self._numeric != "inner":
            return {}
        space = self._inner.infer_relative_search_space(rollout.view, trial)  # type: ignore[arg-type]
        return {n: d for n, d in space.items() if self._decision(n, d) is None}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        rollout = self._rollouts.get(trial_id(trial))
        if rollout is None or not search_space:
            return {}
        return self._inner.sample_relative(rollout.view, trial, search_space)  # type: ignore[arg-type]

    def _rollout(self, study: Study, trial: FrozenTrial, trials: list[FrozenTrial]) -> _Rollout:
        rng = np.random.default_rng([self._seed, trial.number])
        view = TrialWindow(study, trials, self._window)
        return _Rollout(self._policy.initial(), rng, view, self._policy.version)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        with self._lock, _one_thread():
            trials = self._catch_up(study, in_ask=True)
            self._rollouts[trial_id(trial)] = self._rollout(study, trial, trials)
        self._inner.before_trial(study, trial)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        decision = self._decision(param_name, param_distribution)
        rollout = self._rollouts.get(trial_id(trial))
        if rollout is None:  # a trial that did not pass through before_trial
            rollout = self._rollouts.setdefault(
                trial_id(trial), self._rollout(study, trial, cached_trials(study))
            )
        if decision is None:  # delegated numeric range (numeric="inner")
            return self._inner.sample_independent(
                rollout.view,  # type: ignore[arg-type]
                trial,
                param_name,
                param_distribution,
            )
        # the policy samples in numpy (Policy.step): no torch op, so no thread pool to pin
        with self._lock:
            self._ensure(decision)
            logits, state = self._policy.step(rollout.state, decision.key)
            # start-up trials are uniform, and learned from off-policy
            z = [0.0] * decision.n if trial.number < self._warmup else logits.tolist()
            index, chosen, entropy = _draw(z, rollout.rng.random())
            rollout.state = self._policy.feed(state, decision.key, index)
            rollout.names.append(param_name)
            rollout.keys.append(decision.key)
            rollout.indices.append(index)
            rollout.states.append(state)
            rollout.log_prob += chosen
            rollout.log_probs.append(chosen)
            rollout.entropy += entropy
            return decision.value(index, rollout.rng)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        with self._lock:
            rollout = self._rollouts.pop(trial_id(trial), None)
            if rollout is not None:
                ControllerRecord(
                    decisions=rollout.names,
                    log_prob=rollout.log_prob,
                    entropy=rollout.entropy,
                    reward=self._rewards.score(state, values, trial.constraints, study.directions),
                    baseline=self.baseline,
                    learned_from=self._learned,
                    log_probs=rollout.log_probs,
                ).write(study, trial)
                if rollout.states and self._learning == "reinforce":
                    self._sampled[trial.number] = _Sampled(
                        rollout.version, rollout.keys, rollout.indices, rollout.states
                    )
        self._inner.after_trial(study, trial, state, values)
