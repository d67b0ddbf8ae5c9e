"""How much a validation estimate moves with the split alone, by training-set size: the
measurement behind ``validation: auto`` cross-validating below 1000 samples.

For MNIST-1D subsampled (stratified) to each size, one fixed architecture (the reference
CNN of Greydanus 2020, with the auto space's budget: at least 600 steps, 30 epochs,
patience 8) is trained with the same seed on differently seeded splits:

* **holdout**: a stratified 20% validation split (seed s), the search's default above 1000;
* **5-fold**: the mean over 5 stratified folds (seed s), the default below.

The spread (sd over split seeds) of each estimate is the noise a search ranks trials by;
the gap to test accuracy is how far the chosen number is from what a user will see.

    python benchmarks/validation_noise.py [--sizes 100 300 1000 3000] [--splits 5]
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from nas.arch import Architecture
from nas.data import load_dataset, make_dataset
from nas.training import TrainOptions, mean_result, train_architecture, train_folds

ROOT = Path(__file__).resolve().parents[1]
ARCH = ROOT / "search_spaces" / "architectures" / "mnist1d_cnn.json"


def subset(n: int):  # type: ignore[no-untyped-def]
    from sklearn.model_selection import train_test_split

    full = load_dataset("mnist1d")
    x, y = full.pool()
    x, _, y, _ = train_test_split(x, y, train_size=n, stratify=y, random_state=0)
    return full, x, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[100, 300, 1000, 3000])
    parser.add_argument("--splits", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    arch = Architecture.from_json(ARCH.read_text())
    arch = replace(arch, train=replace(arch.train, epochs=30, min_steps=600, patience=8))
    print("| train size | holdout val acc (sd over splits) | holdout − test | "
          "5-fold val acc (sd over splits) | 5-fold − test |")  # fmt: skip
    print("| ---: | ---: | ---: | ---: | ---: |")
    for n in args.sizes:
        full, x, y = subset(n)
        hold, hold_gap, cv, cv_gap = [], [], [], []
        for s in range(args.splits):
            data = make_dataset("sub", x, y, full.x_test, full.y_test, split_seed=s)
            result, _ = train_architecture(arch, data, TrainOptions(seed=0), evaluate_test=True)
            hold.append(result.metrics["val_acc"])
            hold_gap.append(result.metrics["val_acc"] - result.test_metrics["acc"])
            results, models = train_folds(arch, data, TrainOptions(seed=0), 5, fold_seed=s)
            mean, _ = mean_result(results)
            test = statistics.fmean(
                float((m.eval()(torch.from_numpy(data.x_test)).argmax(-1).numpy() == data.y_test)
                      .mean()) for m in models
            )  # fmt: skip
            cv.append(mean.metrics["val_acc"])
            cv_gap.append(mean.metrics["val_acc"] - test)
        print(
            f"| {n} | {100 * np.mean(hold):.1f} ({100 * np.std(hold):.1f}) | "
            f"{100 * np.mean(hold_gap):+.1f} ± {100 * np.std(hold_gap):.1f} | "
            f"{100 * np.mean(cv):.1f} ({100 * np.std(cv):.1f}) | "
            f"{100 * np.mean(cv_gap):+.1f} ± {100 * np.std(cv_gap):.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
