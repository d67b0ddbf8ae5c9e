"""CPUs a process may use: its affinity mask, capped by a cgroup CPU quota."""

from __future__ import annotations

import os

import pytest

from nas.base import available_cpus, cgroup_quota


@pytest.mark.parametrize(
    ("v2", "expected"),
    [("max 100000\n", None), ("200000 100000\n", 2), ("150000 100000\n", 2), ("50000 100000", 1),
     ("garbage", None)],
)
def test_cgroup_v2_quota_in_whole_cpus(tmp_path, v2, expected):
    (tmp_path / "cpu.max").write_text(v2)
    assert cgroup_quota(tmp_path / "cpu.max", tmp_path / "none", tmp_path / "none") == expected


def test_cgroup_v1_quota_and_no_quota(tmp_path):
    quota, period = tmp_path / "quota", tmp_path / "period"
    quota.write_text("300000\n")
    period.write_text("100000\n")
    assert cgroup_quota(tmp_path / "absent", quota, period) == 3
    quota.write_text("-1\n")
    assert cgroup_quota(tmp_path / "absent", quota, period) is None
    assert cgroup_quota(tmp_path / "absent", tmp_path / "absent", period) is None


def test_available_cpus_is_within_the_affinity_mask():
    assert 1 <= available_cpus() <= len(os.sched_getaffinity(0))
