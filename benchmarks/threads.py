"""Threads and workers on a small CPU machine, idle and under a competing CPU load, in one run:
the measurement behind one training thread per trial and ``nas search``'s default workers.

Two jobs, each run with every setting, the settings alternated within each repeat so that
drifting load hits them alike:

* ``train``: ``nas train search_spaces/architectures/mnist1d_cnn.json --epochs 10``
  with ``--threads 1`` (the default) and ``--threads N`` (N = the CPUs allowed: what torch
  used before, its own default).
* ``search``: the README's quickstart (20 trials), in one process with N threads (the
  old default), in one process with 1 thread (``--workers 1``), and in N one-thread
  workers (the default on a CPU-only machine).

"Under load" runs N busy-looping processes beside the job (load average ~2N): the same
cores wanted by other work, as on a shared machine. Times are wall-clock seconds; ratios
are within one repeat, so machine drift cancels.

    python benchmarks/threads.py [--repeats 3] [--search-repeats 1] [--json results/threads.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from _load import competing_load  # benchmarks/_load.py (this script's folder)

ROOT = Path(__file__).resolve().parents[1]
CNN = ROOT / "search_spaces" / "architectures" / "mnist1d_cnn.json"


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    run = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{run.stderr[-2000:]}")
    return seconds, run.stdout


def train_settings(n: int) -> dict[str, list[str]]:
    base = ["nas", "train", str(CNN), "--epochs", "10", "--quiet"]
    return {
        "1 thread (default)": [*base, "--threads", "1"],
        f"{n} threads": [*base, "--threads", str(n)],
    }


def search_settings(n: int) -> dict[str, list[str]]:
    base = ["nas", "search", "studies/quickstart.yaml", "--timeout", "3000"]
    return {
        f"1 process, {n} threads (before)": [*base, "--workers", "1", "--threads", str(n)],
        "1 process, 1 thread": [*base, "--workers", "1"],
        f"{n} workers x 1 thread (default)": base,
    }


def run_search(command: list[str]) -> tuple[float, str]:
    """One quickstart search in a fresh copy of the recipes (its own empty store)."""
    with tempfile.TemporaryDirectory() as tmp:
        for folder in ("studies", "search_spaces"):
            shutil.copytree(ROOT / folder, Path(tmp) / folder, ignore=shutil.ignore_patterns(
                "*.db", "*.db-*", "*artifacts*"))  # fmt: skip
        seconds, out = timed(command, Path(tmp))
    finished = next((line for line in out.splitlines() if line.startswith("Finished")), "")
    return seconds, finished


def measure(settings: dict[str, list[str]], repeats: int, runner, load: int) -> dict:  # type: ignore[no-untyped-def]
    times: dict[str, list[float]] = {name: [] for name in settings}
    for r in range(repeats):
        names = list(settings) if r % 2 == 0 else list(reversed(settings))
        for name in names:
            with competing_load(load, settle_s=1.0):
                seconds, note = runner(settings[name])
            times[name].append(round(seconds, 2))
            condition = "loaded" if load else "idle  "
            print(f"  {condition} {name:36s} {seconds:7.1f} s  {note}", flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the train job")
    parser.add_argument("--search-repeats", type=int, default=1)
    parser.add_argument("--jobs", nargs="+", default=["train", "search"])
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/threads.json")
    args = parser.parse_args()
    from nas.base import available_cpus

    n = available_cpus()
    results: dict = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {n} CPUs allowed, Python {platform.python_version()}",
        "jobs": {},
    }
    jobs = {
        "train": (train_settings(n), args.repeats, lambda c: (timed(c, ROOT)[0], "")),
        "search": (search_settings(n), args.search_repeats, run_search),
    }
    for job in args.jobs:
        settings, repeats, runner = jobs[job]
        results["jobs"][job] = {}
        for condition, load in (("idle", 0), ("loaded", n)):
            print(f"{job}, {condition}:", flush=True)
            times = measure(settings, repeats, runner, load)
            results["jobs"][job][condition] = times
    print("\n| job | setting | idle s (median) | loaded s (median) | loaded / idle |")
    print("| --- | --- | ---: | ---: | ---: |")
    for job, conditions in results["jobs"].items():
        for name in conditions["idle"]:
            idle = statistics.median(conditions["idle"][name])
            loaded = statistics.median(conditions["loaded"][name])
            print(f"| {job} | {name} | {idle:.1f} | {loaded:.1f} | {loaded / idle:.2f} |")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
