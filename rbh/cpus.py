"""How many CPUs this process may really use: what ``rbh index`` asks before it runs the checks in a
second process (``rbh.checks.api.HealthRefresh``)."""

from __future__ import annotations

import os
from pathlib import Path


def usable_cpus() -> int:
    """CPUs this process may use: its affinity mask (where the platform has one), capped by a CPU
    quota on its cgroup. A CI job in a container limited to one CPU still sees every CPU of the host
    in its mask; a second process there only shares that one CPU, slowed by throttling."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1
    quota = cgroup_cpu_quota()
    return cpus if quota is None else max(1, min(cpus, int(quota)))


def cgroup_cpu_quota(root: str = "/") -> float | None:
    """The CPU quota of this process's cgroup in CPUs (``quota / period``), None when there is none
    or it cannot be read. cgroup v2: ``cpu.max`` of the process's group and its ancestors (the
    smallest wins); cgroup v1: ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` of its cpu controller.
    *root* is the file system root the ``/proc`` and ``/sys`` paths are read under (tests)."""
    base = Path(root)
    try:
        lines = (base / "proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    quotas: list[float] = []
    for line in lines:
        _, controllers, group = (line.split(":", 2) + ["", ""])[:3]
        group = group.strip().lstrip("/")
        if controllers == "":  # v2: the unified hierarchy
            folder = base / "sys/fs/cgroup" / group
            while True:
                quotas.extend(_v2_quota(folder / "cpu.max"))
                if folder == base / "sys/fs/cgroup":
                    break
                folder = folder.parent
        elif "cpu" in controllers.split(","):
            for mount in ("cpu,cpuacct", "cpu", "cpuacct,cpu"):
                folder = base / "sys/fs/cgroup" / mount
                if folder.is_dir():
                    # inside a container the group's own folder is usually mounted as the root
                    quotas.extend(_v1_quota(folder / group if (folder / group).is_dir() else folder))
                    break
    return min(quotas) if quotas else None


def _v2_quota(path: Path) -> list[float]:
    try:
        quota, period = path.read_text().split()[:2]
        return [] if quota == "max" else [int(quota) / int(period)]
    except (OSError, ValueError):
        return []


def _v1_quota(folder: Path) -> list[float]:
    try:
        quota = int((folder / "cpu.cfs_quota_us").read_text())
        period = int((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return []
    return [quota / period] if quota > 0 and period > 0 else []
