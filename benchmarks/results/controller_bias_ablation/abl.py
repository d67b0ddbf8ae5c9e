# Ad-hoc ablation of the controller's early learning (2026-12-07):
#   python abl.py PROBLEM SEEDS TRIALS ctrl,bias=10,decay=100 ...
import sys, statistics, itertools, warnings, math
import numpy as np
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))  # benchmarks/
warnings.filterwarnings("ignore")
import optuna, nas
optuna.logging.set_verbosity(optuna.logging.WARNING)
from controller_synthetic import make_problem
from nas.samplers._controller import _adam as A
COLX = {}
orig_apply = A.PolicyAdam.apply
def apply(self, gradient):
    beta1, beta2 = self.betas
    arrays = self.policy.arrays()
    self.policy.version += 1
    for name, g in gradient.core.items():
        mo = self._core[name]; mo.steps += 1; step = float(mo.steps[0])
        mo.m += (1 - beta1) * (g - mo.m); mo.v *= beta2; mo.v += (1 - beta2) * g * g
        denom = np.sqrt(mo.v) / math.sqrt(1 - beta2**step) + self.eps
        arrays[name] -= (self.lr * COLX.get("core", 1.0) / (1 - beta1**step)) * mo.m / denom
    bank = arrays["bank"]; self._grow(bank.shape[0])
    moving = gradient.bank.any(axis=1)
    rows, g = gradient.rows[moving], gradient.bank[moving]
    if not len(rows): return
    mo = self._bank; steps = mo.steps[rows] + 1
    m = mo.m[rows]; m += (1 - beta1) * (g - m)
    v = mo.v[rows] * beta2 + (1 - beta2) * g * g
    mo.steps[rows], mo.m[rows], mo.v[rows] = steps, m, v
    n = self.policy.hidden
    mult = np.ones(bank.shape[1], np.float32); b = COLX.get("bias", 1.0); N = COLX.get("decay"); b = b if N is None else 1 + (b - 1) * max(0.0, 1 - self.policy.version / N); mult[n] = b; mult[:n] = COLX.get("w", 1.0); mult[n+1:] = COLX.get("table", 1.0)
    step_size = (self.lr / (1 - beta1**steps))[:, None] * mult[None, :]
    denom = np.sqrt(v) / np.sqrt(1 - beta2**steps)[:, None] + self.eps
    bank[rows] -= (step_size * m / denom).astype(np.float32)
A.PolicyAdam.apply = apply
import bisect
from nas.samplers._controller import _reward as R
SHAPE = {}
def _rank(self, i, score, record):
    seen = self._seen[i]
    if not seen: reward = 0.0
    else:
        below = bisect.bisect_left(seen, score); ties = bisect.bisect_right(seen, score) - below
        q = (below + 0.5 * ties) / len(seen)
        p = SHAPE.get("p", 1.0)
        reward = 2.0 * q ** p - 1.0
    if record: bisect.insort(seen, score)
    return reward
R.RankReward._rank = _rank
TYPES = {"warmup": int, "entropy_weight": float, "lr": float, "hidden_size": int, "baseline_decay": float, "tanh_constant": float, "temperature": float}
def make(name, seed):
    if name == "random": return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe": return optuna.samplers.TPESampler(seed=seed)
    kw = {}; COLX.clear(); SHAPE.clear()
    for part in name.split(",")[1:]:
        k, v = part.split("=")
        if k in ("bias", "w", "table", "core", "decay"): COLX[k] = float(v); continue
        if k == "p": SHAPE["p"] = float(v); continue
        kw[k] = TYPES[k](v)
    return nas.ControllerSampler(seed=seed, **kw)
problem, seeds, trials = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
objective, optimum = make_problem(problem)
marks = [m for m in (30, 60, 100) if m < trials] + [trials]
for name in sys.argv[4:]:
    rows = []
    for seed in range(seeds):
        study = optuna.create_study(direction="maximize", sampler=make(name, seed))
        study.optimize(objective, n_trials=trials)
        best = list(itertools.accumulate([t.value for t in study.trials], max))
        rows.append([optimum - best[m - 1] for m in marks])
    cols = list(zip(*rows))
    print(f"p{problem} {name:34s} " + "  ".join(f"@{m}:{statistics.mean(c):.2f}±{statistics.stdev(c)/len(c)**.5:.2f}" for m, c in zip(marks, cols)) + f"  worst:{max(cols[-1]):.2f}", flush=True)
