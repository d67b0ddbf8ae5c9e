"""Training throughput: nas's Lightning loop versus a plain PyTorch loop, same work.

Both train the same architecture (default: the paper's 5,210-parameter MNIST-1D CNN) on the
same device-resident MNIST-1D tensors, with the same optimizer, batch size, number of
epochs and steps, and both evaluate the validation split once per epoch. The plain loop is
what one would write by hand: shuffle indices, slice batches, forward, backward, step; no
host syncs inside the epoch. Runs alternate (plain, nas, plain, nas, ...) so machine noise
hits both alike, and the table reports medians and the ratio.

    python benchmarks/throughput.py [--arch search_spaces/architectures/mnist1d_cnn.json]
        [--epochs 20] [--repeats 5] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from nas.arch import Architecture
from nas.data import load_dataset
from nas.training import TrainOptions, build_seeded, make_optimizer, train_architecture

ROOT = Path(__file__).resolve().parents[1]


def plain_loop(arch: Architecture, data, epochs: int, device: str) -> float:  # type: ignore[no-untyped-def]
    """Seconds for ``epochs`` of a hand-written loop (built the way nas builds models)."""
    model = build_seeded(arch, data, 0).to(device)
    optimizer = make_optimizer(model.parameters(), arch.train)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=arch.train.label_smoothing)
    x = torch.as_tensor(data.x_train, device=device)
    y = torch.as_tensor(data.y_train, device=device)
    x_val = torch.as_tensor(data.x_val, device=device)
    y_val = torch.as_tensor(data.y_val, device=device)
    batch = arch.train.batch_size
    generator = torch.Generator(device="cpu").manual_seed(0)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=generator).to(device)
        for i in range(0, len(x), batch):
            index = order[i : i + batch]
            loss = loss_fn(model(x[index]), y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracy = (model(x_val).argmax(1) == y_val).float().mean()
        float(accuracy)  # one sync per epoch, as nas does
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def nas_loop(arch: Architecture, data, epochs: int, device: str) -> float:  # type: ignore[no-untyped-def]
    options = TrainOptions(seed=0, epochs=epochs, accelerator="cpu" if device == "cpu" else "gpu")
    result, _ = train_architecture(arch, data, options)
    assert result.epochs_run == epochs, result.stopped
    return result.train_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--arch", type=Path, default=ROOT / "search_spaces/architectures/mnist1d_cnn.json"
    )
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    arch = Architecture.from_json(args.arch.read_text())
    # no early stopping: both loops run every epoch
    from dataclasses import replace

    arch = replace(arch, train=replace(arch.train, patience=0))
    data = load_dataset("mnist1d")
    nas_loop(arch, data, 1, args.device)  # warm-up: imports, first-call costs
    plain_loop(arch, data, 1, args.device)
    plain, ours = [], []
    for _ in range(args.repeats):
        plain.append(plain_loop(arch, data, args.epochs, args.device))
        ours.append(nas_loop(arch, data, args.epochs, args.device))
        print(f"plain {plain[-1]:.2f} s, nas {ours[-1]:.2f} s", flush=True)
    steps = args.epochs * -(-len(data.x_train) // arch.train.batch_size)
    p, n = statistics.median(plain), statistics.median(ours)
    print(f"\n{args.arch.name}, {args.epochs} epochs = {steps} steps of batch "
          f"{arch.train.batch_size}, {args.device}, torch threads {torch.get_num_threads()}, "
          f"median of {args.repeats}\n")  # fmt: skip
    print("| loop | seconds | steps/s | ratio to plain |")
    print("| --- | --- | --- | --- |")
    print(f"| plain PyTorch | {p:.2f} | {steps / p:.0f} | 1.00x |")
    print(f"| nas (Lightning) | {n:.2f} | {steps / n:.0f} | {n / p:.2f}x |")


if __name__ == "__main__":
    main()
