"""The staleness engine: load the inventory and runbooks once, extract references, run every enabled
rule, and return the findings sorted by file and line.

``run_checks`` never raises for bad content: unreadable runbooks and manifests become findings
(RBH001, RBH002) and the run continues. Configuration mistakes (unknown rule, bad option) raise
``ConfigError``. The ask command and the docs site call it to show each runbook's open findings.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import re
from typing import Any

from pydantic import ValidationError

from checks.inventory import Inventory, load_inventory
from checks.model import CheckResult, Finding, Severity
from checks.references import extract_references
from checks.rules import RULES, lookup
from checks.rules._base import RuleContext
from checks.suppress import apply as apply_suppressions
from rbh.config import format_validation_error
from rbh.errors import ConfigError

log = logging.getLogger(__name__)


def rule_settings(config) -> dict[str, tuple[bool, Severity | None, Any]]:
    """Per rule ID: (enabled, severity override, validated options). ConfigError on mistakes."""
    out: dict[str, tuple[bool, Severity | None, Any]] = {}
    configured: dict[str, Any] = {}
    for key, rc in config.check.rules.items():
        module = lookup(key)
        if module is None:
            raise ConfigError(f"rbh.yaml: check.rules.{key}: unknown rule (see 'rbh rules')")
        configured[module.ID] = rc
    for rid, module in RULES.items():
        rc = configured.get(rid)
        try:
            options = module.Options.model_validate(rc.options if rc else {})
        except ValidationError as exc:
            raise ConfigError(format_validation_error(f"rbh.yaml: check.rules.{rid}.options", exc)) from None
        severity = Severity.parse(rc.severity) if rc and rc.severity else None
        out[rid] = (rc.enabled if rc else True, severity, options)
    return out


def _glob_folder(globs: list[str]) -> str:
    if not globs:
        return ""
    head = re.split(r"[*?\[]", globs[0], maxsplit=1)[0]
    return head.rsplit("/", 1)[0] if "/" in head else ""


def _pathspecs(globs: list[str]) -> list[str]:
    specs = []
    for g in globs:
        folder = _glob_folder([g])
        specs.append(folder or ".")
    return sorted(set(specs)) or ["."]


def _references_of(runbooks) -> dict[str, list]:
    out = {}
    for rb in runbooks:
        try:
            out[rb.path] = extract_references(rb)
        except RecursionError:  # pathological nesting: keep going without this runbook's references
            out[rb.path] = []
    return out


@contextlib.contextmanager
def _fewer_gc_passes():
    """A check allocates millions of small objects that live until it ends, so the default cyclic GC
    scans them again and again: a higher first-generation threshold cut CPU by 10-20% at 10,000
    runbooks (noisy on the shared machine) for ~15% more peak memory, 218 instead of 191 MiB
    (bench/check_bench.py). The caller's setting comes back after."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 50_000), max(old[1], 20), max(old[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*old)


def run_checks(project, *, paths: list[str] | None = None, inventory: Inventory | None = None,
               today: dt.date | None = None) -> CheckResult:
    """Run every enabled rule over the project's runbooks (or only *paths*) and its manifests."""
    with _fewer_gc_passes():
        return _run_checks(project, paths=paths, inventory=inventory, today=today)


def _run_checks(project, *, paths: list[str] | None, inventory: Inventory | None, today: dt.date | None) -> CheckResult:
    settings = rule_settings(project.config)
    inv = inventory if inventory is not None else load_inventory(project)
    all_runbooks = project.runbook_paths()
    if paths is None:
        selected = all_runbooks
    else:
        from rbh.paths import escape_name, safe_relpath

        files = set(project.worktree_files)  # regular files only: a symlink is never followed
        # argv bytes that are not UTF-8 arrive as surrogates; the work tree lists such names escaped
        paths = [escape_name(x) for x in paths]
        # a listed name as given (escaped names hold backslashes, which safe_relpath reads as separators)
        wanted = [(x, x if x in files else safe_relpath(project.root, x)) for x in paths]
        selected = sorted({rel for _, rel in wanted if rel in files})
        skipped = [x for x, rel in wanted if rel not in files]
    runbooks = project.load_runbooks(selected, with_git=True)
    references = _references_of(runbooks)
    ctx = RuleContext(
        root=project.root, config=project.config, runbooks=runbooks, references=references, inventory=inv,
        files=set(project.worktree_files), runbook_paths=all_runbooks,
        today=today or dt.date.today(), repo=project.repo,
        manifest_pathspecs=_pathspecs(project.manifest_include), runbook_folder=_glob_folder(project.runbook_include),
    )
    findings: list[Finding] = []
    for rid, module in RULES.items():
        enabled, severity, options = settings[rid]
        if not enabled:
            continue
        ctx.rule, ctx.options = module, options
        ctx.severity = severity or module.SEVERITY
        ctx.severity_overridden = severity is not None
        try:
            findings.extend(module.check(ctx))
        except Exception as exc:  # noqa: BLE001 - one broken rule must not hide the others' findings
            log.debug("rule %s failed", rid, exc_info=True)
            ctx.notice(f"rule {rid} ({module.NAME}) failed and was skipped: {type(exc).__name__}: {exc}"[:300])
    if paths is not None:
        wanted = set(selected)
        findings = [f for f in findings if f.path in wanted]
    unique = {(f.rule, f.path, f.line, f.column, f.message): f for f in findings}
    ordered = sorted(unique.values(), key=lambda f: (f.path, f.line, f.column, f.rule, f.message))
    notices = list(ctx.notices)
    if paths is not None and skipped:
        notices.insert(0, "not a regular file of the repository, skipped: " + ", ".join(skipped[:10]) + (" ..." if len(skipped) > 10 else ""))
    result = CheckResult(findings=ordered, runbooks=runbooks, inventory=inv, files_checked=len(runbooks),
                         notices=notices)
    return apply_suppressions(result, project, today=ctx.today)  # --today also decides which snoozes expired
