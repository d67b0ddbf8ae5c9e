"""Samplers at an equal trial budget on real MNIST-1D training: best-so-far curves.

Runs the quickstart recipe (studies/quickstart.yaml: its space, epochs and pruner) with
each sampler and several seeds, each into its own SQLite store, and prints the mean
best-so-far validation accuracy by trial number and by wall time; writes a PNG plot.
The recipe's wall-clock limits are switched off: the budget is the number of trials, and
a busy machine must not turn slow trials into pruned ones.

    python benchmarks/sampler_mnist1d.py [--trials 30] [--seeds 2] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import optuna

from nas.study import load_recipe, run_search
from nas.study._recipe import Component

ROOT = Path(__file__).resolve().parents[1]
SAMPLERS = {
    "random": Component("random", {}),
    "tpe": Component("tpe", {"n_startup_trials": 8}),
    "controller": Component("controller", {}),
}


def best_so_far(values: list[float]) -> list[float]:
    out, best = [], float("-inf")
    for v in values:
        best = max(best, v)
        out.append(best)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    base = load_recipe(ROOT / "studies" / "quickstart.yaml")
    curves: dict[str, list[tuple[list[float], list[float]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            for name, component in SAMPLERS.items():
                storage = f"sqlite:///{tmp}/{name}-{seed}.db"
                recipe = replace(
                    base,
                    study=f"{name}-{seed}",
                    sampler=component,
                    seed=seed,
                    n_trials=args.trials,
                    timeout=None,
                    trial_timeout=None,
                    storage=storage,
                )
                start = time.perf_counter()
                run_search(recipe)
                study = optuna.load_study(study_name=recipe.study, storage=storage)
                # a pruned or failed trial counts as 0 accuracy for the best-so-far curve
                values = [t.value if t.state.name == "COMPLETE" else 0.0 for t in study.trials]
                ends = [
                    (t.datetime_complete.timestamp() - study.trials[0].datetime_start.timestamp())
                    for t in study.trials
                ]
                curves.setdefault(name, []).append((best_so_far(values), ends))
                print(
                    f"seed {seed} {name:10s} best {max(values):.4f} "
                    f"in {time.perf_counter() - start:.0f}s",
                    flush=True,
                )

    marks = [m for m in (5, 10, 20, 30, 50, 100) if m <= args.trials]
    print(f"\nmean best-so-far validation accuracy over {args.seeds} seeds (quickstart space)\n")
    print("| sampler | " + " | ".join(f"trial {m}" for m in marks) + " | wall time of the run |")
    print("| --- |" + " --- |" * (len(marks) + 1))
    for name, runs in curves.items():
        cells = [statistics.mean(curve[m - 1] for curve, _ in runs) for m in marks]
        wall = statistics.mean(ends[-1] for _, ends in runs)
        print(f"| {name} | " + " | ".join(f"{c:.4f}" for c in cells) + f" | {wall:.0f} s |")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (by_trial, by_time) = plt.subplots(1, 2, figsize=(11, 4))
    for colour, (name, runs) in enumerate(curves.items()):
        mean = [statistics.mean(c[i] for c, _ in runs) for i in range(args.trials)]
        by_trial.plot(range(1, args.trials + 1), mean, label=name, color=f"C{colour}")
        for seed, (curve, ends) in enumerate(runs):
            label = name if seed == 0 else None
            by_time.step(ends, curve, where="post", alpha=0.7, color=f"C{colour}", label=label)
    by_trial.set(
        xlabel="trial", ylabel="best-so-far val accuracy", title="by trial (mean of seeds)"
    )
    by_time.set(xlabel="seconds", title="by wall time (each seed)")
    for ax in (by_trial, by_time):
        ax.set_ylim(0.5, 1.0)
        ax.grid(alpha=0.3)
        ax.legend()
    args.out.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(args.out / "sampler_mnist1d.png", dpi=100)
    print(f"\nplot: {args.out / 'sampler_mnist1d.png'}")


if __name__ == "__main__":
    main()
