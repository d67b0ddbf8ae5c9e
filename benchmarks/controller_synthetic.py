"""Controller vs random vs TPE on a synthetic NAS-like objective with a known optimum.

The objective is a chain of 8 blocks. Each block picks an operation (6 choices) and a
width (4 choices); neighbouring operations interact through a fixed random pair table,
widths have a fixed random preference per block, and a log-scaled learning rate scores
best at 3e-3. The optimum is found exactly by dynamic programming over the chain, so we
report regret (optimum - value; 0 is perfect).

    python benchmarks/controller_synthetic.py [--trials 300] [--seeds 5] [--only tpe ...]
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import time

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
    parser.add_argument("--problem", type=int, default=1234,
                        help="seed of the problem's tables (tune on another than you report)")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    objective, optimum = make_problem(args.problem)
    results: dict[str, list[tuple[float, float, float]]] = {}
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


if __name__ == "__main__":
    main()
