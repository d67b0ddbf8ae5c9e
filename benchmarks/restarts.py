"""Repeated server restarts during searches on PostgreSQL, and nothing else: every trial
that fails is one the store's outages failed, since no worker is harmed.

    python benchmarks/restarts.py [--searches 8] [--trials 30] [--seed 7] [--json FILE]

Each search is ``nas search --workers 3`` of ``--trials`` trials (tiny space, 3 s
``trial_timeout``, random sampler; recovery as in benchmarks/faults.py: heartbeat every
1 s, grace period 4 s). Once a trial trains, the server is stopped (``pg_ctl -m
immediate``) every 1.5-5 s and restarted 0.5-4.5 s later, until the search ends. Reported
per search: the restarts, the trials failed (and why), the trials asked for and finished,
workers that died, the exit code and tracebacks. A throwaway cluster comes from
.ci/postgres (Debian's postgresql package).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from faults import ROOT, Chaos, search, summary, training, trials_of, write_recipe

POSTGRES = ROOT / ".ci" / "postgres"


def one_search(url: str, cluster: Path, index: int, trials: int, rng: random.Random) -> dict:
    folder = Path(tempfile.mkdtemp())
    study = f"restarts-{index}"
    process = search(write_recipe(folder, study, trials, 3), url, workers=3)
    started, restarts = time.time(), 0
    training(url, study, 1, process)
    while process.poll() is None:
        time.sleep(rng.uniform(1.5, 5))
        if process.poll() is not None:
            break
        subprocess.run([POSTGRES, "restart", cluster, f"{rng.uniform(0.5, 4.5):.2f}"],
                       check=True, capture_output=True)  # fmt: skip
        restarts += 1
    _, err = process.communicate()
    held = summary(url, study, trials, Chaos(kills=0))
    failed = [t for t in trials_of(url, study) if t.state.name == "FAIL"]
    surplus = [t for t in failed if (t.user_attrs.get("fail_reason") or "").startswith("not run:")]
    return {
        "restarts": restarts,
        "seconds": round(time.time() - started, 1),
        "failed": [  # surplus trials (created beyond the budget, never run) are not failures
            f"#{t.number}: {t.user_attrs.get('fail_reason')}" for t in failed if t not in surplus
        ],
        "surplus": len(surplus),
        "finished": held["finished"],
        "complete_or_pruned": held["complete_or_pruned"],
        "workers_died": sum("starting another in its place" in line for line in err.splitlines()),
        "exit": process.returncode,
        "tracebacks": err.count("Traceback"),
    }


def totals(rows: list[dict[str, Any]], trials: int) -> dict[str, int]:
    return {
        "searches": len(rows),
        "restarts": sum(r["restarts"] for r in rows),
        "trials_failed": sum(len(r["failed"]) for r in rows),
        "searches_with_failures": sum(bool(r["failed"]) for r in rows),
        "searches_short": sum(r["complete_or_pruned"] < trials for r in rows),
        "workers_died": sum(r["workers_died"] for r in rows),
        "tracebacks": sum(r["tracebacks"] for r in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--searches", type=int, default=8)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7, help="seeds the restarts' timing")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cluster = Path(tempfile.mkdtemp(prefix="nas-postgres-")) / "cluster"
    url = subprocess.run([POSTGRES, "start", cluster], check=True, capture_output=True,
                         text=True).stdout.strip()  # fmt: skip
    rows: list[dict[str, Any]] = []
    try:
        for index in range(args.searches):
            rows.append(one_search(url, cluster, index, args.trials, rng))
            print(json.dumps(rows[-1]), flush=True)
    finally:
        subprocess.run([POSTGRES, "stop", cluster], check=False)
    total = totals(rows, args.trials)
    print(json.dumps(total))
    if args.json:
        meta = {"date": str(date.today()), "machine": platform.platform(), "args": vars(args)}
        args.json.write_text(json.dumps({**meta, "total": total, "searches": rows},
                                        indent=1, default=str))  # fmt: skip


if __name__ == "__main__":
    main()
