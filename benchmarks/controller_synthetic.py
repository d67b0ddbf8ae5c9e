"""Controller vs random vs TPE on a synthetic NAS-like objective with a known optimum.

The objective is a chain of 8 blocks. Each block picks an operation (6 choices) and a
width (4 choices); neighbouring operations interact through a fixed random pair table,
widths have a fixed random preference per block, and a log-scaled learning rate scores
best at 3e-3. The optimum is found exactly by dynamic programming over the chain, so we
report regret (optimum - value; 0 is perfect).

    python benchmarks/controller_synthetic.py [--trials 300] [--seeds 5] [--only tpe ...]
        [--plot benchmarks/results/controller_synthetic.png]

``--plot`` draws the mean best-so-far regret of each sampler by trial and by wall time;
``--marks 10 30 60 100`` prints it at those trial counts (the budgets users run), with the
standard error over seeds and each sampler's worst seed.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import math
import statistics
import time
from pathlib import Path

import numpy as np
import optuna

BLOCKS, OPS, WIDTHS = 8, 6, 4
LR_BEST = 3e-3


def make_problem(seed: int = 1234):
    rng = np.random.default_rng(seed)
    pair = rng.normal(size=(OPS, OPS))  # interaction of neighbouring operations
    unary = rng.normal(size=(BLOCKS, OPS)) * 0.5  # per-position op preference
    width = rng.normal(size=(BLOCKS, WIDTHS)) * 0.5  # per-position width preference

    def value(ops, widths, lr):
        v = sum(unary[i, o] for i, o in enumerate(ops))
        v += sum(pair[a, b] for a, b in itertools.pairwise(ops))
        v += sum(width[i, w] for i, w in enumerate(widths))
        return v - 0.5 * (math.log10(lr) - math.log10(LR_BEST)) ** 2

    # exact optimum: Viterbi over the op chain, independent widths, lr at its best
    best = unary[0].copy()
    for i in range(1, BLOCKS):
        best = (best[:, None] + pair).max(axis=0) + unary[i]
    optimum = best.max() + width.max(axis=1).sum()

    def objective(trial):
        ops = [trial.suggest_categorical(f"block{i}.op", list(range(OPS))) for i in range(BLOCKS)]
        widths = [
            trial.suggest_categorical(f"block{i}.width", list(range(WIDTHS))) for i in range(BLOCKS)
        ]
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        return value(ops, widths, lr)

    return objective, optimum


def samplers(seed: int):
    import nas

    return {
        "random": optuna.samplers.RandomSampler(seed=seed),
        "tpe": optuna.samplers.TPESampler(seed=seed),
        "controller": nas.ControllerSampler(seed=seed),
        "controller+tpe": nas.ControllerSampler(seed=seed, numeric="inner"),
        "controller-ppo": nas.ControllerSampler(seed=seed, learning="ppo"),
        "controller-pqt": nas.ControllerSampler(seed=seed, learning="pqt"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="sampler names to run")
    parser.add_argument(
        "--problem",
        type=int,
        default=1234,
        help="seed of the problem's tables (tune on another than you report)",
    )
    parser.add_argument("--plot", type=Path, help="PNG of best-so-far regret by trial and time")
    parser.add_argument(
        "--marks", type=int, nargs="*", default=[], help="trial counts to report best-so-far at"
    )
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    objective, optimum = make_problem(args.problem)
    results: dict[str, list[tuple[float, float, float]]] = {}
    curves: dict[str, list[tuple[list[float], list[float]]]] = {}  # (regret, seconds) by trial
    for seed in range(args.seeds):
        for name, sampler in samplers(seed).items():
            if args.only and name not in args.only:
                continue
            study = optuna.create_study(direction="maximize", sampler=sampler)
            start = time.perf_counter()
            study.optimize(objective, n_trials=args.trials)
            seconds = time.perf_counter() - start
            values = [t.value for t in study.trials]
            last = values[-100:]
            first = study.trials[0].datetime_start
            curves.setdefault(name, []).append((
                [optimum - v for v in itertools.accumulate(values, max)],
                [(t.datetime_complete - first).total_seconds() for t in study.trials],
            ))  # fmt: skip
            results.setdefault(name, []).append(
                (
                    optimum - max(values),
                    optimum - statistics.mean(last),
                    1000 * seconds / args.trials,
                )
            )
            print(
                f"seed {seed} {name:15s} best regret {optimum - max(values):.3f}  "
                f"last-100 mean regret {optimum - statistics.mean(last):.3f}",
                flush=True,
            )
    print(
        f"\n{args.trials} trials x {args.seeds} seeds, regret = optimum - value (lower is better)\n"
    )
    print(
        "| sampler | best-value regret (mean ± sd) | last-100 mean regret (mean ± sd) "
        "| ms per trial |"
    )
    print("| --- | --- | --- | --- |")
    for name, rows in results.items():
        best, last, ms = zip(*rows, strict=False)
        sd = lambda xs: statistics.stdev(xs) if len(xs) > 1 else 0.0  # noqa: E731
        print(
            f"| {name} | {statistics.mean(best):.3f} ± {sd(best):.3f} | "
            f"{statistics.mean(last):.3f} ± {sd(last):.3f} | {statistics.mean(ms):.1f} |"
        )
    if args.marks:
        print(marks_table(curves, [m for m in args.marks if 0 < m <= args.trials]))
    if args.plot:
        plot(curves, args.trials, args.plot)


def marks_table(curves: dict[str, list[tuple[list[float], list[float]]]], marks: list[int]) -> str:
    """Mean (± standard error over seeds) best-so-far regret after each of ``marks`` trials,
    and the worst seed's at each mark."""
    lines = [
        "\n| sampler | "
        + " | ".join(f"after {m} trials" for m in marks)
        + " | worst seed, at each |",
        "| --- |" + " ---: |" * (len(marks) + 1),
    ]
    for name, runs in curves.items():
        cells = []
        for m in marks:
            at = [regrets[m - 1] for regrets, _ in runs]
            se = statistics.stdev(at) / math.sqrt(len(at)) if len(at) > 1 else 0.0
            cells.append(f"{statistics.mean(at):.2f} ± {se:.2f}")
        worst = " / ".join(f"{max(r[m - 1] for r, _ in runs):.2f}" for m in marks)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {worst} |")
    return "\n".join(lines)


def plot(curves: dict[str, list[tuple[list[float], list[float]]]], trials: int, path: Path) -> None:
    """Mean best-so-far regret by trial, and by wall time up to the shortest run's end."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def at(regrets: list[float], seconds: list[float], t: float) -> float:
        done = bisect.bisect_right(seconds, t)  # trials finished by time t
        return regrets[done - 1] if done else regrets[0]

    horizon = min(seconds[-1] for runs in curves.values() for _, seconds in runs)
    grid = [horizon * i / 200 for i in range(1, 201)]
    fig, (by_trial, by_time) = plt.subplots(1, 2, figsize=(11, 4))
    for colour, (name, runs) in enumerate(curves.items()):
        mean = [statistics.mean(r[i] for r, _ in runs) for i in range(trials)]
        by_trial.plot(range(1, trials + 1), mean, label=name, color=f"C{colour}")
        by_time.plot(grid, [statistics.mean(at(r, s, t) for r, s in runs) for t in grid],
                     label=name, color=f"C{colour}")  # fmt: skip
    by_trial.set(xlabel="trial", ylabel="best-so-far regret (lower is better)",
                 title="by trial (mean of seeds)")  # fmt: skip
    by_time.set(xlabel="seconds (in-memory store, no training)", title="by wall time")
    for ax in (by_trial, by_time):
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"\nplot: {path}")


if __name__ == "__main__":
    main()
