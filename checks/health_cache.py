"""Every runbook's findings, computed once per repository state: ``.rbh/health-cache.json``.

A full ``rbh check`` (and ``rbh index``, and ``rbh ask`` when the repository moved on) stores the
findings of every file, before suppression, under a key over the repository state: HEAD, the config,
the rbh version and each runbook and manifest file's size and modification time (the work tree, so
an uncommitted edit gives a new key). ``rbh ask`` then shows health without running the checks:
it takes the stored findings of the runbooks in the answer, adds the date-dependent findings
(``checks.engine.DATE_RULES``: review overdue) for today, and applies suppressions (snoozes expire
by date, the baseline may have changed) exactly as ``rbh check PATHS`` would. Nothing is keyed by day.

The file is untrusted input (the ``.rbh`` folder is in the work tree): JSON only, every value
checked, a symlinked or oversized file ignored. Any problem means "recompute", never an error.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from rbh import cachefile
from rbh.checks.model import Finding, Severity

log = logging.getLogger(__name__)

CACHE_DIR = ".rbh"
CACHE_FILE = "health-cache.json"
FORMAT = 1
MAX_BYTES = 128 * 1024 * 1024


def state_key(project: Any) -> str:
    """Hash of what every non-date finding depends on (not today's date)."""
    return cachefile.state_key(project, f"health-{FORMAT}")


_NOT_STORED = ("fingerprint", "suppressed", "suppression_reason")  # derived, or applied when read


def _finding_to_json(f: Finding) -> dict[str, Any]:
    """``Finding.as_dict`` (the one serialisation), plus what ``_finding_from_json`` needs to rebuild it."""
    d = {k: v for k, v in f.as_dict().items() if k not in _NOT_STORED}
    d.update(end_line=f.end_line, strength=f.strength, suggestion_source=f.suggestion_source)
    return d


def _opt_str(v: Any) -> bool:
    return v is None or isinstance(v, str) and len(v) <= 100_000


def _finding_from_json(d: Any, path: str) -> Finding | None:
    from rbh.checks.rules import RULES

    if not isinstance(d, dict):
        return None
    rule, line, column, end_line = d.get("rule"), d.get("line"), d.get("column"), d.get("end_line")
    if rule not in RULES or d.get("path") != path or d.get("name") != RULES[rule].NAME:
        return None
    if not (isinstance(line, int) and isinstance(column, int) and line >= 1 and column >= 1):
        return None
    if not (end_line is None or isinstance(end_line, int)) or isinstance(line, bool) or isinstance(column, bool):
        return None
    if not all(_opt_str(d.get(k)) for k in ("message", "suggestion", "reference", "suggestion_source", "strength")):
        return None
    if not isinstance(d.get("message"), str) or not isinstance(d.get("strength"), str):
        return None
    try:
        severity = Severity.parse(d.get("severity"))
    except Exception:  # noqa: BLE001 - any unreadable severity: the entry is not ours
        return None
    return Finding(rule=rule, name=d["name"], severity=severity, path=path, line=line, column=column,
                   message=d["message"], suggestion=d.get("suggestion"), reference=d.get("reference"),
                   end_line=end_line, strength=d["strength"], suggestion_source=d.get("suggestion_source"))


def _location(project: Any) -> Path | None:
    """The cache file, or None when a symlink could redirect it or git tracks it (a committed cache
    is someone else's claim about this repository's health)."""
    folder = Path(project.root) / CACHE_DIR
    if folder.is_symlink() or (folder / CACHE_FILE).is_symlink():
        return None
    if project.repo is not None:
        from rbh.checks.history import HistoryError, git_lines

        try:
            if any(line.strip() for line in git_lines(Path(project.root), ["ls-files", "--", f"{CACHE_DIR}/{CACHE_FILE}"])):
                return None
        except HistoryError:
            return None
    return folder / CACHE_FILE


def store_health(project: Any, result: Any, key: str | None = None) -> None:
    """Keep *result*'s findings (all files, before suppression, without date rules) for this state."""
    from rbh.checks.engine import DATE_RULES

    path = _location(project)
    if path is None:
        return
    try:
        key = key or state_key(project)
    except OSError:
        return
    by_path: dict[str, list[dict[str, Any]]] = {rb.path: [] for rb in result.runbooks}
    for f in result.findings:
        if f.rule not in DATE_RULES:
            by_path.setdefault(f.path, []).append(_finding_to_json(f))
    _write(path, key, cachefile.head_sha(project), by_path)


def _write(path: Path, key: str, head: str, by_path: dict[str, list[dict[str, Any]]]) -> None:
    doc = {"format": FORMAT, "key": key, "head": head,
           "stored_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "findings": by_path}
    cachefile.write_json(path, doc)


def _read(project: Any) -> dict[str, Any] | None:
    """The stored document, whatever state it is for, or None (missing, oversized, not ours)."""
    path = _location(project)
    if path is None:
        return None
    doc = cachefile.read_json(path, MAX_BYTES)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("findings"), dict):
        return None
    return doc


def refresh(project: Any, *, inventory: Any = None) -> str:
    """Store every runbook's findings for the current state; returns "current", "incremental" or "full".

    When findings are stored for an earlier commit, only the runbooks that the change since then can
    affect are checked again (the scope of ``rbh check --changed-since``, which reports exactly what a
    full run reports for them); every other runbook keeps its stored findings. Anything unusual (no
    stored commit, a rewritten history, a runbook without stored findings, a change that reaches
    every runbook) falls back to checking everything, so the result is always a full run's.
    """
    from rbh.checks.engine import DATE_RULES, run_checks
    from rbh.errors import RbhError

    key = state_key(project)
    old = _read(project)
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
                by_path[f.path].append(_finding_to_json(f))
    path = _location(project)
    if path is not None:
        _write(path, key, cachefile.head_sha(project), by_path)
    return "incremental"


def stored_findings(project: Any, paths: list[str], key: str | None = None) -> dict[str, list[Finding]] | None:
    """The stored findings of *paths* for the current state, or None when any is missing."""
    doc = _read(project)
    if doc is None or doc.get("key") != (key or state_key(project)):
        return None
    have = doc["findings"]
    out: dict[str, list[Finding]] = {}
    for p in paths:
        raw = have.get(p)
        if not isinstance(raw, list):
            return None
        found = [_finding_from_json(d, p) for d in raw]
        if any(f is None for f in found):
            return None
        out[p] = found  # type: ignore[assignment]
    return out


def health(project: Any, paths: list[str], *, inventory: Any = None, today: dt.date | None = None,
           use_cache: bool = True):
    """``CheckResult`` for *paths* as ``rbh check PATHS`` would give it, from the stored findings.

    When nothing is stored for the current state, every runbook is checked in one pass (which costs
    about what checking one does: the inventory and history are shared) and the result is stored.
    """
    from rbh.checks.engine import DATE_RULES, run_checks

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
