"""What every rule gets: the ``RuleContext`` (runbooks, references, inventory, history) and helpers
to build findings with "did you mean" suggestions."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable, Iterator

from pydantic import BaseModel, ConfigDict

from rbh.checks.inventory import Inventory
from rbh.checks.model import Finding, Severity
from rbh.checks.references import Reference
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
    _anchor_cache: dict[str, dict[str, str] | None] = field(default_factory=dict)
    _heading_texts: dict[str, dict[str, str]] = field(default_factory=dict)
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

    def suggest_name(self, name: str, candidates: Iterable[str]) -> tuple[str | None, str | None]:
        """(suggestion, where it came from) for an alert, metric or runbook name: a rename from the
        manifests' history, else the most similar name only when it is probably right
        (``SUGGEST_THRESHOLD``, no sibling names, never an index page)."""
        pool = {c for c in candidates if c and c != name}
        history = self.history
        if history is not None and name:
            rename = history.renamed_to(name, pool or None)
            if rename is not None and (not pool or rename.new in pool):
                return rename.new, f"renamed in {rename.short}"
        return best_match(name, pool), None

    def hint(self, name: str, candidates: Iterable[str], *, calibrated: bool = False) -> tuple[str | None, str | None, str]:
        """(suggestion, its source, note for the message): a rename from history; else the nearest
        name, and " (removed in <sha>)" when the history shows the name was deleted."""
        suggestion, source = (self.suggest_name if calibrated else self.suggest)(name, candidates)
        note = ""
        history = self.history if not source else None
        if history is not None and name in history.removed:
            note = f" (removed in {history.removed[name][0][:8]})"
        return suggestion, source, note

    # ------------------------------------------------------------ lazy, shared across rules
    @cached_property
    def history(self):
        """Renames and removals from the manifests' git history (None without git)."""
        from rbh.checks.history import load_history

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
        """Every fragment (lower case) that lands on a heading of the markdown file at *path*, in the
        site's style and GitHub's/GitLab's (``rbh.anchors``); None when it cannot be read."""
        found = self.fragments_of(path)
        return None if found is None else set(found)

    def fragments_of(self, path: str) -> dict[str, str] | None:
        """Fragment (lower case) -> the site's anchor, for the markdown file at *path*."""
        if path in self._anchor_cache:
            return self._anchor_cache[path]
        from rbh import anchors
        from rbh.runbook import parse_runbook

        rb = next((r for r in self.runbooks if r.path == path), None)
        if rb is None:
            try:
                data = (self.root / path).read_bytes()
            except OSError:
                self._anchor_cache[path] = None
                return None
            rb = parse_runbook(path, data, max_bytes=self.config.index.max_file_bytes)
        found = anchors.fragment_map(rb.headings, self.slugger)
        in_code = {i for b in rb.code_blocks for i in range(b.line, b.end_line + 1)}
        for ident in anchors.html_ids(rb.text, in_code):  # `<a id="runbook-cpu"></a>` in a heading or paragraph
            found.setdefault(ident.lower(), ident)
        self._anchor_cache[path] = found
        site = list(dict.fromkeys(found[h.anchor.lower()] for h in rb.headings if h.anchor.lower() in found))
        self._heading_texts[path] = dict(zip(site, (h.text for h in rb.headings))) if len(site) == len(rb.headings) else {a: a for a in site}
        return found

    def suggest_anchor(self, path: str, fragment: str) -> str | None:
        """The site anchor of the heading *fragment* probably meant (compared by heading text, so
        CamelCase words count), or None."""
        if self.fragments_of(path) is None:
            return None
        texts = self._heading_texts.get(path, {})
        return best_match(fragment, list(texts), key=lambda anchor: texts[anchor])

    @cached_property
    def slugger(self):
        """The site's ``toc.slugify`` (from the repository's mkdocs.yml; Python-Markdown's default)."""
        from rbh import anchors

        return anchors.slugger_for(self.root)

    @cached_property
    def url_resolver(self):
        from rbh.checks.runbook_urls import RunbookUrlResolver

        cfg = self.config.check.runbook_urls
        case_insensitive = cfg.case_insensitive
        if not case_insensitive:
            from rbh.checks.runbook_urls import hugo_lowercases_urls

            hugo = hugo_lowercases_urls(self.root, self.files)
            if hugo:
                case_insensitive = True
                self.notice(f"Hugo site ({hugo}) lower-cases page URLs: runbook_url paths are compared case-insensitively "
                            "(set `check.runbook_urls.case_insensitive` in rbh.yaml to say so explicitly)")
        return RunbookUrlResolver(cfg.prefixes, self.runbook_paths, case_insensitive,
                                  site_url=self.config.site.url, default_folder=self.runbook_folder)

    @cached_property
    def runbook_renames(self) -> dict[str, tuple[str, str]]:
        """Markdown files renamed in the repository's history: old path -> (current path, sha)."""
        from rbh.checks.runbook_urls import runbook_renames

        return runbook_renames(self.repo)

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


def name_similarity(a: str, b: str) -> float:
    """Similarity of two names (file stems, alert names, anchors): difflib's ratio over the lower-cased
    names with separators removed, so `kube-job-failed` and `KubeJobFailed` are the same name."""
    x = "".join(ch for ch in a.lower() if ch.isalnum())
    y = "".join(ch for ch in b.lower() if ch.isalnum())
    if not x or not y:
        return 0.0
    return difflib.SequenceMatcher(None, x, y, autojunk=False).ratio()


_CAMEL_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def _name_words(name: str) -> list[str]:
    return [w.lower() for w in _CAMEL_WORDS.findall(name)]


def _word_bounds(name: str) -> list[int]:
    """Offsets in the normalised name (lower case, alphanumerics only) where CamelCase words start."""
    bounds, pos = [0], 0
    for w in _CAMEL_WORDS.findall(name):
        pos += len(w)
        bounds.append(pos)
    return bounds


def siblings(a: str, b: str) -> bool:
    """Names that differ by whole words in one place, the words themselves unlike (`...Warning` /
    `...Critical`, `CDIOperatorDown` / `HPPOperatorDown`, `thanosruleconfigreloadfailure` /
    `ThanosReceiveConfigReloadFailure`): members of a family, not a typo or a rename. Word bounds
    come from whichever name is CamelCase; an insertion or deletion (`IngressLatencyTrend` /
    `IngressHTTPLatencyTrend`) is not a sibling."""
    x = "".join(ch for ch in a.lower() if ch.isalnum())
    y = "".join(ch for ch in b.lower() if ch.isalnum())
    if x == y:
        return False
    for name, mine, other in ((b, y, x), (a, x, y)):
        bounds = _word_bounds(name) if len(_CAMEL_WORDS.findall(name)) >= 2 else None
        if not bounds or bounds[-1] != len(mine):
            continue
        i = 0
        while i < min(len(mine), len(other)) and mine[i] == other[i]:
            i += 1
        j = 0
        while j < min(len(mine), len(other)) - i and mine[-1 - j] == other[-1 - j]:
            j += 1
        start = max(p for p in bounds if p <= i)
        end = min(p for p in bounds if p >= len(mine) - j)
        left, right = start, len(mine) - end
        mine_mid, other_mid = mine[start:end], other[left:len(other) - right] if len(other) - right >= left else ""
        if not mine_mid or not other_mid:
            return False
        words_replaced = sum(1 for p in bounds if start <= p < end)
        return words_replaced <= 2 and difflib.SequenceMatcher(None, mine_mid, other_mid, autojunk=False).ratio() < 0.75
    return False


def suggestable(name: str, candidate: str, threshold: float = None) -> bool:
    """Whether *candidate* is probably what *name* meant (see ``SUGGEST_THRESHOLD``)."""
    t = SUGGEST_THRESHOLD if threshold is None else threshold
    wa, wb = _name_words(name), _name_words(candidate)
    if len(wa) > 1 and sorted(wa) == sorted(wb):
        return True  # the same words in another order: CheckoutLatencyHigh / CheckoutHighLatency
    return not siblings(name, candidate) and name_similarity(name, candidate) >= t


# Calibrated on real data with bench/suggest_calibration.py (table in bench/README.md, issue 12): at
# 0.88 with siblings excluded, 9 of 23 real runbook renames get the right suggestion and none a wrong
# one (the other 14 changed too much to guess: only git history finds them), while a page that does
# not exist gets a (necessarily wrong) suggestion in 8% of cases on OpenShift, 3% on KubeVirt and 0%
# on CloudNativePG. Without the sibling rule 0.88 gives 16% there; at 0.80 a third of misses.
SUGGEST_THRESHOLD = 0.88


_INDEX_PAGES = {"index", "_index", "readme"}


@functools.lru_cache(maxsize=65536)
def _name_key(name: str) -> tuple[str, list[str]]:
    return "".join(ch for ch in name.lower() if ch.isalnum()), sorted(_name_words(name))


def best_match(name: str, candidates: Iterable[str], *, key=None) -> str | None:
    """The candidate most similar to *name* when it passes ``suggestable``; None otherwise. *key*
    maps a candidate to the name compared (a path's file stem); index pages are never suggested.
    Cheap upper bounds (length, then difflib's quick ratios) skip most candidates."""
    key = key or (lambda c: c)
    x = "".join(ch for ch in name.lower() if ch.isalnum())
    if not x:
        return None
    words = sorted(_name_words(name))
    t = SUGGEST_THRESHOLD
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(x)
    best, best_score = None, -1.0
    for c in candidates:
        k = key(c)
        if not k or k == name or k.lower() in _INDEX_PAGES:
            continue
        y, k_words = _name_key(k)
        if len(words) > 1 and k_words == words:
            score = 2.0  # the same words in another order
        else:
            if not y or 2.0 * min(len(x), len(y)) / (len(x) + len(y)) < t:
                continue
            matcher.set_seq1(y)
            if matcher.real_quick_ratio() < t or matcher.quick_ratio() < t:
                continue
            score = matcher.ratio()
            if score < t or siblings(name, k):
                continue
        if score > best_score or (score == best_score and best is not None and c < best):
            best, best_score = c, score
    return best
