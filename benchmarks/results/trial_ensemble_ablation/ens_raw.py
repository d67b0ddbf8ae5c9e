"""The ad-hoc script behind acsf1_seed0.txt, kept as it ran (2026-11-24, before `nas export
--ensemble-trials` existed): cross-validates the 6 candidates of a study again and saves
their raw out-of-fold and test logits for analyse.py. Run from the study folder:
    python ens_raw.py sqlite:///study.db 6 acsf1
Experiment: Caruana ensemble selection over out-of-fold predictions of a study's trials."""
import sys, json, time
import numpy as np, optuna, torch
from nas.study import StudyRecord, TrialRecord
from nas.study import complete_trials as candidates
from nas.data import load_dataset, fold_indices, DEFAULT_SPLIT_SEED
from nas.training import TrainOptions, train_folds
from nas.export._selection import select_ensemble

store, top_n = sys.argv[1], int(sys.argv[2])
optuna.logging.set_verbosity(optuna.logging.ERROR)
torch.set_num_threads(1)
study = optuna.load_study(study_name=None, storage=store)
srec = StudyRecord.read(study)
recipe = srec.parsed_recipe(study.study_name)
ds = load_dataset(recipe.data, options=recipe.read_options())
K = srec.folds or 5
sign = -1 if study.direction == optuna.study.StudyDirection.MAXIMIZE else 1
trials = sorted(candidates(study), key=lambda t: sign * t.value)
def kind(t):
    a = TrialRecord.read(t).arch(t.number)
    return tuple(b.type for s in a.stages for b in s.blocks)
seen, pick = set(), []
for t in trials:
    if kind(t) not in seen: seen.add(kind(t)); pick.append(t)
for t in trials:
    if t not in pick: pick.append(t)
pick = pick[:top_n]
x, y = ds.pool()
cls = ds.task == "classification"
RAW = True
def out(m, xx):
    with torch.no_grad():
        o = m.eval()(torch.from_numpy(xx))
        return o.numpy().astype(np.float64)
oof, test = {}, {}
split = fold_indices(y, ds.task, K, DEFAULT_SPLIT_SEED)
def score(p, yy):
    return (p.argmax(1) == yy).mean() if cls else float(np.sqrt(np.mean((p.reshape(yy.shape) - yy) ** 2)))
for t in pick:
    rec = TrialRecord.read(t); arch = rec.arch(t.number)
    s = time.perf_counter()
    _, models = train_folds(arch, ds, TrainOptions(seed=rec.seed or 0), K)
    p = None
    for (tr, va), m in zip(split, models):
        pv = out(m, x[va])
        if p is None: p = np.zeros((len(x),) + pv.shape[1:])
        p[va] = pv
    oof[t.number] = p; test[t.number] = np.stack([out(m, ds.x_test) for m in models])
    np.savez(f"/tmp/exp/raw_{sys.argv[3]}.npz", y=y, y_test=ds.y_test, **{f"oof_{k}": v for k, v in oof.items()}, **{f"test_{k}": v for k, v in test.items()})
    print(t.number, kind(t), round(t.value, 4), "oof", "-",
          "test(fold ens)", "-", f"{time.perf_counter()-s:.0f}s", flush=True)
