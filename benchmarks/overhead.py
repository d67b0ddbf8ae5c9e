"""Platform overhead per trial as a study grows to 1000+ trials, with no training.

Two levels, each on SQLite and (with ``--postgres URL``) PostgreSQL, for random search (the
floor: the storage's own cost), TPE and the controller:

* ``sample``: the trial samples the MNIST-1D search space (about 20 suggest calls, each
  a storage write) and returns a synthetic score of its parameters, so the samplers have
  something to learn. This is sampling plus storage, comparable with plain Optuna.
* ``platform``: nas's real trial objective with the training step replaced by a stub:
  sampling, storage, model build, cost (parameters, FLOPs, latency), user attrs and the
  artifacts (note, diagram, weights). Everything a trial costs besides training.

Prints the mean milliseconds per trial in windows of trials (flat = no O(n) work per trial)
and each sampler's ratio to random search, per trial and per suggested parameter (a sampler
whose trials suggest more parameters, e.g. more blocks, pays one storage write for each),
and the time spent inside the sampler's own calls (``TimedSampler``), with the ratio of a
random trial plus that time to a random trial: what the sampler itself adds, steadier on a
shared machine than the difference of two noisy trial times.
The samplers take turns, one window each, so each window's ratio compares like with like;
the ratio shown is the median of those over the second half of the study (one window alone
swings by +-0.1 on a shared machine), with their interquartile range.

    python benchmarks/overhead.py --trials 1000 [--postgres postgresql+psycopg://...]
        [--levels sample platform] [--samplers random tpe controller]
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from unittest import mock

import optuna

from nas.samplers import SamplerContext, make_sampler
from nas.space import load_space
from nas.study import open_storage

ROOT = Path(__file__).resolve().parents[1]
SPACE = ROOT / "search_spaces" / "mnist1d.yaml"


def synthetic_score(arch) -> float:  # type: ignore[no-untyped-def]
    """A smooth function of the architecture with a known good region (lr near 3e-3,
    three feature blocks, AdamW), so the samplers have something to learn."""
    score = -abs(math.log10(arch.train.lr) + 2.5)
    score -= 0.1 * abs(len(arch.stages[0].blocks) - 3)
    score += 0.05 * (arch.train.optimizer == "adamw")
    return score


def sample_objective(space):  # type: ignore[no-untyped-def]
    def objective(trial: optuna.Trial) -> float:
        return synthetic_score(space.sample(trial))

    return objective


def platform_objective(space, tmp: Path):  # type: ignore[no-untyped-def]
    """nas's TrialObjective with train_architecture stubbed out (no epochs run)."""
    from nas.data import load_dataset
    from nas.study import Constraints, Objective, TrialArtifacts, TrialObjective, TrialSettings
    from nas.training import TrainResult

    dataset = load_dataset("mnist1d")

    def fake_train(arch, data, options, *, model, callbacks):  # type: ignore[no-untyped-def]
        score = synthetic_score(arch)
        result = TrainResult(
            task="classification", objective="val_acc", metrics={"val_acc": score},
            history=[{"epoch": 0, "val_acc": score}], epochs_run=1, best_epoch=0,
            stopped="completed", train_seconds=0.0, n_params=model.report.n_params,
            flops=model.report.flops, device="cpu", precision="32-true", seed=options.seed,
        )  # fmt: skip
        return result, model

    settings = TrialSettings((Objective("val_acc", "maximize"),), Constraints(), None, 0)
    inner = TrialObjective(space, dataset, settings, None, TrialArtifacts(tmp / "artifacts", True))

    def objective(trial: optuna.Trial) -> float:
        with mock.patch("nas.training.train_architecture", fake_train):
            return inner(trial)

    return objective


class TimedSampler(optuna.samplers.BaseSampler):
    """``inner``, adding up the seconds spent in its calls: the sampler's own cost,
    without the storage writes of the parameters it picks. Steadier than a trial's time on
    a shared machine, where a window of SQLite writes swings by tens of percent."""

    def __init__(self, inner: optuna.samplers.BaseSampler) -> None:
        self.inner, self.seconds = inner, 0.0

    def _timed(self, method: str, *args):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return getattr(self.inner, method)(*args)
        finally:
            self.seconds += time.perf_counter() - start

    def infer_relative_search_space(self, study, trial):  # type: ignore[no-untyped-def]
        return self._timed("infer_relative_search_space", study, trial)

    def sample_relative(self, study, trial, search_space):  # type: ignore[no-untyped-def]
        return self._timed("sample_relative", study, trial, search_space)

    def sample_independent(self, study, trial, name, distribution):  # type: ignore[no-untyped-def]
        return self._timed("sample_independent", study, trial, name, distribution)

    def before_trial(self, study, trial):  # type: ignore[no-untyped-def]
        self._timed("before_trial", study, trial)

    def after_trial(self, study, trial, state, values):  # type: ignore[no-untyped-def]
        self._timed("after_trial", study, trial, state, values)

    def reseed_rng(self) -> None:
        self.inner.reseed_rng()


def _study(level: str, sampler_name: str, url: str):  # type: ignore[no-untyped-def]
    sampler = make_sampler(sampler_name, {}, SamplerContext(seed=0, n_objectives=1))
    return optuna.create_study(
        storage=open_storage(url),
        sampler=TimedSampler(sampler),
        direction="maximize",
        study_name=f"{level}-{sampler_name}-{uuid.uuid4().hex[:6]}",
    )


def run(level: str, names: list[str], url: str, trials: int, window: int, tmp: Path) -> dict:
    """Mean ms per trial and mean parameters per trial of each sampler, per window.

    The samplers take turns, one window each, so that all of them see the machine in the
    same state (a shared machine drifts by tens of percent over minutes)."""
    space = load_space(SPACE)
    objective = sample_objective(space) if level == "sample" else platform_objective(space, tmp)
    studies = {name: _study(level, name, url) for name in names}
    out: dict[str, dict[str, list[float]]] = {
        n: {"ms": [], "params": [], "own": []} for n in names
    }
    for _ in range(trials // window):
        for name, study in studies.items():
            start, own = time.perf_counter(), study.sampler.seconds
            study.optimize(objective, n_trials=window)
            out[name]["ms"].append((time.perf_counter() - start) / window * 1000)
            out[name]["own"].append((study.sampler.seconds - own) / window * 1000)
            recent = study.get_trials(deepcopy=False)[-window:]
            out[name]["params"].append(sum(len(t.params) for t in recent) / window)
            print(f"  {level} {name} {url.split(':')[0]} {len(study.trials)}: "
                  f"{out[name]['ms'][-1]:.1f} ms/trial", flush=True)  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--postgres", help="a PostgreSQL URL to measure too")
    parser.add_argument("--levels", nargs="+", default=["sample", "platform"])
    parser.add_argument("--samplers", nargs="+", default=["random", "tpe", "controller"])
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import warnings

    warnings.filterwarnings("ignore")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        stores = {"SQLite": f"sqlite:///{tmp}/overhead.db"}
        if args.postgres:
            stores["PostgreSQL"] = args.postgres
        for level in args.levels:
            for store, url in stores.items():
                runs = run(level, args.samplers, url, args.trials, args.window, Path(tmp))
                for name, measured in runs.items():
                    results[level, store, name] = measured
    windows = len(next(iter(results.values()))["ms"])
    marks = [0, windows // 2, windows - 1]
    print(f"\nms per trial (mean over windows of {args.window} trials), no training\n")
    late = list(range(windows // 2, windows))  # the second half of the study
    print("| level | store | sampler | "
          + " | ".join(f"trials {m * args.window}-{(m + 1) * args.window}" for m in marks)
          + f" | params per trial (trials {late[0] * args.window}-{windows * args.window})"
          + " | ratio to random: per trial | per parameter"
          + " | sampler's own ms per trial | random's trial + own |")  # fmt: skip
    print("| --- | --- | --- |" + " --- |" * (len(marks) + 5))
    for (level, store, name), measured in results.items():
        ms, params, own = measured["ms"], measured["params"], measured["own"]
        floor = results.get((level, store, "random"))
        ratio = per_param = with_own = "-"
        if floor:  # window by window (the samplers took turns), the median of the late ones
            ratios = [ms[w] / floor["ms"][w] for w in late]
            per = [r * floor["params"][w] / params[w] for r, w in zip(ratios, late, strict=True)]
            low, _, high = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
            ratio = f"{statistics.median(ratios):.2f}x (IQR {low:.2f}-{high:.2f})"
            per_param = f"{statistics.median(per):.2f}x"
            # a random trial plus this sampler's own work in place of random's: what the
            # sampler adds, apart from the writes of the parameters it chooses to suggest
            added = [1 + (own[w] - floor["own"][w]) / floor["ms"][w] for w in late]
            with_own = f"{statistics.median(added):.2f}x"
        cells = " | ".join(f"{ms[m]:.1f}" for m in marks)
        n_params = statistics.mean(params[w] for w in late)
        own_ms = statistics.median(own[w] for w in late)
        print(f"| {level} | {store} | {name} | {cells} | {n_params:.1f} | {ratio} | {per_param}"
              f" | {own_ms:.2f} | {with_own} |")  # fmt: skip


if __name__ == "__main__":
    main()
