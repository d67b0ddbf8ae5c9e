"""One-shot search (ENAS) against TPE on MNIST-1D, side by side in one run, and the
supernet's ranking quality.

1. **Equal wall time.** For each seed, the shipped ``studies/mnist1d.yaml`` run as it is
   (TPE, the stand-alone search) and with ``--search-mode one_shot`` (its default
   ``search.fraction`` of the timeout on the supernet, then its top architectures as
   trials), both under ``--timeout T``; then ``nas export --best --retrain`` and the test
   accuracy that export measured on MNIST-1D's official test split. The reference: the
   15-minute TPE search scores 98.5% (BENCHMARKS.md, "Search efficacy").
2. **Ranking quality.** A one-shot phase of ``--rank-steps`` steps hands all of its
   ``--rank-archs`` proposals on (``top_k = candidates``); each is trained stand-alone
   (the recipe's training, ``--rank-trial-timeout`` seconds each, default the recipe's
   120, ``--rank-workers`` at a time, no pruning) and Kendall's tau between the
   supernet's score and the stand-alone validation accuracy is reported.

    python benchmarks/one_shot.py --timeout 300 --seeds 0 [--rank-archs 20] [--json F]
    python benchmarks/one_shot.py --modes --rank-archs 20   # the ranking run alone
    python benchmarks/one_shot.py --timeout 900 --modes trials --samplers tpe controller \
        --rank-archs 0   # samplers at the shipped 15-minute budget
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "studies" / "mnist1d.yaml"


def nas(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nas", *args], cwd=cwd, capture_output=True,
                          text=True)  # fmt: skip


def search_and_export(
    mode: str, seed: int, timeout: float, work: Path, sampler: str | None = None
) -> dict[str, object]:
    """One search of the shipped recipe in ``mode`` (with ``sampler`` instead of the
    recipe's, if given), then its retrained best's test score."""
    import optuna

    name = f"{mode}-{sampler or 'recipe'}-{seed}"
    store = f"sqlite:///{work}/{name}.db"
    chosen = ["--sampler", sampler] if sampler else []
    start = time.perf_counter()
    run = nas("search", str(RECIPE), "--search-mode", mode, "--seed", str(seed), "--timeout",
              str(timeout), "--storage", store, *chosen, cwd=work)  # fmt: skip
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        return {"error": run.stderr.strip().splitlines()[-1:], "seconds": seconds}
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.load_study(study_name="mnist1d", storage=store)
    complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    out = work / f"{name}-bundle"
    export = nas("export", "--storage", store, "--best", "--retrain", "--out", str(out), cwd=work)
    result: dict[str, object] = {
        "mode": mode, "sampler": sampler or "recipe", "seed": seed, "seconds": seconds,
        "trials": len(study.trials),
        "complete": len(complete), "best_val": max((t.value for t in complete), default=None),
        "one_shot": study.user_attrs.get("one_shot"),
    }  # fmt: skip
    if export.returncode != 0:
        result["export_error"] = export.stderr.strip().splitlines()[-1:]
    else:
        info = json.loads((out / "bundle.json").read_text())
        result["test_acc"] = info["test_metrics"].get("acc")
        result["exported_trial"] = info["source"]["trial"]
    return result


def ranking(
    seed: int, steps: int, archs: int, work: Path, trial_timeout: float, workers: int
) -> dict[str, object]:
    """Kendall's tau of the supernet's scores over ``archs`` architectures trained alone."""
    import optuna

    from nas.study import one_shot_ranking

    doc = yaml.safe_load(RECIPE.read_text())
    doc.update(
        study="rank", space=str(ROOT / "search_spaces" / "mnist1d.yaml"), seed=seed,
        storage=f"sqlite:///{work}/rank-{seed}.db", n_trials=archs, timeout=None,
        trial_timeout=trial_timeout, pruner="none",
        search={"mode": "one_shot", "steps": steps, "top_k": archs, "candidates": archs},
    )  # fmt: skip
    recipe = work / f"rank-{seed}.yaml"
    recipe.write_text(yaml.safe_dump(doc))
    start = time.perf_counter()
    run = nas("search", str(recipe), "--workers", str(workers), cwd=work)
    if run.returncode != 0:
        return {"error": run.stderr.strip().splitlines()[-1:]}
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.load_study(study_name="rank", storage=doc["storage"])
    tau = one_shot_ranking(study)
    handed = study.user_attrs["one_shot"]["handed_off"]
    return {
        "seed": seed, "steps": steps, "seconds": time.perf_counter() - start,
        "trial_timeout": trial_timeout, "workers": workers,
        "complete": sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials),
        "tau": tau[0] if tau else None, "n": tau[1] if tau else 0,
        "one_shot_seconds": study.user_attrs["one_shot"]["seconds"],
        "distinct": len({json.dumps(h["params"], sort_keys=True) for h in handed}),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per search")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--modes", nargs="*", default=["one_shot", "trials"])
    parser.add_argument("--samplers", nargs="+", default=[None], metavar="SAMPLER",
                        help="run each mode with these samplers (default: recipe's)")  # fmt: skip
    parser.add_argument("--rank-archs", type=int, default=20, help="0: skip the ranking run")
    parser.add_argument("--rank-steps", type=int, default=2000)
    parser.add_argument("--rank-trial-timeout", type=float, default=120.0,
                        help="seconds per stand-alone trial of the ranking run")  # fmt: skip
    parser.add_argument("--rank-workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="save every run here")
    args = parser.parse_args()
    runs: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for seed in args.seeds:
            for mode in args.modes:
                for sampler in args.samplers:
                    runs.append(search_and_export(mode, seed, args.timeout, work, sampler))
                    print(json.dumps(runs[-1]), flush=True)
            if args.rank_archs:
                ranked = ranking(seed, args.rank_steps, args.rank_archs, work,
                                 args.rank_trial_timeout, args.rank_workers)  # fmt: skip
                runs.append({"ranking": ranked})
                print(json.dumps(runs[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
