"""A competing CPU load for benchmarks: processes that each keep one core busy, as other
work on a shared machine would."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from contextlib import contextmanager


def _spin() -> None:
    while True:
        pass


@contextmanager
def competing_load(n: int, settle_s: float = 0.0) -> Iterator[None]:
    """``n`` busy-looping processes for the duration of the block (none: idle), started
    ``settle_s`` seconds before it."""
    procs = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(n)]
    for p in procs:
        p.start()
    try:
        time.sleep(settle_s if procs else 0.0)
        yield
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.join()
