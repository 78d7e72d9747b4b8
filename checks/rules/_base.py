"""What every rule gets: the ``RuleContext`` (runbooks, references, inventory, history) and helpers
to build findings with "did you mean" suggestions."""

from __future__ import annotations

import datetime as dt
import difflib
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable, Iterator

from pydantic import BaseModel, ConfigDict

from checks.inventory import Inventory
from checks.model import Finding, Severity
from checks.references import Reference
from rbh.runbook import Runbook


class NoOptions(BaseModel):
    """A rule without options."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class RuleContext:
    """Everything loaded before the rules run. Rules read it and yield findings; they never do I/O
    themselves (git history and other runbooks' anchors load lazily through this object)."""

    root: Path
    config: Any  # rbh.config.Config
    runbooks: list[Runbook]
    references: dict[str, list[Reference]]
    inventory: Inventory
    files: set[str]  # every regular file of the work tree
    runbook_paths: list[str]  # every runbook of the project (not only the ones checked)
    today: dt.date
    repo: Any = None
    manifest_pathspecs: list[str] = field(default_factory=list)
    runbook_folder: str = ""  # where runbook URLs map when the config gives no prefix
    notices: list[str] = field(default_factory=list)
    # zero-argument callable giving a ``checks.history.RepoHistory`` (the engine's cached loader);
    # None: read history directly (callers that build a context by hand)
    history_source: Any = None
    # set per rule by the engine
    rule: ModuleType | None = None
    options: Any = None
    severity: Severity = Severity.error
    severity_overridden: bool = False
    _anchor_cache: dict[str, set[str] | None] = field(default_factory=dict)
    _by_kind: dict[str, dict[str, list[Reference]]] = field(default_factory=dict)

    # ------------------------------------------------------------ findings
    def finding(self, path: str, line: int, column: int, message: str, *, suggestion: str | None = None,
                suggestion_source: str | None = None, reference: str | None = None, strength: str = "command",
                severity: Severity | None = None) -> Finding:
        assert self.rule is not None
        sev = self.severity if (severity is None or self.severity_overridden) else severity
        prose = getattr(self.rule, "PROSE_SEVERITY", None)
        if prose is not None and strength == "prose" and not self.severity_overridden:
            sev = min(sev, prose)  # a name in a sentence is a weaker signal than a command to paste
        return Finding(rule=self.rule.ID, name=self.rule.NAME, severity=sev, path=path, line=max(1, int(line)),
                       column=max(1, int(column)), message=message, suggestion=suggestion,
                       suggestion_source=suggestion_source, reference=reference, strength=strength)

    def refs(self, rb: Runbook, *kinds: str) -> list[Reference]:
        found = self.references.get(rb.path, [])
        if not kinds:
            return found
        by_kind = self._by_kind.get(rb.path)
        if by_kind is None:
            by_kind = self._by_kind[rb.path] = {}
            for r in found:
                by_kind.setdefault(r.kind, []).append(r)
        if len(kinds) == 1:
            return by_kind.get(kinds[0], [])
        return [r for kind in kinds for r in by_kind.get(kind, ())]  # grouped by kind; findings are sorted later

    def each_ref(self, *kinds: str) -> Iterator[tuple[Runbook, Reference]]:
        """Every (runbook, reference) of these kinds, runbook by runbook, in file order."""
        for rb in self.runbooks:
            for ref in self.refs(rb, *kinds):
                yield rb, ref

    # ------------------------------------------------------------ suggestions
    def suggest(self, name: str, candidates: Iterable[str], *, renames: bool = True) -> tuple[str | None, str | None]:
        """(suggestion, where it came from): a rename from the manifests' history, else the nearest name."""
        pool = set(candidates)
        pool.discard(name)
        if not pool and not renames:
            return None, None
        if renames and name:
            history = self.history
            if history is not None:
                rename = history.renamed_to(name, pool or None)
                if rename is not None and (not pool or rename.new in pool):
                    return rename.new, f"renamed in {rename.short}"
        return nearest(name, pool), None

    def hint(self, name: str, candidates: Iterable[str]) -> tuple[str | None, str | None, str]:
        """(suggestion, its source, note for the message): a rename from history; else the nearest
        name, and " (removed in <sha>)" when the history shows the name was deleted."""
        suggestion, source = self.suggest(name, candidates)
        note = ""
        history = self.history if not source else None
        if history is not None and name in history.removed:
            note = f" (removed in {history.removed[name][0][:8]})"
        return suggestion, source, note

    # ------------------------------------------------------------ lazy, shared across rules
    @cached_property
    def history(self):
        """Renames and removals from the manifests' git history (None without git)."""
        from checks.history import load_history

        if self.repo is None:
            return None
        if self.history_source is not None:
            facts = self.history_source()
            history = facts.manifests if facts is not None else None
            if history is None:
                return None
        else:
            history = load_history(self.repo, self.manifest_pathspecs)
        if history.shallow:
            self.notice("shallow clone: rename suggestions and history-based checks see only part of the history (fetch with --unshallow for full results)")
        return history

    @cached_property
    def manifest_changes(self) -> dict:
        """Last commit touching each manifest file (one pass over history)."""
        from rbh import git as rgit

        if self.repo is None or not rgit.has_commits(self.repo):
            return {}
        if rgit.is_shallow(self.repo):
            self.notice("shallow clone: rename suggestions and history-based checks see only part of the history (fetch with --unshallow for full results)")
        if self.history_source is not None:
            facts = self.history_source()
            return facts.last_changes(self.inventory.files) if facts is not None else {}
        return rgit.last_changes(self.repo, "HEAD", paths=self.inventory.files)

    def notice(self, text: str) -> None:
        if text not in self.notices:
            self.notices.append(text)

    def anchors_of(self, path: str) -> set[str] | None:
        """Heading anchors of the markdown file at *path* (None when it cannot be read)."""
        if path in self._anchor_cache:
            return self._anchor_cache[path]
        from checks.runbook_urls import github_slug
        from rbh.runbook import parse_runbook

        rb = next((r for r in self.runbooks if r.path == path), None)
        if rb is None:
            try:
                data = (self.root / path).read_bytes()
            except OSError:
                self._anchor_cache[path] = None
                return None
            rb = parse_runbook(path, data, max_bytes=self.config.index.max_file_bytes)
        # MkDocs anchors (the docs site) and GitHub's (the repository view) are both valid targets
        anchors = rb.anchors | {github_slug(h.text) for h in rb.headings}
        self._anchor_cache[path] = anchors
        return anchors

    @cached_property
    def url_resolver(self):
        from checks.runbook_urls import RunbookUrlResolver

        cfg = self.config.check.runbook_urls
        return RunbookUrlResolver(cfg.prefixes, self.runbook_paths, cfg.case_insensitive,
                                  site_url=self.config.site.url, default_folder=self.runbook_folder)

    @cached_property
    def linked_runbooks(self) -> set[str]:
        """Runbook files some alert's runbook_url resolves to."""
        found: set[str] = set()
        for alert in self.inventory.alerts:
            if alert.runbook_url:
                for res in self.url_resolver.resolve_all(alert.runbook_url):
                    if res.found:
                        found.add(res.found)
        return found

    @cached_property
    def top_level(self) -> set[str]:
        return {f.split("/", 1)[0] for f in self.files}

    @cached_property
    def directories(self) -> set[str]:
        dirs: set[str] = set()
        for f in self.files:
            parts = f.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:i]))
        return dirs


def nearest(name: str, candidates: Iterable[str], cutoff: float = 0.6, *, shortlist: int = 20) -> str | None:
    """The closest existing name (difflib ratio, case-insensitive), or None.

    Cheap upper bounds (length, then character multiset) filter the pool and only the *shortlist*
    best get the full ratio, so a suggestion costs little even against thousands of names.
    """
    pool = [c for c in candidates if c]
    if not name or not pool:
        return None
    key = name.lower()
    lowered: dict[str, str] = {}
    for c in pool:
        lowered.setdefault(c.lower(), c)
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(key)
    quick: list[tuple[float, str]] = []
    la = len(key)
    # difflib's quick_ratio (2 * shared characters / total length), from character counts: the same
    # number, without a Python loop over every character of every candidate
    key_counts = Counter(key)
    for low in lowered:
        lb = len(low)
        if 2.0 * min(la, lb) / (la + lb) < cutoff:
            continue
        counts = Counter(low)
        shared = sum(min(n, counts[c]) for c, n in key_counts.items())
        q = 2.0 * shared / (la + lb)
        if q >= cutoff:
            quick.append((q, low))
    quick.sort(key=lambda x: (-x[0], x[1]))
    best, best_score = None, cutoff
    for _, low in quick[:shortlist]:
        matcher.set_seq1(low)
        r = matcher.ratio()
        if r > best_score or (r == best_score and best is None):
            best, best_score = low, r
    if best is not None:
        return lowered[best]
    # a prefix/suffix relation (checkout -> checkout-api) is a strong hint even when short
    extended = sorted(c for c in pool if c.startswith(name + "-") or c.endswith("-" + name))
    return extended[0] if len(extended) == 1 else None


def kind_label(kind: str | None) -> str:
    return (kind or "object").lower()
