"""Samplers at an equal trial budget on real MNIST-1D training: best-so-far curves.

Runs the quickstart recipe (studies/quickstart.yaml: its space, epochs and pruner) with
each sampler and several seeds, each into its own SQLite store, and prints the mean
best-so-far validation accuracy by trial number and by wall time; writes a PNG plot.
The recipe's wall-clock limits are switched off: the budget is the number of trials, and
a busy machine must not turn slow trials into pruned ones.

With ``--parallel N`` the runs go N at a time, each pinned to one CPU core with one torch
thread (on a machine with at least N idle cores, so runs do not slow each other down).

    python benchmarks/sampler_mnist1d.py [--trials 30] [--seeds 2] [--parallel 1]
        [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import optuna

from nas.study import Component, load_recipe, run_search

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


def run_one(job: tuple[str, int, int, str, int | None]) -> tuple[str, int, list, list]:
    """One (sampler, seed) run; returns best-so-far by trial and each trial's end time."""
    name, seed, trials, tmp, core = job
    if core is not None:
        import os

        import torch

        os.sched_setaffinity(0, {core})
        torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    storage = f"sqlite:///{tmp}/{name}-{seed}.db"
    recipe = replace(
        load_recipe(ROOT / "studies" / "quickstart.yaml"),
        study=f"{name}-{seed}",
        sampler=SAMPLERS[name],
        seed=seed,
        n_trials=trials,
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
    print(f"seed {seed} {name:10s} best {max(values):.4f} "
          f"in {time.perf_counter() - start:.0f}s", flush=True)  # fmt: skip
    return name, seed, best_so_far(values), ends


def at_time(curve: list[float], ends: list[float], t: float) -> float:
    """Best-so-far value reached by time ``t`` (0 before the first trial ends)."""
    reached = [v for v, end in zip(curve, ends, strict=True) if end <= t]
    return reached[-1] if reached else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    curves: dict[str, list[tuple[list[float], list[float]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        pairs = [(name, seed) for seed in range(args.seeds) for name in SAMPLERS]
        cores = [i % args.parallel if args.parallel > 1 else None for i in range(len(pairs))]
        jobs = [(n, s, args.trials, tmp, c) for (n, s), c in zip(pairs, cores, strict=True)]
        if args.parallel > 1:
            import multiprocessing

            with multiprocessing.get_context("spawn").Pool(args.parallel) as pool:
                results = pool.map(run_one, jobs, chunksize=1)
        else:
            results = [run_one(job) for job in jobs]
    order = list(SAMPLERS)
    for name, _seed, curve, ends in sorted(results, key=lambda r: (order.index(r[0]), r[1])):
        curves.setdefault(name, []).append((curve, ends))

    horizon = min(ends[-1] for runs in curves.values() for _, ends in runs)
    times = [horizon * f for f in (0.25, 0.5, 1.0)]
    print(f"\nmean best-so-far validation accuracy by wall time over {args.seeds} seeds\n")
    print("| sampler | " + " | ".join(f"{t:.0f} s" for t in times) + " |")
    print("| --- |" + " --- |" * len(times))
    for name, runs in curves.items():
        cells = [statistics.mean(at_time(c, e, t) for c, e in runs) for t in times]
        print(f"| {name} | " + " | ".join(f"{c:.4f}" for c in cells) + " |")
    marks = sorted({m for m in (5, 10, 20, 30, 50, 100) if m < args.trials} | {args.trials})
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
    grid = [horizon * i / 200 for i in range(201)]
    for colour, (name, runs) in enumerate(curves.items()):
        mean = [statistics.mean(c[i] for c, _ in runs) for i in range(args.trials)]
        by_trial.plot(range(1, args.trials + 1), mean, label=name, color=f"C{colour}")
        by_seed = [statistics.mean(at_time(c, e, t) for c, e in runs) for t in grid]
        by_time.plot(grid, by_seed, color=f"C{colour}", label=name)
    by_trial.set(
        xlabel="trial", ylabel="best-so-far val accuracy", title="by trial (mean of seeds)"
    )
    by_time.set(xlabel="seconds", title="by wall time (mean of seeds)")
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
