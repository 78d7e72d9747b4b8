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
from typing import TYPE_CHECKING, Any, Iterator

from pydantic import ValidationError

from rbh.checks.inventory import Inventory
from rbh.checks.model import CheckResult, Finding, Severity
from rbh.checks.references import extract_references
from rbh.checks.rules import DATE_RULES, RULES, lookup
from rbh.checks.rule import RuleContext
from rbh.checks.sources import load_inventory
from rbh.checks.suppress import apply as apply_suppressions
from rbh.config import format_validation_error
from rbh.errors import ConfigError
from rbh.paths import pathspecs_of
from rbh.runbook import Runbook

if TYPE_CHECKING:
    from rbh.checks.history import RepoHistory
    from rbh.checks.references import Reference
    from rbh.config import Config, RuleConfig
    from rbh.project import Project

log = logging.getLogger(__name__)


def rule_settings(config: Config) -> dict[str, tuple[bool, Severity | None, Any]]:
    """Per rule ID: (enabled, severity override, validated options). ConfigError on mistakes."""
    out: dict[str, tuple[bool, Severity | None, Any]] = {}
    configured: dict[str, RuleConfig] = {}
    for key, rc in config.check.rules.items():
        module = lookup(key)
        if module is None:
            raise ConfigError(f"rbh.yaml: check.rules.{key}: unknown rule (see 'rbh rules')")
        configured[module.ID] = rc
    for rid, module in RULES.items():
        given = configured.get(rid)
        try:
            options = module.Options.model_validate(given.options if given else {})
        except ValidationError as exc:
            raise ConfigError(format_validation_error(f"rbh.yaml: check.rules.{rid}.options", exc)) from None
        severity = Severity.parse(given.severity) if given and given.severity else None
        out[rid] = (given.enabled if given else True, severity, options)
    return out


def _references_of(runbooks: list[Runbook]) -> dict[str, list[Reference]]:
    out: dict[str, list[Reference]] = {}
    for rb in runbooks:
        try:
            out[rb.path] = extract_references(rb)
        except RecursionError:  # pathological nesting: keep going without this runbook's references
            out[rb.path] = []
    return out


@contextlib.contextmanager
def _fewer_gc_passes() -> Iterator[None]:
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


# Rules whose findings on a manifest depend on every runbook (RBH403: does *any* runbook cover this
# workload?), with the files such findings can land on: reporting on one of those files needs all
# runbooks checked, not only the ones a change touched.
ALL_RUNBOOK_RULES = {
    "RBH403": lambda inv: {w.loc.path for w in inv.workloads} | {e.loc.path for e in inv.catalog},
}


def run_checks(project: Project, *, paths: list[str] | None = None, inventory: Inventory | None = None,
               today: dt.date | None = None, use_cache: bool = True, only_rules: frozenset[str] | None = None,
               stored: list[Finding] | None = None, report: set[str] | None = None) -> CheckResult:
    """Run every enabled rule over the project's runbooks (or only *paths*) and its manifests.

    *use_cache*: git history facts come from (and update) ``.rbh/history-cache.json``; a full run
    also stores every runbook's findings for ``rbh ask`` (``checks.health_store``). *only_rules*
    runs just those rules and adds *stored* findings (kept from an earlier run) before
    suppressions apply. *report*: the files whose findings are kept (default: *paths*); runbooks
    are then *paths* only.
    """
    with _fewer_gc_passes():
        return _run_checks(project, paths=paths, inventory=inventory, today=today, use_cache=use_cache,
                           only_rules=only_rules, stored=stored, report=report)


class _LazyHistory:
    """``checks.history_cache.repo_history`` loaded on first use (a run whose rules never ask for
    history, e.g. ``rbh check`` without git, never reads it)."""

    def __init__(self, project: Project, use_cache: bool):
        self.project, self.use_cache = project, use_cache
        self.loaded = False
        self.value: RepoHistory | None = None

    def __call__(self) -> RepoHistory | None:
        if not self.loaded:
            from rbh.checks.history_cache import repo_history

            self.value = repo_history(self.project, use_cache=self.use_cache)
            self.loaded = True
        return self.value


def _run_checks(project: Project, *, paths: list[str] | None, inventory: Inventory | None, today: dt.date | None,
                use_cache: bool = True, only_rules: frozenset[str] | None = None, stored: list[Finding] | None = None,
                report: set[str] | None = None) -> CheckResult:
    settings = rule_settings(project.config)
    if inventory is not None:
        inv = inventory
    elif only_rules is not None and not any(r for r in only_rules if r not in DATE_RULES):
        inv = Inventory()  # the date rules read runbooks only: no manifest needs loading
    else:
        inv = load_inventory(project)
    all_runbooks = project.runbook_paths()
    skipped: list[str] = []
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
    if report is not None and paths is not None and any(
            settings[rid][0] and report & files_of(inv) for rid, files_of in ALL_RUNBOOK_RULES.items()):
        selected = all_runbooks
    history = _LazyHistory(project, use_cache)
    runbooks = project.load_runbooks(selected, with_git=False)
    if project.repo is not None and runbooks and only_rules is None:
        facts = history()
        if facts is not None:
            for rb in runbooks:
                rb.git = facts.last_change(rb.path)
    references = _references_of(runbooks) if only_rules is None else {}
    ctx = RuleContext(
        root=project.root, config=project.config, runbooks=runbooks, references=references, inventory=inv,
        files=set(project.worktree_files), runbook_paths=all_runbooks,
        today=today or dt.date.today(), repo=project.repo,
        manifest_pathspecs=pathspecs_of(project.manifest_include), runbook_folder=project.runbook_folder,
        history_source=history,
    )
    findings: list[Finding] = list(stored or [])
    for rid, module in RULES.items():
        enabled, severity, options = settings[rid]
        if not enabled or (only_rules is not None and rid not in only_rules):
            continue
        ctx.rule, ctx.options = module, options
        ctx.severity = severity or module.SEVERITY
        ctx.severity_overridden = severity is not None
        try:
            findings.extend(module.check(ctx))
        except Exception as exc:  # noqa: BLE001 - one broken rule must not hide the others' findings
            log.debug("rule %s failed", rid, exc_info=True)
            ctx.notice(f"rule {rid} ({module.NAME}) failed and was skipped: {type(exc).__name__}: {exc}"[:300])
    if report is not None:
        # a finding that stands for several files (RBH002's one per Helm chart) is on any of them
        findings = [f for f in findings if f.path in report or not report.isdisjoint(f.extra.get("files", ()))]
    elif paths is not None:
        selected_paths = set(selected)
        findings = [f for f in findings if f.path in selected_paths]
    unique = {(f.rule, f.path, f.line, f.column, f.message): f for f in findings}
    ordered = sorted(unique.values(), key=lambda f: (f.path, f.line, f.column, f.rule, f.message))
    notices = list(ctx.notices)
    if paths is not None and skipped:
        notices.insert(0, "not a regular file of the repository, skipped: " + ", ".join(skipped[:10]) + (" ..." if len(skipped) > 10 else ""))
    facts = history() if history.loaded else None
    if facts is not None:
        notices.extend(n for n in facts.notices if n not in notices)
    if paths is None and report is None and only_rules is None and inventory is None:  # we read the manifests
        from rbh.checks.sources import no_manifests_notice

        if hint := no_manifests_notice(project):
            notices.append(hint)
    result = CheckResult(findings=ordered, runbooks=runbooks, inventory=inv, files_checked=len(runbooks),
                         notices=notices)
    if use_cache and paths is None and only_rules is None and report is None:
        from rbh.checks.health_store import store_health

        store_health(project, result)
    return apply_suppressions(result, project, today=ctx.today)  # --today also decides which snoozes expired
