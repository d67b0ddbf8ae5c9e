import sys, statistics, itertools, warnings, torch
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
warnings.filterwarnings("ignore")
import optuna, nas
optuna.logging.set_verbosity(optuna.logging.WARNING)
from controller_synthetic import make_problem
from nas.samplers._controller import _policy as P
problem = int(sys.argv[1]); seeds = int(sys.argv[2]); trials = int(sys.argv[3]); names = sys.argv[4:]
objective, optimum = make_problem(problem)
orig_ensure = P.Policy.ensure
def zero_ensure(self, key, n):
    new = orig_ensure(self, key, n)
    if new:
        first, m = self.spans[key]
        with torch.no_grad():
            self.bank[first:first+m, :self.hidden+1] = 0.0
        self._arrays = {}
    return new
from nas.samplers._controller import _sampler as S
orig_learn = S.ControllerSampler._learn
SCHED = {}
def sched_learn(self, study, trial):
    if SCHED:
        lr0, lr1, n = SCHED["lr0"], SCHED["lr1"], SCHED["n"]
        lr = lr1 + (lr0 - lr1) * max(0.0, 1 - self._learned / n)
        self._optimizer.lr = lr
        for g in self._optimizer._core.param_groups: g["lr"] = lr
    return orig_learn(self, study, trial)
S.ControllerSampler._learn = sched_learn
def make(name, seed):
    if name == "random": return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe": return optuna.samplers.TPESampler(seed=seed)
    kw = {}; SCHED.clear()
    for part in name.split(",")[1:]:
        k, v = part.split("=")
        if k in ("lr0", "lr1", "n"): SCHED[k] = float(v); continue
        kw[k] = type_of(k)(v)
    return nas.ControllerSampler(seed=seed, **kw)
def type_of(k): return {"warmup": int, "entropy_weight": float, "lr": float, "hidden_size": int, "baseline_decay": float, "tanh_constant": float}[k]
marks = [m for m in (5, 10, 20, 30, 60) if m < trials] + [trials]
for name in names:
    zero = name.startswith("zero")
    P.Policy.ensure = zero_ensure if zero else orig_ensure
    rows = []
    for seed in range(seeds):
        study = optuna.create_study(direction="maximize", sampler=make(name.replace("zero", "ctrl"), seed))
        study.optimize(objective, n_trials=trials)
        best = list(itertools.accumulate([t.value for t in study.trials], max))
        rows.append([optimum - best[m - 1] for m in marks])
    means = [statistics.mean(c) for c in zip(*rows)]
    worst = max(r[-1] for r in rows)
    print(f"{name:40s} " + "  ".join(f"@{m}:{v:.2f}" for m, v in zip(marks, means)) + f"  worst@{trials}:{worst:.2f}", flush=True)
