"""Who runs a trial: the ``host:pid`` label recorded on it, and a worker index from it."""

from __future__ import annotations

import os
import socket
import zlib


def worker_label() -> str:
    """``host:pid`` of this process, recorded on each trial it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def unnamed_worker() -> int:
    """A worker index for a process started without one (by Slurm or Kubernetes, say)."""
    return zlib.crc32(worker_label().encode())
