"""Search efficacy: does a shipped study find an architecture that tests well after retraining?

For each seed, runs the recipe exactly as a user would (``nas search RECIPE --seed S``, its own
wall-clock limits on) into a fresh SQLite store, then ``nas export --best --retrain`` (retrain
on train + validation, evaluate once on the held-out test split) and prints one row per seed
plus the mean and spread.

    python benchmarks/efficacy.py studies/mnist1d.yaml --seeds 0 1 2
    python benchmarks/efficacy.py studies/digits.yaml --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna

ROOT = Path(__file__).resolve().parents[1]


def nas(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "nas", *args], check=True, stdout=subprocess.DEVNULL)


def run_seed(recipe: Path, seed: int, workdir: Path) -> dict[str, float]:
    storage = f"sqlite:///{workdir}/seed{seed}.db"
    study = f"efficacy-seed{seed}"
    start = time.perf_counter()
    nas("search", str(recipe), "--seed", str(seed), "--study-name", study, "--storage", storage)
    search_s = time.perf_counter() - start
    trials = optuna.load_study(study_name=study, storage=storage).trials
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    best = max(complete, key=lambda t: t.value)
    bundle = workdir / f"bundle{seed}"
    start = time.perf_counter()
    nas("export", "--study", study, "--storage", storage, "--best", "--retrain",
        "--formats", "python", "--out", str(bundle))  # fmt: skip
    info = json.loads((bundle / "bundle.json").read_text())
    return {
        "seed": seed,
        "trials": len(trials),
        "complete": len(complete),
        "search_s": search_s,
        "best_val": best.value,
        "best_trial": best.number,
        "test": info["test_metrics"]["acc"],
        "retrain_s": time.perf_counter() - start,
        "summary": best.user_attrs.get("summary", ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--workdir", type=Path, help="keep the stores and bundles here")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for seed in args.seeds:
            row = run_seed(args.recipe.resolve(), seed, workdir.resolve())
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"\n{args.recipe}: search, then `nas export --best --retrain` (test accuracy)\n")
    print("| seed | trials (complete) | search time | best val acc | retrained test acc |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['seed']} | {r['trials']} ({r['complete']}) | {r['search_s'] / 60:.1f} min "
            f"| {r['best_val']:.4f} | {r['test']:.4f} |"
        )
    tests = [r["test"] for r in rows]
    spread = statistics.stdev(tests) if len(tests) > 1 else 0.0
    print(f"\nretrained test accuracy: mean {statistics.mean(tests):.4f} ± {spread:.4f} (sd), "
          f"min {min(tests):.4f}, max {max(tests):.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
