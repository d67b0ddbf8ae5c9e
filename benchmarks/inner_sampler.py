"""The controller's inner sampler alone: NumericTPE against Optuna's TPESampler.

Builds a study of the MNIST-1D space with the controller (the synthetic score of
``overhead.py``), then times, on the same 100-trial window the controller hands its inner
sampler, each sampler's search-space inference and its relative draw of the delegated
ranges (the learning rate and weight decay), in one process, taking turns.

    python benchmarks/inner_sampler.py [--trials 300] [--repeat 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import optuna
from overhead import SPACE, sample_objective  # benchmarks/ is the script's directory

from nas.base.optuna_compat import TrialWindow
from nas.samplers import SamplerContext, make_sampler
from nas.samplers._controller._numeric import NumericTPE
from nas.space import load_space


def _us(call, repeat: int) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - start) / repeat * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    controller = make_sampler("controller", {}, SamplerContext(seed=0, n_objectives=1))
    study = optuna.create_study(sampler=controller, direction="maximize")
    study.optimize(sample_objective(load_space(SPACE)), n_trials=args.trials)
    trials = study.get_trials(deepcopy=False)
    trial = trials[-1]

    def view() -> TrialWindow:
        return TrialWindow(study, trials, 100)

    delegated = ("lr", "weight_decay")
    samplers = {
        "NumericTPE": NumericTPE(seed=0),
        "Optuna TPESampler": optuna.samplers.TPESampler(seed=0, constant_liar=False),
    }
    times: dict[str, dict[str, list[float]]] = {n: {"space": [], "draw": []} for n in samplers}
    for _ in range(args.rounds):
        for name, sampler in samplers.items():
            space = sampler.infer_relative_search_space(view(), trial)
            space = {n: d for n, d in space.items() if n in delegated}
            times[name]["space"].append(
                _us(lambda s=sampler: s.infer_relative_search_space(view(), trial), args.repeat)
            )
            times[name]["draw"].append(
                _us(lambda s=sampler, sp=space: s.sample_relative(view(), trial, sp), args.repeat)
            )
    print(f"\n{args.trials}-trial study, 100-trial window, µs per call (median of "
          f"{args.rounds} rounds of {args.repeat} calls; range)\n")  # fmt: skip
    print("| sampler | search space | relative draw of lr, weight_decay |")
    print("| --- | ---: | ---: |")
    for name, t in times.items():
        cells = [f"{statistics.median(v):.0f} ({min(v):.0f}-{max(v):.0f})" for v in t.values()]
        print(f"| {name} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
