"""`rbh index` stores every runbook's health in a second process (``rbh.checks.refresh_worker``)
when the machine has a second CPU, and in its own process when it has one: the stored findings are
the same either way, and the worker never imports code from the repository being indexed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ask_support import make_shop
from conftest import run_rbh_subprocess

pytestmark = pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
                                reason="needs a second CPU and CPU affinity (Linux)")


def stored(root: Path) -> dict:
    doc = json.loads((root / ".rbh" / "health-cache.json").read_text(encoding="utf-8"))
    return {"head": doc["head"], "key": doc["key"], "findings": doc["findings"]}


def index_pinned(root: Path, cpus: set[int] | None) -> subprocess.CompletedProcess:
    """The installed ``rbh index`` in a new process, on the CPUs given (None: all of them)."""
    exe = str(Path(sys.executable).parent / "rbh")
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    return subprocess.run([exe, "index", "--repo", str(root), "-q"], capture_output=True, text=True, timeout=300,
                          preexec_fn=pin)  # noqa: PLW1509 - only sets the child's CPU affinity


def test_two_cpus_and_one_cpu_store_the_same_health_as_a_full_check(tmp_path):
    two, one = make_shop(tmp_path / "two"), make_shop(tmp_path / "one")
    first = sorted(os.sched_getaffinity(0))[0]
    a, b = index_pinned(two, None), index_pinned(one, {first})
    assert (a.returncode, a.stderr, b.returncode, b.stderr) == (0, "", 0, "")
    with_worker, inline = stored(two), stored(one)
    assert with_worker["findings"] == inline["findings"]
    assert with_worker["head"] == subprocess.run(["git", "-C", str(two), "rev-parse", "HEAD"], capture_output=True,
                                                 text=True).stdout.strip()
    # and they are what `rbh check` finds: RBH101 on the search runbook (its deployment is gone)
    assert [f["rule"] for f in with_worker["findings"]["runbooks/search.md"] if f["rule"] == "RBH101"] == ["RBH101"]


def test_the_worker_never_imports_a_package_of_the_repository_being_indexed(tmp_path):
    """A repository with an ``rbh/`` folder, indexed from inside it: Python's ``-m`` would put the
    current folder first on sys.path; the worker runs with ``-P``, so the installed rbh runs."""
    root = make_shop(tmp_path / "shop")
    marker = tmp_path / "pwned"
    payload = f"open({str(marker)!r}, 'w').write('ran')\n"
    for rel in ("rbh/__init__.py", "rbh/checks/__init__.py", "rbh/checks/refresh_worker.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(payload, encoding="utf-8")
    proc = run_rbh_subprocess(["index", "-q"], cwd=root)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert not marker.exists()
    assert "runbooks/search.md" in stored(root)["findings"]


def test_a_worker_that_fails_reports_the_class_name_only(tmp_path):
    """The worker's one-line protocol: exit 1 and the exception's class name (never its message)."""
    not_a_repo = tmp_path / "plain"
    not_a_repo.mkdir()
    proc = subprocess.run([sys.executable, "-P", "-m", "rbh.checks.refresh_worker", str(not_a_repo)],
                          capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (1, "GitError\n")


def test_health_refresh_reports_the_workers_failure_to_the_caller(tmp_path):
    from rbh.checks.api import start_health_refresh
    from rbh.project import load_project

    root = make_shop(tmp_path / "shop")
    project = load_project(root)
    (root / ".git").rename(root / "moved-git")  # the worker opens the repository afresh: it is gone
    refresh = start_health_refresh(project)
    assert refresh.proc is not None  # a second process, on this machine's second CPU
    assert refresh.wait() == "GitError"


def test_with_one_cpu_the_checks_run_in_the_callers_process(tmp_path):
    from rbh.checks.api import start_health_refresh
    from rbh.project import load_project

    root = make_shop(tmp_path / "shop")
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    try:
        refresh = start_health_refresh(load_project(root))
    finally:
        os.sched_setaffinity(0, cpus)
    assert refresh.proc is None  # a second process would only compete with the caller for its CPU
    assert not (root / ".rbh" / "health-cache.json").exists()
    assert refresh.wait() is None
    assert "runbooks/search.md" in stored(root)["findings"]
