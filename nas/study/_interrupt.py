"""Ctrl-C during a search: finish cleanly instead of leaving a trial RUNNING forever.

Lightning turns a KeyboardInterrupt inside ``fit`` into ``sys.exit(1)`` and ignores further
Ctrl-C, which Optuna does not catch. So the search installs its own SIGINT handler: the
first Ctrl-C asks the running trainer to stop after the current batch (the trial is then
marked FAIL with the reason), a second one aborts at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType

import lightning.pytorch as pl
from typing_extensions import override


class GracefulInterrupt:
    """Context manager that turns the first SIGINT into a flag."""

    def __init__(self, on_first: Callable[[], None] | None = None) -> None:
        self.requested = False
        self._on_first = on_first
        self._previous: object = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            raise KeyboardInterrupt
        self.requested = True
        if self._on_first is not None:
            self._on_first()

    def __enter__(self) -> GracefulInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]


class StopOnInterrupt(pl.Callback):
    """Stops the trainer after the current batch once an interrupt was requested."""

    def __init__(self, interrupt: GracefulInterrupt) -> None:
        self.interrupt = interrupt

    @override
    def on_train_batch_end(self, trainer: pl.Trainer, *args: object, **kwargs: object) -> None:
        if self.interrupt.requested:
            trainer.should_stop = True
