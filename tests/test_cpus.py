"""``rbh.cpus``: the CPUs a process may use, capped by its cgroup's CPU quota (a CI container limited
to one CPU sees every host CPU in its affinity mask). The cgroup files are laid out under a temp
root exactly as the kernel shows them in ``/proc`` and ``/sys/fs/cgroup``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rbh import cpus
from rbh.cpus import cgroup_cpu_quota, usable_cpus


def _write(root: Path, files: dict[str, str]) -> str:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return str(root)


@pytest.mark.parametrize(("files", "quota"), [
    # cgroup v2, a container whose own group is mounted as the root: one CPU
    ({"proc/self/cgroup": "0::/\n", "sys/fs/cgroup/cpu.max": "100000 100000\n"}, 1.0),
    # v2 without a limit
    ({"proc/self/cgroup": "0::/\n", "sys/fs/cgroup/cpu.max": "max 100000\n"}, None),
    # v2 on a host: the group's own limit and its parent's, the smaller wins
    ({"proc/self/cgroup": "0::/ci.slice/job-7.scope\n", "sys/fs/cgroup/cpu.max": "max 100000\n",
      "sys/fs/cgroup/ci.slice/cpu.max": "150000 100000\n",
      "sys/fs/cgroup/ci.slice/job-7.scope/cpu.max": "400000 100000\n"}, 1.5),
    # cgroup v1, cpu and cpuacct mounted together; the group folder exists on a host
    ({"proc/self/cgroup": "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n",
      "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "50000\n",
      "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n"}, 0.5),
    # v1 inside a container: the group's folder is the mount itself; -1 is "no quota"
    ({"proc/self/cgroup": "4:cpu,cpuacct:/docker/abc\n",
      "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
      "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n"}, None),
    # unreadable or garbled files: no quota, never an error
    ({"proc/self/cgroup": "0::/\n", "sys/fs/cgroup/cpu.max": "lots\n"}, None),
    ({}, None),
])
def test_cgroup_cpu_quota(tmp_path, files, quota):
    assert cgroup_cpu_quota(_write(tmp_path, files)) == quota


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no affinity mask on this platform")
def test_usable_cpus_is_the_affinity_mask_capped_by_the_quota(monkeypatch):
    mask = len(os.sched_getaffinity(0))
    monkeypatch.setattr(cpus, "cgroup_cpu_quota", lambda root="/": None)
    assert usable_cpus() == mask
    monkeypatch.setattr(cpus, "cgroup_cpu_quota", lambda root="/": 1.0)
    assert usable_cpus() == 1  # a one-CPU container: rbh index runs the checks in its own process
    monkeypatch.setattr(cpus, "cgroup_cpu_quota", lambda root="/": 0.5)
    assert usable_cpus() == 1
    monkeypatch.setattr(cpus, "cgroup_cpu_quota", lambda root="/": mask + 8.0)
    assert usable_cpus() == mask
