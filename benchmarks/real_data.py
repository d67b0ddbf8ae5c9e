"""`nas search --data FILE` on real small data, against what a user would pick instead.

One command, one run, the same splits for every method: for each dataset and seed,

* **nas**: `nas search --data FILE --seed S --timeout T` (everything else default: the
  derived space, auto validation, TPE, the median pruner), then `nas export --best
  --retrain`, `nas export --best --ensemble` and `nas export --ensemble-trials 6`; the
  test accuracy (RMSE for regression) of each bundle, as `nas export` measured it on the
  official test split.
* **MiniRocket** (aeon's `MiniRocketClassifier`/`Regressor`, seed S) fit on the same
  training arrays nas searched on (after nas's reader: resampled, standardized) and
  scored on the same test arrays.

Datasets: the UCR/UEA sets that aeon ships in its package (ACSF1, BasicMotions,
JapaneseVowels, PickupGestureWiimoteZ, UnitTest; Covid3Month for regression) and MNIST-1D
subsampled (stratified) to 100, 300 and 1000 training signals, tested on its 1000 official
test signals (full-data reference: BENCHMARKS.md, "Search efficacy", 98.5%).

    pip install aeon        # the benchmark's extra: pip install -e '.[bench]'
    python benchmarks/real_data.py --timeout 600 --seeds 0 1 2 \\
        [--datasets UnitTest BasicMotions ...] [--json results.json] [--keep DIR]
        [--samplers tpe controller random]   # one search per sampler, side by side
        [--n-trials N]     # equal trial budget: N trials per search (the timeout still caps it)
        [--load K]         # K busy processes compete for the cores throughout

Prints one markdown row per dataset and sampler (mean ± sd over seeds) and saves every run
to JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from _load import competing_load  # benchmarks/_load.py (this script's folder)

UCR = ["ACSF1", "BasicMotions", "JapaneseVowels", "PickupGestureWiimoteZ", "UnitTest",
       "Covid3Month"]  # fmt: skip
MNIST1D_SIZES = (100, 300, 1000)
DATASETS = [*UCR, *(f"mnist1d-{n}" for n in MNIST1D_SIZES)]


def materialize(name: str, seed: int, folder: Path) -> Path:
    """The dataset as the file a user would pass to ``--data``."""
    if name.startswith("mnist1d-"):
        from sklearn.model_selection import train_test_split

        from nas.data import load_dataset

        full = load_dataset("mnist1d")
        x, y = full.pool()
        n = int(name.split("-")[1])
        x_sub, _, y_sub, _ = train_test_split(x, y, train_size=n, stratify=y, random_state=seed)
        path = folder / f"{name}.npz"
        np.savez(path, x_train=x_sub, y_train=y_sub, x_test=full.x_test, y_test=full.y_test,
                 layout="NCL")  # fmt: skip
        return path
    import aeon

    source = Path(aeon.__file__).parent / "datasets" / "data" / name
    for split in ("TRAIN", "TEST"):
        shutil.copy(source / f"{name}_{split}.ts", folder / f"{name}_{split}.ts")
    return folder / f"{name}_TRAIN.ts"


def nas(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nas", *args], cwd=cwd, capture_output=True,
                          text=True)  # fmt: skip


def export_score(
    store: str, out: Path, flags: list[str], cwd: Path, trial: int | None = None
) -> dict[str, object]:
    """Test metrics of ``nas export --best FLAGS`` (or ``--trial N``; or the refusal's reason)."""
    start = time.perf_counter()
    which = ["--best"] if trial is None else ["--trial", str(trial)]
    run = nas("export", "--storage", store, *which, *flags, "--out", str(out), cwd=cwd)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        return {"error": run.stderr.strip().splitlines()[-1], "seconds": seconds}
    info = json.loads((out / "bundle.json").read_text())
    return {**info["test_metrics"], "seconds": seconds, "trial": info["source"]["trial"]}


def ensemble_trials_score(store: str, folder: Path, candidates: int) -> dict[str, object]:
    """``nas export --ensemble-trials N``'s test metrics, with the trials and weights chosen."""
    score = export_score(store, folder / "trials", ["--ensemble-trials", str(candidates)], folder)
    if "error" not in score:
        info = json.loads((folder / "trials" / "bundle.json").read_text())
        score["weights"] = info["source"]["ensemble_trials"]
    return score


def best_mean_trial(store: str) -> int | None:
    """The trial with the best fold mean (loss, then number, breaking ties): what the
    choice was before the one-standard-error rule, exported beside it for comparison."""
    import optuna

    from nas.study._best import RANKING_ATTRS, Candidate, rank

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.load_study(study_name=None, storage=store)
    metric = (study.metric_names or ["value"])[0]
    complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    feasible = [t for t in complete if all(c <= 0 for c in t.system_attrs.get("constraints", []))]
    pool = [
        replace(Candidate.of(t.number, t.value, {k: t.user_attrs.get(k) for k in RANKING_ATTRS},
                             metric), se=0.0)
        for t in feasible
    ]  # fmt: skip
    top = rank(pool, study.direction == optuna.study.StudyDirection.MAXIMIZE)
    return top.number if top is not None else None


def minirocket(path: Path, seed: int) -> dict[str, float]:
    """MiniRocket on the same arrays nas's reader produced."""
    from aeon.classification.convolution_based import MiniRocketClassifier
    from aeon.regression.convolution_based import MiniRocketRegressor

    from nas.data import load_dataset

    data = load_dataset(str(path))
    x, y = data.pool()
    start = time.perf_counter()
    if data.task == "classification":
        model = MiniRocketClassifier(random_state=seed, n_jobs=1).fit(x.astype(np.float64), y)
        score = {
            "acc": float((model.predict(data.x_test.astype(np.float64)) == data.y_test).mean())
        }
    else:
        model = MiniRocketRegressor(random_state=seed, n_jobs=1).fit(x.astype(np.float64), y)
        pred = model.predict(data.x_test.astype(np.float64))
        score = {"rmse": float(np.sqrt(np.mean((pred - data.y_test) ** 2)))}
    return {**score, "seconds": time.perf_counter() - start}


def run_one(
    name: str,
    seed: int,
    timeout: float,
    work: Path,
    candidates: int = 6,
    sampler: str | None = None,
    n_trials: int | None = None,
) -> dict[str, object]:
    """One search (with ``sampler``, or the default; ``n_trials`` or until the timeout) and
    its exports; MiniRocket beside."""
    folder = work / (f"{name}-{seed}" if sampler is None else f"{name}-{seed}-{sampler}")
    folder.mkdir(parents=True)
    path = materialize(name, seed, folder)
    store = f"sqlite:///{folder / 'study.db'}"
    chosen = [] if sampler is None else ["--sampler", sampler]
    if n_trials is not None:
        chosen += ["--n-trials", str(n_trials)]
    start = time.perf_counter()
    search = nas("search", "--data", str(path), "--seed", str(seed), "--timeout", str(timeout),
                 "--storage", store, *chosen, cwd=folder)  # fmt: skip
    row: dict[str, object] = {"dataset": name, "seed": seed, "sampler": sampler or "default",
                              "search_seconds": time.perf_counter() - start,
                              "n_trials": n_trials}  # fmt: skip
    if search.returncode != 0:
        row["error"] = search.stderr.strip().splitlines()[-1]
        return row
    lines = search.stdout.splitlines()
    row["trials"] = sum(1 for line in lines if line.startswith("#"))
    row["validation"] = next((ln for ln in lines if ln.startswith("validation")), "")
    row["warning"] = next((ln for ln in lines if ln.startswith("warning")), None)
    best = nas("best", "--storage", store, "--json", cwd=folder)
    trials = json.loads(best.stdout)["trials"] if best.returncode == 0 else []
    if not trials:
        row["error"] = f"no complete trial in {timeout:g} s: {search.stdout[-600:]}"
        return row
    if trials:
        trial = trials[0]
        row["best"] = {"trial": trial["number"], "values": trial["values"],
                       "summary": trial["summary"]}  # fmt: skip
        row["best_ties"] = next((ln for ln in nas("best", "--storage", store, cwd=folder)
                                 .stdout.splitlines() if " trials tie at " in ln
                                 and ln[0].isdigit()), None)  # fmt: skip
    row["retrain"] = export_score(store, folder / "retrained", ["--retrain"], folder)
    row["ensemble"] = export_score(store, folder / "ensemble", ["--ensemble"], folder)
    if candidates:
        row["ensemble_trials"] = ensemble_trials_score(store, folder, candidates)
    top = best_mean_trial(store)
    if top is not None and top != row["retrain"].get("trial"):
        row["retrain_best_mean"] = export_score(store, folder / "top", ["--retrain"], folder, top)
    row["minirocket"] = minirocket(path, seed)
    return row


def _cell(values: list[float], scale: float = 100.0) -> str:
    if not values:
        return "-"
    mean = statistics.fmean(values) * scale
    sd = statistics.pstdev(values) * scale if len(values) > 1 else 0.0
    return f"{mean:.1f} ± {sd:.1f}" if scale == 100.0 else f"{mean:.4g} ± {sd:.2g}"


def table(rows: list[dict[str, object]]) -> str:
    """Markdown: one row per dataset and sampler, mean ± sd over seeds."""
    out = [
        "| dataset | sampler | metric | seeds | nas --retrain | nas --ensemble | "
        "nas --ensemble-trials | best fold mean, retrained | MiniRocket | trials | search s | "
        "refused or failed |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, sampler in dict.fromkeys((str(r["dataset"]), r.get("sampler")) for r in rows):
        every = [r for r in rows if r["dataset"] == name and r.get("sampler") == sampler]
        runs = [r for r in every if "error" not in r]
        failed = [f"search (seed {r['seed']})" for r in every if "error" in r]
        if not runs:
            blank = " |" * 7
            out.append(f"| {name} | {sampler} | | {len(every)} |{blank} {', '.join(failed)} |")
            continue
        metric = "rmse" if "rmse" in runs[0]["minirocket"] else "acc"  # type: ignore[operator]
        scale = 1.0 if metric == "rmse" else 100.0

        def values(method: str, runs=runs, metric=metric) -> list[float]:  # type: ignore[no-untyped-def]
            return [r[method][metric] for r in runs if metric in r.get(method, {})]  # type: ignore[index]

        # the trial with the best fold mean: the chosen one unless the one-SE rule differed
        top = [(r.get("retrain_best_mean") or r["retrain"]).get(metric) for r in runs]  # type: ignore[union-attr]

        refused = failed + [f"{m} (seed {r['seed']})" for r in runs
                            for m in ("retrain", "ensemble", "ensemble_trials")
                            if "error" in r.get(m, {})]  # type: ignore[operator]  # fmt: skip
        out.append(
            f"| {name} | {sampler} | {'test RMSE' if metric == 'rmse' else 'test acc %'} | "
            f"{','.join(str(r['seed']) for r in runs)} | "
            f"{_cell(values('retrain'), scale)} | {_cell(values('ensemble'), scale)} | "
            f"{_cell(values('ensemble_trials'), scale)} | "
            f"{_cell([v for v in top if v is not None], scale)} | "
            f"{_cell(values('minirocket'), scale)} | "
            f"{statistics.fmean(r['trials'] for r in runs):.0f} | "  # type: ignore[misc]
            f"{statistics.fmean(r['search_seconds'] for r in runs):.0f} | "  # type: ignore[misc]
            f"{', '.join(refused) or '-'} |"
        )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per search")
    parser.add_argument("--json", type=Path, default=None, help="save every run here")
    parser.add_argument(
        "--ensemble-trials",
        type=int,
        default=6,
        help="candidates of `nas export --ensemble-trials` (0: skip it)",
    )
    parser.add_argument("--samplers", nargs="+", default=[None],
                        help="one search with each sampler (default: nas's own)")  # fmt: skip
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep each run's data, store and bundles here")  # fmt: skip
    parser.add_argument("--n-trials", type=int, default=None,
                        help="trials per search (default: until --timeout)")  # fmt: skip
    parser.add_argument("--load", type=int, default=0,
                        help="busy processes competing for the cores throughout")  # fmt: skip
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="nas-real-") as scratch, competing_load(args.load):
        tmp = str(args.keep or scratch)
        os.environ.setdefault("NAS_CACHE_DIR", str(Path(tmp) / "cache"))
        for seed in args.seeds:  # seed-major: an interrupted run still covers every dataset
            for name in args.datasets:
                for sampler in args.samplers:  # side by side: each dataset's samplers in turn
                    row = run_one(name, seed, args.timeout, Path(tmp), args.ensemble_trials,
                                  sampler, args.n_trials)  # fmt: skip
                    row["load"] = args.load
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                    if args.json:
                        args.json.write_text(json.dumps(rows, indent=1))
    print(table(rows))


if __name__ == "__main__":
    main()
