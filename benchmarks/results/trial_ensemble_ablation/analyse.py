import sys, numpy as np
from scipy.optimize import minimize_scalar
sys.path.insert(0, "/work/main")
from nas.export._selection import select_ensemble
d = np.load(sys.argv[1]); y, yt = d["y"], d["y_test"]
ids = sorted(int(k[4:]) for k in d if k.startswith("oof_"))
def sm(z): z = z - z.max(-1, keepdims=True); e = np.exp(z); return e / e.sum(-1, keepdims=True)
def nll(p, yy): return -np.log(np.clip(p[np.arange(len(yy)), yy], 1e-12, 1)).mean()
def fit_t(L, yy):
    r = minimize_scalar(lambda lt: nll(sm(L / np.exp(lt)), yy), bounds=(np.log(1e-3), np.log(1e3)), method="bounded")
    return float(np.exp(r.x))
T = {n: fit_t(d[f"oof_{n}"], y) for n in ids}
for n in ids:
    L = d[f"oof_{n}"]; Lt = d[f"test_{n}"]
    print(n, "T=%.3f" % T[n], "oof acc %.2f nll raw %.3f cal %.3f" % ((L.argmax(1) == y).mean(), nll(sm(L), y), nll(sm(L / T[n]), y)),
          "test acc (prob mean) %.2f" % (sm(Lt).mean(0).argmax(1) == yt).mean())
for name, temp in (("raw", {n: 1.0 for n in ids}), ("temperature", T)):
    oof = {n: sm(d[f"oof_{n}"] / temp[n]) for n in ids}
    test = {n: sm(d[f"test_{n}"] / temp[n]).mean(0) for n in ids}
    s = select_ensemble(oof, y, "classification")
    e_o = sum(w * oof[n] for n, w in s.weights.items()); e_t = sum(w * test[n] for n, w in s.weights.items())
    print(name, {n: round(w, 2) for n, w in s.weights.items()}, "oof acc %.3f nll %.3f test acc %.3f" % ((e_o.argmax(1) == y).mean(), s.loss, (e_t.argmax(1) == yt).mean()))
    avg = np.mean([test[n] for n in ids], 0); print("  plain avg test %.3f" % (avg.argmax(1) == yt).mean())
