"""Ctrl-C, SIGTERM and SIGHUP during a search: finish cleanly instead of leaving a trial
RUNNING forever.

Lightning turns a KeyboardInterrupt inside ``fit`` into ``sys.exit(1)`` and ignores further
Ctrl-C, which Optuna does not catch. So the search installs its own handler for SIGINT and
for the signals that schedulers and service managers send (``timeout``, ``scancel`` and
systemd send SIGTERM; a closed terminal sends SIGHUP): the first asks the running trainer to
stop after the current batch (the trial is then marked FAIL with the reason), a second one
aborts at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType

import lightning.pytorch as pl
from typing_extensions import override

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
SIGNAL_NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}


class GracefulInterrupt:
    """Context manager that turns the first stop signal into a flag."""

    def __init__(self, on_first: Callable[[], None] | None = None) -> None:
        self.requested = False
        self.signal_name = "Ctrl-C"  # what asked for the stop
        self._on_first = on_first
        self._previous: dict[int, object] = {}

    @property
    def reason(self) -> str:
        """A stopped trial's ``fail_reason``."""
        return f"interrupted by the user ({self.signal_name})"

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            for sig in STOP_SIGNALS:
                signal.signal(sig, signal.default_int_handler if sig == signal.SIGINT else
                              signal.SIG_DFL)  # fmt: skip
            raise KeyboardInterrupt
        # the name first: a second signal may interrupt this handler once ``requested`` is set
        self.signal_name = SIGNAL_NAMES.get(signal.Signals(signum), signal.Signals(signum).name)
        self.requested = True
        if self._on_first is not None:
            self._on_first()

    def __enter__(self) -> GracefulInterrupt:
        if threading.current_thread() is threading.main_thread():
            for sig in STOP_SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)  # type: ignore[arg-type]


class StopOnInterrupt(pl.Callback):
    """Stops the trainer after the current batch once an interrupt was requested."""

    def __init__(self, interrupt: GracefulInterrupt) -> None:
        self.interrupt = interrupt

    @override
    def on_train_batch_end(self, trainer: pl.Trainer, *args: object, **kwargs: object) -> None:
        if self.interrupt.requested:
            trainer.should_stop = True
