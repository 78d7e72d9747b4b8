"""Every runbook's findings, computed once per repository state: ``.rbh/health-cache.json``.

A full ``rbh check`` (and ``rbh index``, and ``rbh ask`` when the repository moved on) stores the
findings of every file, before suppression, under a key over the repository state: HEAD, the config,
the rbh version and each runbook and manifest file's size and modification time (the work tree, so
an uncommitted edit gives a new key). ``rbh ask`` then shows health without running the checks:
it takes the stored findings of the runbooks in the answer, adds the date-dependent findings
(``checks.rules.DATE_RULES``: review overdue) for today, and applies suppressions (snoozes expire
by date, the baseline may have changed) exactly as ``rbh check PATHS`` would. Nothing is keyed by day.

The file and its checks live in ``checks.health_store`` (below the engine, which writes it after a
full run); this module is the use cases above the engine: ``refresh`` and ``health``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rbh import cachefile
from rbh.checks.model import CheckResult
from rbh.checks.health_store import cache_path, finding_to_json, read_doc, state_key, stored_findings, write_doc


def refresh(project: Any, *, inventory: Any = None) -> str:
    """Store every runbook's findings for the current state; returns "current", "incremental" or "full".

    When findings are stored for an earlier commit, only the runbooks that the change since then can
    affect are checked again (the scope of ``rbh check --changed-since``, which reports exactly what a
    full run reports for them); every other runbook keeps its stored findings. Anything unusual (no
    stored commit, a rewritten history, a runbook without stored findings, a change that reaches
    every runbook) falls back to checking everything, so the result is always a full run's.
    """
    from rbh.checks.engine import run_checks
    from rbh.checks.rules import DATE_RULES
    from rbh.errors import RbhError

    key = state_key(project)
    old = read_doc(project)
    if old is not None and old.get("key") == key:
        return "current"
    base = old.get("head") if old is not None else None
    selected = None
    if isinstance(base, str) and len(base) == 40 and all(c in "0123456789abcdef" for c in base) and project.repo is not None:
        try:
            from rbh.checks.changed import runbooks_in_scope

            selected, _ = runbooks_in_scope(project, base)
        except (RbhError, ValueError):  # the commit is gone (force-push, shallow clone): check everything
            selected = None
    have = old["findings"] if old is not None else {}
    current = project.runbook_paths()
    if selected is None or any(p not in have and p not in selected for p in current):
        run_checks(project, inventory=inventory)  # stores every runbook's findings
        return "full"
    by_path: dict[str, list[dict[str, Any]]] = {p: have[p] for p in current if p not in selected}
    if selected:
        result = run_checks(project, paths=selected, inventory=inventory)
        for p in selected:
            by_path[p] = []
        for f in result.findings:
            if f.path in by_path and f.path in selected and f.rule not in DATE_RULES:
                by_path[f.path].append(finding_to_json(f))
    path = cache_path(project)
    if path is not None:
        write_doc(path, key, cachefile.head_sha(project), by_path)
    return "incremental"


def health(project: Any, paths: list[str], *, inventory: Any = None, today: dt.date | None = None,
           use_cache: bool = True) -> CheckResult:
    """``CheckResult`` for *paths* as ``rbh check PATHS`` would give it, from the stored findings.

    When nothing is stored for the current state, every runbook is checked in one pass (which costs
    about what checking one does: the inventory and history are shared) and the result is stored.
    """
    from rbh.checks.engine import run_checks
    from rbh.checks.rules import DATE_RULES

    if not use_cache:
        return run_checks(project, paths=paths, inventory=inventory, today=today, use_cache=False)
    key = state_key(project)
    stored = stored_findings(project, paths, key)
    if stored is None:
        refresh(project, inventory=inventory)  # what changed since the stored commit, or everything
        stored = stored_findings(project, paths, key)
        if stored is None:  # not writable, or the files changed meanwhile: check these paths now
            return run_checks(project, paths=paths, inventory=inventory, today=today)
    return run_checks(project, paths=paths, today=today, only_rules=DATE_RULES,
                      stored=[f for p in paths for f in stored[p]])
