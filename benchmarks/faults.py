"""Faults injected into one search on PostgreSQL: repeated SIGKILLs of workers, a worker
paused (SIGSTOP) past the grace period, and a server restart, all while ``nas search
--workers N`` runs; then what the study holds. The same scenario is CI's chaos test
(tests/study/test_chaos.py, with a smaller study).

    python benchmarks/faults.py [--trials 24] [--workers 3] [--load 2] [--json results/faults.json]

It starts a throwaway PostgreSQL cluster with .ci/postgres (Debian's postgresql package)
unless --storage and --cluster name one. Reported: the trials asked for and finished,
trials left RUNNING or WAITING, each fault and what became of its trial (failed with a
reason, retried, how long until the failure was noticed), the store outage as the workers
saw it, and the wall time against the same search without faults. Both searches run idle,
then under a competing load (``--load N`` busy-looping processes, one per core by default),
as on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from _load import competing_load  # benchmarks/_load.py (this script's folder)

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "search_spaces" / "tiny.yaml"
RECOVERY = {"heartbeat_interval": 1, "grace_period": 4, "max_retry": 3, "storage_retry_s": 120}


@dataclass
class Chaos:
    """What to inject, and when."""

    kills: int = 2  # workers SIGKILLed, one after another
    pause_s: float = 8.0  # a worker SIGSTOPped this long (past the grace period)
    outage_s: float = 5.0  # the server is down this long
    faults: list[dict[str, Any]] = field(default_factory=list)  # what happened, in order


def write_recipe(folder: Path, study: str, n_trials: int, trial_timeout: float) -> Path:
    import yaml

    space = folder / "slow.yaml"  # epochs up to 20000, cut by trial_timeout: steady trials
    space.write_text(TINY.read_text().replace("epochs: 2", "epochs: [2, 20000]"))
    recipe = folder / f"{study}.yaml"
    recipe.write_text(yaml.safe_dump({
        "study": study, "space": str(space), "data": "mnist1d", "sampler": "random",
        "pruner": "none", "n_trials": n_trials, "trial_timeout": trial_timeout, "seed": 0,
        "recovery": RECOVERY, "artifacts": {"enabled": False},
    }))  # fmt: skip
    return recipe


def trials_of(url: str, study: str) -> list:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        return optuna.load_study(study_name=study, storage=url).trials
    except KeyError:
        return []


def training(url: str, study: str, count: int, process: subprocess.Popen, timeout=180) -> list:
    """The trials in training once at least ``count`` are."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        running = [
            t for t in trials_of(url, study) if t.state.name == "RUNNING" and "seed" in t.user_attrs
        ]
        if len(running) >= count:
            return running
        if process.poll() is not None:
            raise RuntimeError(f"the search ended early: {process.communicate()}")
        time.sleep(0.3)
    raise TimeoutError(f"{count} trials never started training")


def pid_of(trial) -> int:
    return int(trial.user_attrs["worker"].rsplit(":", 1)[1])


def search(recipe: Path, url: str, workers: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "nas", "search", str(recipe), "--workers", str(workers)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "NAS_STORAGE": url, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


def inject(url: str, study: str, cluster: Path, process: subprocess.Popen, chaos: Chaos) -> None:
    """Kill, pause and cut off the workers of a running search, one fault after another."""
    seen: set[int] = set()
    for _ in range(chaos.kills):
        running = [t for t in training(url, study, 1, process) if t.number not in seen]
        victim = max(running, key=lambda t: t.datetime_start)  # the most training left
        seen.add(victim.number)
        os.kill(pid_of(victim), signal.SIGKILL)
        chaos.faults.append({"fault": "SIGKILL", "trial": victim.number, "pid": pid_of(victim),
                             "at": time.time()})  # fmt: skip
        time.sleep(2)
    paused = next(t for t in training(url, study, 1, process) if t.number not in seen)
    os.kill(pid_of(paused), signal.SIGSTOP)
    chaos.faults.append({"fault": f"SIGSTOP {chaos.pause_s:g} s", "trial": paused.number,
                         "at": time.time()})  # fmt: skip
    time.sleep(chaos.pause_s)
    os.kill(pid_of(paused), signal.SIGCONT)
    training(url, study, 1, process)
    started = time.time()
    subprocess.run([ROOT / ".ci" / "postgres", "restart", cluster, str(chaos.outage_s)],
                   check=True, capture_output=True)  # fmt: skip
    chaos.faults.append({"fault": f"server restart ({time.time() - started:.1f} s down)",
                         "trial": None, "at": started})  # fmt: skip


def summary(url: str, study: str, n_trials: int, chaos: Chaos) -> dict[str, Any]:
    """What the study holds after the search, and what became of each fault's trial."""
    trials = trials_of(url, study)
    by_number = {t.number: t for t in trials}
    retried = {}  # failed trial -> the last trial of its retry chain
    for t in trials:
        for number in t.system_attrs.get("retry_history", []):
            retried[number] = max(retried.get(number, -1), t.number)
    states: dict[str, int] = {}
    for t in trials:
        states[t.state.name] = states.get(t.state.name, 0) + 1
    faults = []
    for fault in chaos.faults:
        number = fault["trial"]
        if "pid" in fault:  # the trial the killed worker had when it died (it may have moved on)
            died = f":{fault['pid']} died"
            hit = [t for t in trials if died in (t.user_attrs.get("fail_reason") or "")]
            number = hit[0].number if hit else None  # None: killed between two trials
        row = {"fault": fault["fault"], "trial": number}
        if number is not None:
            trial = by_number[number]
            retry = by_number.get(retried.get(number, -1))
            row.update(
                state=trial.state.name,
                fail_reason=trial.user_attrs.get("fail_reason"),
                failed_after_s=round(trial.datetime_complete.timestamp() - fault["at"], 1)
                if trial.datetime_complete else None,
                final_retry=retry.number if retry else None,  # last of its retry chain
                retry_state=retry.state.name if retry else None,
            )  # fmt: skip
        faults.append(row)
    replaced = set(retried)
    surplus = [t for t in trials if (t.user_attrs.get("fail_reason") or "").startswith("not run:")]
    counted = [
        t for t in trials
        if not (t.state.name == "FAIL" and (t.number in replaced or t in surplus))
    ]  # fmt: skip
    return {
        "requested": n_trials,
        "finished": sum(t.state.name in ("COMPLETE", "PRUNED", "FAIL") for t in counted),
        "complete_or_pruned": sum(t.state.name in ("COMPLETE", "PRUNED") for t in counted),
        "states": states,
        "surplus": len(surplus),  # created at the same moment as the last one, never run
        "failed_unreplaced": [  # counted failures: what went wrong, if the count is short
            f"#{t.number}: {t.user_attrs.get('fail_reason')}"
            for t in counted
            if t.state.name == "FAIL"
        ],
        "running_left": states.get("RUNNING", 0),
        "waiting_left": states.get("WAITING", 0),
        "faults": faults,
    }


def run(url: str, cluster: Path, folder: Path, *, n_trials: int, workers: int,
        trial_timeout: float, chaos: Chaos | None, study: str) -> dict[str, Any]:  # fmt: skip
    """One search, with ``chaos`` injected (None: without faults)."""
    recipe = write_recipe(folder, study, n_trials, trial_timeout)
    started = time.time()
    process = search(recipe, url, workers)
    try:
        if chaos is not None:
            inject(url, study, cluster, process, chaos)
        out, err = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
    result = summary(url, study, n_trials, chaos or Chaos(kills=0))
    result.update(
        seconds=round(time.time() - started, 1),
        exit=process.returncode,
        stdout_tail=out.splitlines()[-1:],
        stderr=err.splitlines(),
        tracebacks=err.count("Traceback"),
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--trial-timeout", type=float, default=4.0)
    parser.add_argument("--storage", help="a PostgreSQL URL (default: a throwaway cluster)")
    parser.add_argument("--cluster", type=Path, help="its .ci/postgres folder")
    parser.add_argument(
        "--load",
        type=int,
        default=os.cpu_count() or 1,
        help="busy-looping processes beside the loaded runs (0: idle only)",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="nas-faults-"))
    cluster, url = args.cluster, args.storage
    if url is None:
        cluster = folder / "cluster"
        os.chmod(folder, 0o755)
        url = subprocess.run([ROOT / ".ci" / "postgres", "start", cluster], check=True,
                             capture_output=True, text=True).stdout.strip()  # fmt: skip
    common = dict(n_trials=args.trials, workers=args.workers,
                  trial_timeout=args.trial_timeout)  # fmt: skip
    conditions = {"idle": 0, **({"loaded": args.load} if args.load else {})}
    report: dict[str, Any] = {
        "command": " ".join(["python", "benchmarks/faults.py", *sys.argv[1:]]),
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}",
        "settings": {**common, "recovery": RECOVERY},
    }
    try:
        for condition, spinners in conditions.items():
            stamp = f"{condition}-{int(time.time())}"
            with competing_load(spinners):
                calm = run(url, cluster, folder, chaos=None, study=f"calm-{stamp}", **common)
                chaos = run(url, cluster, folder, chaos=Chaos(), study=f"chaos-{stamp}", **common)
            report[condition] = {
                "competing_processes": spinners,
                "without_faults": calm,
                "with_faults": chaos,
                "slowdown": round(chaos["seconds"] / calm["seconds"], 2),
            }
    finally:
        if args.storage is None:
            subprocess.run([ROOT / ".ci" / "postgres", "stop", cluster], capture_output=True)
    text = json.dumps(report, indent=2, default=str)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
