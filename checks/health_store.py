"""The store behind ``checks.health_cache``: every runbook's findings for one repository state, in
``.rbh/health-cache.json``.

A full run keeps the findings of every file, before suppression and without the date rules, under a
key over the repository state: HEAD, the config, the rbh version and each runbook and manifest
file's size and modification time (the work tree, so an uncommitted edit gives a new key). The
engine writes it after a full run; ``checks.health_cache`` reads it. Nothing here runs a check.

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


def finding_to_json(f: Finding) -> dict[str, Any]:
    """``Finding.as_dict`` (the one serialisation), plus what ``finding_from_json`` needs to rebuild it."""
    d = {k: v for k, v in f.as_dict().items() if k not in _NOT_STORED}
    d.update(end_line=f.end_line, strength=f.strength, suggestion_source=f.suggestion_source)
    return d


def _opt_str(v: Any) -> bool:
    return v is None or isinstance(v, str) and len(v) <= 100_000


def finding_from_json(d: Any, path: str) -> Finding | None:
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
        severity = Severity.parse(str(d.get("severity")))
    except Exception:  # noqa: BLE001 - any unreadable severity: the entry is not ours
        return None
    return Finding(rule=rule, name=d["name"], severity=severity, path=path, line=line, column=column,
                   message=d["message"], suggestion=d.get("suggestion"), reference=d.get("reference"),
                   end_line=end_line, strength=d["strength"], suggestion_source=d.get("suggestion_source"))


def cache_path(project: Any) -> Path | None:
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
    from rbh.checks.rules import DATE_RULES

    path = cache_path(project)
    if path is None:
        return
    try:
        key = key or state_key(project)
    except OSError:
        return
    by_path: dict[str, list[dict[str, Any]]] = {rb.path: [] for rb in result.runbooks}
    for f in result.findings:
        if f.rule not in DATE_RULES:
            by_path.setdefault(f.path, []).append(finding_to_json(f))
    write_doc(path, key, cachefile.head_sha(project), by_path)


def write_doc(path: Path, key: str, head: str, by_path: dict[str, list[dict[str, Any]]]) -> None:
    doc = {"format": FORMAT, "key": key, "head": head,
           "stored_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "findings": by_path}
    cachefile.write_json(path, doc)


def read_doc(project: Any) -> dict[str, Any] | None:
    """The stored document, whatever state it is for, or None (missing, oversized, not ours)."""
    path = cache_path(project)
    if path is None:
        return None
    doc = cachefile.read_json(path, MAX_BYTES)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("findings"), dict):
        return None
    return doc


def stored_findings(project: Any, paths: list[str], key: str | None = None) -> dict[str, list[Finding]] | None:
    """The stored findings of *paths* for the current state, or None when any is missing."""
    doc = read_doc(project)
    if doc is None or doc.get("key") != (key or state_key(project)):
        return None
    have = doc["findings"]
    out: dict[str, list[Finding]] = {}
    for p in paths:
        raw = have.get(p)
        if not isinstance(raw, list):
            return None
        found = [finding_from_json(d, p) for d in raw]
        if any(f is None for f in found):
            return None
        out[p] = found  # type: ignore[assignment]
    return out
