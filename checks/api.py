"""What other features may use of the checks: the one public door (``rbh.checks.api``).

``rbh ask``, ``rbh serve`` and ``rbh index`` show each runbook's health and find alerts the way
``rbh check`` does; they import this module and nothing else of ``rbh.checks`` (an import-linter
contract in pyproject.toml holds them to it). Everything here is a thin call into the checks, so
the answer and the report can never disagree:

- ``runbook_health``: each runbook's open findings, as ``rbh check PATHS`` reports them (from the
  findings stored for this repository state, ``checks.health_cache``);
- ``refresh_health``: store every runbook's findings for the current state (``rbh index`` and
  ``rbh serve`` do it ahead of the questions); ``start_health_refresh`` does it in a second process
  while the caller goes on (``rbh index`` updates the index meanwhile);
- ``load_inventory``: the platform model (``rbh.inventory.Inventory``) read from the manifests;
- ``load_alerts``: the alerting rules of some rule files, through the checks' Prometheus source;
- ``default_review_days``: the review interval of a runbook that declares none (RBH401's option),
  so ``rbh ask`` shows the due date that ``rbh check`` and the site show.

Everything is typed; the names in ``__all__`` are the API. The models they take and return that are
not the checks' own live in the core (``rbh.inventory``, ``rbh.project``, ``rbh.config``).
"""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
from typing import TYPE_CHECKING

from rbh.checks.model import Finding
from rbh.cpus import usable_cpus

if TYPE_CHECKING:
    from rbh.config import Config
    from rbh.inventory import Alert, Inventory
    from rbh.project import Project

__all__ = [
    "Finding",
    "HealthRefresh",
    "default_review_days",
    "load_alerts",
    "load_inventory",
    "refresh_health",
    "runbook_health",
    "start_health_refresh",
]

log = logging.getLogger(__name__)


def runbook_health(project: Project, paths: list[str], *, inventory: Inventory | None = None,
                   today: dt.date | None = None, use_cache: bool = True) -> dict[str, list[Finding]]:
    """Open findings (not suppressed) of each of *paths*, exactly as ``rbh check PATHS`` reports them.

    With *use_cache* they come from the findings stored for this repository state, computed for
    every runbook in one pass when the repository moved on; without it the checks run for *paths*.
    Raises what the checks raise (``RbhError`` for a broken config).
    """
    from rbh.checks.health_cache import health

    result = health(project, paths, inventory=inventory, today=today, use_cache=use_cache)
    out: dict[str, list[Finding]] = {p: [] for p in paths}
    for f in result.active:
        if f.path in out:
            out[f.path].append(f)
    return out


def refresh_health(project: Project, *, inventory: Inventory | None = None) -> str:
    """Store every runbook's findings for the current state: "current", "incremental" or "full"."""
    from rbh.checks.health_cache import refresh

    return refresh(project, inventory=inventory)


class HealthRefresh:
    """``refresh_health`` for *project*, running beside the caller.

    With a second CPU it runs in a process of its own (``rbh.checks.refresh_worker``), started
    here, so that the checks do not add to the caller's time: on a one-file ``rbh index`` they
    were 0.2 s of 1.3 s. With one CPU a second process would only compete with the caller, so
    the checks run when ``wait`` is called, as before. A worker that cannot start or run (an
    interpreter that cannot import rbh) is replaced by running the checks in ``wait``.
    """

    WORKER = "rbh.checks.refresh_worker"

    def __init__(self, project: Project) -> None:
        self.project = project
        self.proc: subprocess.Popen[str] | None = None
        if sys.executable and usable_cpus() > 1:
            # -P: the current folder (often the repository being indexed, which is not trusted) is
            # not put on the worker's sys.path, so a folder named rbh/ in it is never imported.
            # No shell; the root is one argument; the worker's output is one class name at most.
            try:
                self.proc = subprocess.Popen([sys.executable, "-P", "-m", self.WORKER, str(project.root)], stdin=subprocess.DEVNULL,
                                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            except OSError:
                self.proc = None

    def wait(self) -> str | None:
        """None once the findings are stored, else the class name of what failed."""
        if self.proc is not None:
            out, _ = self.proc.communicate()
            code, self.proc = self.proc.returncode, None
            name = out.strip()
            if code == 0:
                return None
            if code == 1 and name.isidentifier():
                return name
            log.debug("health worker exited with %s; checking here", code)
        try:
            refresh_health(self.project)
        except Exception as exc:  # noqa: BLE001 - the caller decides what a failed refresh means
            log.debug("health not stored", exc_info=True)
            return type(exc).__name__
        return None

    def cancel(self) -> None:
        """Stop the worker: the caller failed, and health is refreshed after work that succeeded.
        The stored findings stay as they were (they are replaced by an atomic rename)."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self.proc = None


def start_health_refresh(project: Project) -> HealthRefresh:
    """Start ``refresh_health`` for *project* beside the caller; ``wait()`` for its outcome, or
    ``cancel()`` it."""
    return HealthRefresh(project)


def load_inventory(project: Project) -> Inventory:
    """Every manifest (and catalog) file of *project* read into one inventory, problems included."""
    from rbh.checks.sources import load_inventory as load

    return load(project)


def load_alerts(files: dict[str, bytes]) -> list[Alert]:
    """The alerting rules in *files* (path -> bytes; PrometheusRule resources and plain rule files)."""
    from rbh.checks.sources import prometheus

    return list(prometheus.load(files).alerts)


def default_review_days(config: Config) -> int | None:
    """Days between reviews for a runbook whose front matter sets no ``review_every``: the
    ``default_review_days`` option of the review-overdue rule (RBH401), or None when that rule is
    disabled (then only a declared interval makes a review due). ``ConfigError`` for a broken
    rule configuration, as ``rbh check`` reports it."""
    from rbh.checks.engine import rule_settings
    from rbh.checks.rules import rbh401_review_overdue as rule

    enabled, _, options = rule_settings(config)[rule.ID]
    return options.default_review_days if enabled else None
