"""How much memory this process may still allocate: the machine's available memory,
capped by a cgroup memory limit (a container, a Slurm job)."""

from __future__ import annotations

import os
from pathlib import Path

MEMINFO = Path("/proc/meminfo")
CGROUP_V2_LIMIT = Path("/sys/fs/cgroup/memory.max")
CGROUP_V2_USED = Path("/sys/fs/cgroup/memory.current")


def available_memory() -> int | None:
    """Bytes this process may still allocate (None: unknown on this platform)."""
    free = _meminfo_available()
    limit = _cgroup_room()
    if free is None:
        return limit
    return free if limit is None else min(free, limit)


def _meminfo_available() -> int | None:
    try:
        for line in MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_room() -> int | None:
    try:
        limit = CGROUP_V2_LIMIT.read_text().strip()
        if limit == "max":
            return None
        return max(0, int(limit) - int(CGROUP_V2_USED.read_text().strip()))
    except (OSError, ValueError):
        return None
