"""Per-epoch progress of one training run: a rich bar in a terminal, a line per few epochs
otherwise (logs, notebooks' captured output, CI), always on stderr so that results on
stdout (``nas train --json``) stay machine-readable.

``EpochProgress`` is the hook: it calls ``on_epoch(done, total, metrics)`` after each
validated epoch. ``console_progress`` is what ``nas train`` and ``train_architecture``
show by default; a search passes its own hook to show the running trial's epochs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import lightning.pytorch as pl
from typing_extensions import override

EpochHook = Callable[[int, int, Mapping[str, float]], None]  # (epochs done, total, val metrics)
LINES_PER_RUN = 10  # without a terminal: about this many progress lines per run


class EpochProgress(pl.Callback):
    """Calls ``on_epoch(epochs_done, max_epochs, validation_metrics)`` after each epoch."""

    def __init__(self, on_epoch: EpochHook) -> None:
        self.on_epoch = on_epoch

    @override
    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val_")}
        self.on_epoch(trainer.current_epoch + 1, int(trainer.max_epochs or 0), metrics)


def format_metrics(metrics: Mapping[str, float]) -> str:
    return "  ".join(f"{k} {v:.4g}" for k, v in metrics.items())


class ConsoleProgress:
    """Shows one run's epochs on stderr: a transient bar on a terminal, else a line every
    ``total / LINES_PER_RUN`` epochs. Use as a context manager around the run."""

    def __init__(self, label: str = "training") -> None:
        from rich.console import Console

        self.label = label
        self.console = Console(stderr=True)
        self._bar = None
        self._task = None

    def __enter__(self) -> ConsoleProgress:
        if self.console.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(
                TextColumn(f"[bold]{self.label}[/] epoch"),
                MofNCompleteColumn(),
                BarColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[metrics]}"),
                console=self.console,
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("epochs", total=None, metrics="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, done: int, total: int, metrics: Mapping[str, float]) -> None:
        if self._bar is not None:
            self._bar.update(
                self._task, completed=done, total=total, metrics=format_metrics(metrics)
            )
            return
        every = max(1, total // LINES_PER_RUN)
        if done == 1 or done % every == 0 or done == total:
            line = f"{self.label} epoch {done}/{total}  {format_metrics(metrics)}"
            self.console.print(line, highlight=False, markup=False)
