"""torch's CPU threads for one training run.

On CPU a trial trains with ``threads`` intra-op threads (default 1, see ``TrainOptions``):
the small models a search produces gain little from a second thread on an idle machine and
lose several-fold on a busy one, where torch's OpenMP threads spin-wait for each other
(``benchmarks/threads.py`` measures both). Parallelism comes from concurrent trials
instead. One thread also makes results independent of the machine's core count: torch
splits reductions by thread, so a different count changes the last bits of every sum.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from nas.base import available_cpus


@contextmanager
def cpu_threads(threads: int) -> Iterator[int]:
    """Run the block with ``threads`` intra-op threads (at most the CPUs this process may
    use), restoring the previous count afterwards. Yields the count in effect."""
    n = max(1, min(threads, available_cpus()))
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield n
    finally:
        torch.set_num_threads(before)
