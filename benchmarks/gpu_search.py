"""The default MNIST-1D search on one GPU: trials per hour with K concurrent trials per GPU,
GPU utilisation, bf16 versus fp32, and where a trial's time goes.

Each configuration runs ``nas search RECIPE --devices 0 --trials-per-gpu K`` for a fixed
wall-clock window into a fresh SQLite store (precision set in a copy of the recipe), while
``nvidia-smi`` samples the GPU every 0.5 s. Then, separately, a few fixed architectures
train for the same epochs in bf16-mixed and in 32-true, which compares the precisions on
identical work (a search's trials differ from run to run).

    python benchmarks/gpu_search.py [--recipe studies/mnist1d.yaml] [--seconds 120]
        [--runs 1:bf16-mixed 1:32-true 4:bf16-mixed 8:bf16-mixed]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import optuna
import yaml

ROOT = Path(__file__).resolve().parents[1]


class GpuSampler:
    """Samples utilisation (%) and memory (MiB) of GPU 0 with nvidia-smi."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self._process = subprocess.Popen(
            ["nvidia-smi", "-i", "0", "--query-gpu=utilization.gpu,memory.used",
             "--format=csv,noheader,nounits", "-lms", "500"],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            util, memory = (float(x) for x in line.split(","))
            self.samples.append((util, memory))

    def stop(self) -> tuple[float, float]:
        self._process.terminate()
        self._process.wait()
        util = statistics.mean(u for u, _ in self.samples) if self.samples else float("nan")
        peak = max((m for _, m in self.samples), default=float("nan"))
        return util, peak


def run_search(recipe: Path, k: int, precision: str, seconds: float, tmp: Path) -> dict:
    doc = yaml.safe_load(recipe.read_text())
    doc["space"] = str((recipe.parent / doc["space"]).resolve())
    doc.update(precision=precision, n_trials=None, timeout=seconds, study=f"k{k}-{precision}")
    copy = tmp / f"k{k}-{precision}.yaml"
    copy.write_text(yaml.safe_dump(doc))
    storage = f"sqlite:///{tmp}/k{k}-{precision}.db"
    gpu = GpuSampler()
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "nas", "search", str(copy), "--storage", storage,
         "--devices", "0", "--trials-per-gpu", str(k)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wall = time.perf_counter() - start
    util, memory = gpu.stop()
    trials = [
        t
        for t in optuna.load_study(study_name=doc["study"], storage=storage).trials
        if t.datetime_complete is not None
    ]
    first = min(t.datetime_start for t in trials)
    last = max(t.datetime_complete for t in trials)
    span = (last - first).total_seconds()
    trained = [t for t in trials if "train_seconds" in t.user_attrs]
    total = [(t.datetime_complete - t.datetime_start).total_seconds() for t in trained]
    train = [t.user_attrs["train_seconds"] for t in trained]
    complete = [t.value for t in trials if t.state.name == "COMPLETE"]
    return {
        "k": k,
        "precision": precision,
        "trials": len(trials),
        "per_hour": len(trials) / span * 3600,
        "gpu_util": util,
        "gpu_mem_mib": memory,
        "trial_s": statistics.mean(total),
        "train_s": statistics.mean(train),
        "overhead_s": statistics.mean(a - b for a, b in zip(total, train, strict=True)),
        "best": max(complete, default=float("nan")),
        "wall": wall,
        "devices": sorted({t.user_attrs.get("device", "?") for t in trained}),
        "precisions": sorted({t.user_attrs.get("precision", "?") for t in trained}),
    }


def precision_bench(recipe: Path, n_archs: int, epochs: int) -> list[dict]:
    """The same architectures trained for the same epochs in bf16-mixed and in 32-true."""
    from nas.data import load_dataset
    from nas.space import load_space
    from nas.training import TrainOptions, train_architecture

    doc = yaml.safe_load(recipe.read_text())
    space = load_space((recipe.parent / doc["space"]).resolve())
    data = load_dataset("mnist1d")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    rows = []
    for _ in range(n_archs):
        trial = study.ask()
        arch = space.sample(trial)
        study.tell(trial, 0.0)
        row = {"arch": arch.summary().replace(" | ", ", ")}
        for precision in ("32-true", "bf16-mixed"):
            options = TrainOptions(seed=0, epochs=epochs, precision=precision)
            train_architecture(arch, data, TrainOptions(seed=0, epochs=1, precision=precision))
            result, _ = train_architecture(arch, data, options)  # timed after a warm-up run
            row[precision] = result.train_seconds / result.epochs_run
            row[f"{precision} acc"] = result.metrics["val_acc"]
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", type=Path, default=ROOT / "studies" / "mnist1d.yaml")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument(
        "--runs", nargs="+", default=["1:bf16-mixed", "1:32-true", "4:bf16-mixed", "8:bf16-mixed"]
    )
    parser.add_argument("--archs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import torch

    print(f"GPU: {torch.cuda.get_device_name(0)}, torch {torch.__version__}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for spec in args.runs:
            k, precision = spec.split(":")
            row = run_search(args.recipe.resolve(), int(k), precision, args.seconds, Path(tmp))
            rows.append(row)
            print(row, flush=True)
    print(f"\n{args.recipe.name}, {args.seconds:.0f} s per configuration, one GPU\n")
    print("| trials per GPU | precision | trials | trials/hour | mean GPU util | peak GPU memory "
          "| mean trial time | training | platform overhead | best val acc |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        share = r["train_s"] / r["trial_s"]
        print(
            f"| {r['k']} | {r['precision']} | {r['trials']} | {r['per_hour']:.0f} "
            f"| {r['gpu_util']:.0f}% | {r['gpu_mem_mib']:.0f} MiB | {r['trial_s']:.2f} s "
            f"| {r['train_s']:.2f} s ({share:.0%}) | {r['overhead_s']:.2f} s | {r['best']:.4f} |"
        )
    bench = precision_bench(args.recipe.resolve(), args.archs, args.epochs)
    print(f"\nsame architectures, {args.epochs} epochs, seconds per epoch (after a warm-up)\n")
    print("| architecture | 32-true | bf16-mixed | fp32 / bf16 | val acc fp32 / bf16 |")
    print("| --- | --- | --- | --- | --- |")
    for b in bench:
        print(
            f"| {b['arch']} | {b['32-true']:.3f} | {b['bf16-mixed']:.3f} "
            f"| {b['32-true'] / b['bf16-mixed']:.2f}x "
            f"| {b['32-true acc']:.4f} / {b['bf16-mixed acc']:.4f} |"
        )


if __name__ == "__main__":
    main()
