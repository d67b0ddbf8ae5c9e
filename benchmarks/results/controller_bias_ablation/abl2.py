# The committed options (2026-12-07):
#   python abl2.py PROBLEM SEEDS TRIALS name,bias_lr=0.1,bias_anneal=100 ...
import sys, statistics, itertools, warnings
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))  # benchmarks/
warnings.filterwarnings("ignore")
import optuna, nas
optuna.logging.set_verbosity(optuna.logging.WARNING)
from controller_synthetic import make_problem
def conv(v):
    if v == "None": return None
    try: return int(v)
    except ValueError: return float(v)
problem, seeds, trials = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
objective, optimum = make_problem(problem)
marks = [m for m in (30, 60, 100) if m < trials] + [trials]
for name in sys.argv[4:]:
    kw = dict(part.split("=") for part in name.split(",")[1:])
    kw = {k: conv(v) for k, v in kw.items()}
    rows = []
    for seed in range(seeds):
        study = optuna.create_study(direction="maximize", sampler=nas.ControllerSampler(seed=seed, **kw))
        study.optimize(objective, n_trials=trials)
        best = list(itertools.accumulate([t.value for t in study.trials], max))
        rows.append([optimum - best[m - 1] for m in marks])
    cols = list(zip(*rows))
    print(f"p{problem} {name:34s} " + "  ".join(f"@{m}:{statistics.mean(c):.2f}±{statistics.stdev(c)/len(c)**.5:.2f}" for m, c in zip(marks, cols)) + f"  worst:{max(cols[-1]):.2f}", flush=True)
