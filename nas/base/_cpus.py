"""How many CPUs this process may use: its affinity mask, capped by a cgroup CPU quota.

``os.cpu_count()`` counts the machine's cores, not the ones a container, ``taskset`` or a
Slurm allocation lets this process run on; sizing thread pools or worker counts by it
oversubscribes the cores and, under contention, torch's spin-waiting threads collapse.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_V2_MAX = Path("/sys/fs/cgroup/cpu.max")  # "QUOTA PERIOD" or "max PERIOD"
CGROUP_V1_QUOTA = Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")  # -1: no quota
CGROUP_V1_PERIOD = Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us")


def available_cpus() -> int:
    """CPUs this process may use: ``os.sched_getaffinity``, capped by a cgroup CPU quota.

    >>> available_cpus() >= 1
    True
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity masks
        cpus = os.cpu_count() or 1
    quota = cgroup_quota()
    return max(1, min(cpus, quota) if quota is not None else cpus)


def cgroup_quota(
    v2: Path = CGROUP_V2_MAX, v1_quota: Path = CGROUP_V1_QUOTA, v1_period: Path = CGROUP_V1_PERIOD
) -> int | None:
    """Whole CPUs the cgroup's quota grants (rounded up), or None without a quota."""
    try:
        if v2.exists():
            quota, period = v2.read_text().split()[:2]
            return None if quota == "max" else _whole(int(quota), int(period))
        if v1_quota.exists() and v1_period.exists():
            quota_us = int(v1_quota.read_text())
            return None if quota_us < 0 else _whole(quota_us, int(v1_period.read_text()))
    except (OSError, ValueError):  # unreadable or malformed: no quota we can rely on
        return None
    return None


def _whole(quota: int, period: int) -> int | None:
    return max(1, math.ceil(quota / period)) if quota > 0 and period > 0 else None
