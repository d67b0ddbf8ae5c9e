"""How fast ``nas status`` and ``nas best`` answer on a study of 1000 trials, idle and under a
competing CPU load: the commands a user runs most, which import neither torch nor Lightning.

The store is built once: one real trial of the tiny space on ``digits`` (so every stored
record is what a search writes), copied 999 times with other values. Each command is then
run as a user runs it (a fresh ``nas`` process), several times; the median wall time is
reported, with ``nas --help`` as the floor of any ``nas`` command (Python start-up).

    python benchmarks/inspection.py [--trials 1000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from threads import competing_load, no_load  # noqa: E402  (same folder)


def build_store(folder: Path, n: int) -> str:
    import optuna

    import nas

    url = f"sqlite:///{folder / 'big.db'}"
    space = ROOT / "search_spaces" / "tiny.yaml"
    study = nas.search(space, "digits", n_trials=1, sampler="random", pruner="none",
                       storage=url, study="big", workers=1)  # fmt: skip
    seed = study.trials[0]
    copies = [
        optuna.trial.create_trial(
            params=seed.params,
            distributions=seed.distributions,
            value=0.5 + 0.4 * (i % 97) / 97,
            user_attrs={**seed.user_attrs, "seed": i},
            intermediate_values=seed.intermediate_values,
        )
        for i in range(1, n)
    ]
    study.add_trials(copies)
    return url


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    run = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {run.stderr[-1000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/inspection.json")
    args = parser.parse_args()
    from nas.base import available_cpus

    results: dict = {"date": date.today().isoformat(), "trials": args.trials,
                     "machine": f"{platform.machine()}, {available_cpus()} CPUs, "
                                f"Python {platform.python_version()}", "seconds": {}}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = build_store(folder, args.trials)
        commands = {
            "nas --help": ["nas", "--help"],
            "nas status": ["nas", "status", "--storage", url],
            "nas best": ["nas", "best", "--storage", url],
        }
        for condition, load in (("idle", 0), ("loaded", available_cpus())):
            with competing_load(load) if load else no_load():
                for name, command in commands.items():
                    times = [timed(command, folder) for _ in range(args.repeats)]
                    results["seconds"][f"{name}, {condition}"] = [round(t, 3) for t in times]
                    print(f"{name:12s} {condition:6s} median {statistics.median(times):.2f} s",
                          flush=True)  # fmt: skip
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
