"""The rule API: what a check is (``Rule``) and what it gets (``RuleContext``).

A rule is one module in ``checks/rules/`` that satisfies the ``Rule`` protocol::

    '''Unknown workload: a command names a Kubernetes object that no manifest defines.

    ## What it does
    ...
    ## Why it matters
    ...
    ## Example
    ...
    '''
    from typing import Iterator

    from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity

    ID = "RBH101"                # stable: RBH and three digits
    NAME = "unknown-workload"    # kebab-case, unique
    SEVERITY = Severity.error    # the default; rbh.yaml may override it
    Options = NoOptions          # or a ``RuleOptions`` subclass: typed options, unknown keys rejected

    def check(ctx: RuleContext) -> Iterator[Finding]:
        ...

Optionally ``PROSE_SEVERITY``: the severity when the name is in a sentence rather than a command. The
module docstring is the documentation ``rbh explain``, ``rbh rules``, SARIF and the docs site show.
Adding a rule means that module, one line in ``checks/rules/__init__.py`` and its pass/fail cases in
``tests/rule_cases/<ID>.yaml``; ``register`` checks the contract when the catalog loads.

Checks only yield findings: they never print, exit or read files. Everything they need is loaded
before they run and reached through ``RuleContext`` (git history and other runbooks' anchors load
lazily through it, once per run).
"""

from __future__ import annotations

import datetime as dt
import inspect
import posixpath
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from rbh.checks.inventory import Inventory
from rbh.checks.model import Finding, Severity
from rbh.checks.references import Reference
from rbh.checks.suggest import best_match, nearest
from rbh.config import Config
from rbh.paths import safe_relpath
from rbh.runbook import Runbook

if TYPE_CHECKING:
    from rbh.anchors import Slugger
    from rbh.checks.history import ManifestHistory, RepoHistory
    from rbh.runbook_urls import RunbookUrlResolver
    from rbh.git import CommitInfo

__all__ = [
    "DOC_SECTIONS",
    "Finding",
    "NoOptions",
    "Rule",
    "RuleContext",
    "RuleOptions",
    "Severity",
    "doc_sections",
    "prose_severity",
    "register",
    "split_sections",
]


class RuleOptions(BaseModel):
    """Base of a rule's ``Options``: typed fields with defaults, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid")


class NoOptions(RuleOptions):
    """A rule without options."""


@runtime_checkable
class Rule(Protocol):
    """What the engine, ``rbh rules``/``rbh explain``, SARIF and the docs site read from a rule.
    Rule modules satisfy it with module-level names (``ID = "RBH101"``, ``def check(ctx)``)."""

    @property
    def ID(self) -> str: ...

    @property
    def NAME(self) -> str: ...

    @property
    def SEVERITY(self) -> Severity: ...

    @property
    def Options(self) -> type[BaseModel]: ...

    def check(self, ctx: RuleContext) -> Iterator[Finding]: ...


def prose_severity(rule: Rule) -> Severity | None:
    """The rule's optional ``PROSE_SEVERITY``: its severity for a name in prose or inline code."""
    value = getattr(rule, "PROSE_SEVERITY", None)
    return value if isinstance(value, Severity) else None


# ------------------------------------------------------------------------------ documentation

DOC_SECTIONS = ("What it does", "Why it matters", "Example")
_SECTION_LINE = re.compile(
    r"^\s*(?:#+\s*)?(?:\*\*)?(?P<title>" + "|".join(DOC_SECTIONS) + r")(?:\*\*)?\s*:?\s*(?:\*\*)?\s*$", re.I
)
_UNDERLINE = re.compile(r"^\s*(-{3,}|={3,}|~{3,})\s*$")


def split_sections(doc: str | None) -> tuple[str, dict[str, str]]:
    """(summary, {section title: text}) from a rule docstring: the summary is its first line, the
    sections are *What it does*, *Why it matters* and *Example* (``## Title``, ``**Title**``,
    ``Title:`` or an underlined title)."""
    lines = inspect.cleandoc(doc or "").splitlines()
    summary = next((ln.strip() for ln in lines if ln.strip()), "")
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for i, line in enumerate(lines):
        m = _SECTION_LINE.match(line)
        if m:
            current = next(s for s in DOC_SECTIONS if s.lower() == m.group("title").lower())
            sections[current] = []
            continue
        if current is None:
            continue
        if _UNDERLINE.match(line) and i > 0 and _SECTION_LINE.match(lines[i - 1]) and not sections[current]:
            continue
        sections[current].append(line)
    return summary, {k: "\n".join(v).strip("\n") for k, v in sections.items()}


def doc_sections(rule: Rule) -> dict[str, str]:
    """The rule's docstring as ``{"summary": ..., "What it does": ..., ...}``."""
    summary, sections = split_sections(getattr(rule, "__doc__", None))
    return {"summary": summary, **sections}


# ------------------------------------------------------------------------------ registration

# Middleman page sources (rendered by Redcarpet or kramdown, which read `####Title` as a heading)
_REDCARPET_SOURCES = (".html.md.erb", ".html.md", ".md.erb")
_ID = re.compile(r"RBH\d{3}")
# a Jinja include with a quoted path: `{% include 'auth/partials/validate.md' %}`, `{%- include "x.md" -%}`
_JINJA_INCLUDE = re.compile(r"""\{%-?\s*include\s+(['"])([^'"{}%]+\.mdx?)\1[^%]*-?%\}""")
_NAME = re.compile(r"[a-z]+(-[a-z0-9]+)+")


def _contract_problems(rule: object) -> list[str]:
    problems = []
    rid, name, severity = getattr(rule, "ID", None), getattr(rule, "NAME", None), getattr(rule, "SEVERITY", None)
    options = getattr(rule, "Options", None)
    if not (isinstance(rid, str) and _ID.fullmatch(rid)):
        problems.append(f"ID {rid!r} is not RBH and three digits")
    if not (isinstance(name, str) and _NAME.fullmatch(name)):
        problems.append(f"NAME {name!r} is not kebab-case")
    if not isinstance(severity, Severity):
        problems.append(f"SEVERITY {severity!r} is not a Severity")
    if not (isinstance(options, type) and issubclass(options, BaseModel)) or options.model_config.get("extra") != "forbid":
        problems.append("Options is not a pydantic model that rejects unknown keys (subclass RuleOptions)")
    if not callable(getattr(rule, "check", None)):
        problems.append("check(ctx) is missing")
    sections = doc_sections(rule)  # type: ignore[arg-type]
    problems += [f"the docstring has no '## {s}' section" for s in DOC_SECTIONS if not sections.get(s)]
    return problems


def register(*rules: object) -> dict[str, Rule]:
    """The catalog ``{ID: rule}`` in the given order, after checking each rule's contract (a broken
    rule fails when the catalog loads, naming the module and what is wrong, not in a later run)."""
    catalog: dict[str, Rule] = {}
    names: set[str] = set()
    for rule in rules:
        where = getattr(rule, "__name__", repr(rule))
        problems = _contract_problems(rule)
        if not problems and (rule.ID in catalog or rule.NAME in names):  # type: ignore[attr-defined]
            problems.append("its ID or NAME is already registered")
        if problems:
            raise TypeError(f"rule {where}: " + "; ".join(problems))
        assert isinstance(rule, Rule)
        catalog[rule.ID] = rule
        names.add(rule.NAME)
    return catalog


# ------------------------------------------------------------------------------ the context


@dataclass
class RuleContext:
    """Everything loaded before the rules run. Rules read it and yield findings; they never do I/O
    themselves (git history and other runbooks' anchors load lazily through this object)."""

    root: Path
    config: Config
    runbooks: list[Runbook]
    references: dict[str, list[Reference]]
    inventory: Inventory
    files: set[str]  # every regular file of the work tree
    runbook_paths: list[str]  # every runbook of the project (not only the ones checked)
    today: dt.date
    repo: Any = None  # git.Repo, or None outside a git work tree
    manifest_pathspecs: list[str] = field(default_factory=list)
    runbook_folder: str = ""  # where runbook URLs map when the config gives no prefix
    notices: list[str] = field(default_factory=list)
    # zero-argument callable giving a ``checks.history.RepoHistory`` (the engine's cached loader);
    # None: read history directly (callers that build a context by hand)
    history_source: Callable[[], RepoHistory | None] | None = None
    # set per rule by the engine
    rule: Rule | None = None
    options: Any = None  # the rule's validated ``Options`` model
    severity: Severity = Severity.error
    severity_overridden: bool = False
    _anchor_cache: dict[str, dict[str, str] | None] = field(default_factory=dict)
    _heading_texts: dict[str, dict[str, str]] = field(default_factory=dict)
    _by_kind: dict[str, dict[str, list[Reference]]] = field(default_factory=dict)
    _file_objects: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    made_cache: dict[str, Any] = field(default_factory=dict)  # runbook path -> what it makes (rules._k8s)

    # ------------------------------------------------------------ findings
    def finding(self, path: str, line: int, column: int, message: str, *, suggestion: str | None = None,
                suggestion_source: str | None = None, reference: str | None = None, strength: str = "command",
                severity: Severity | None = None) -> Finding:
        assert self.rule is not None
        sev = self.severity if (severity is None or self.severity_overridden) else severity
        prose = prose_severity(self.rule)
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
        if not pool:
            # no object of this kind to point to: a rename's new name would be unchecked (history keys
            # renames on any `name:` line, so it may be a Secret's name offered for a Service)
            return None, None
        if renames and name:
            history = self.history
            if history is not None:
                rename = history.renamed_to(name, pool)
                if rename is not None:
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
    def history(self) -> ManifestHistory | None:
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
    def manifest_changes(self) -> dict[str, CommitInfo]:
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
        for label in anchors.myst_targets(rb.text):  # MyST's `(label)=` and a directive's `:name:`
            found.setdefault(label.lower(), label)
        if path.endswith(_REDCARPET_SOURCES) or self.slugger is not anchors.NOT_MKDOCS:
            # the site's renderer reads `####Title` as a heading (see anchors.tight_heading_texts)
            for text in anchors.tight_heading_texts(rb.text, in_code):
                for slug in (self.slugger(text), anchors.github_slug(text)):
                    found.setdefault(slug.lower(), slug)
        self._anchor_cache[path] = found
        # the headings of the files the page pastes in (`{% include %}`) are the page's own
        for included, pages in self.includers.items():
            if path in pages:
                for key, anchor in (self.fragments_of(included) or {}).items():
                    found.setdefault(key, anchor)
        site = list(dict.fromkeys(found[h.anchor.lower()] for h in rb.headings if h.anchor.lower() in found))
        self._heading_texts[path] = dict(zip(site, (h.text for h in rb.headings))) if len(site) == len(rb.headings) else {a: a for a in site}
        return found

    @cached_property
    def myst_labels(self) -> dict[str, str]:
        """MyST targets of every runbook (``rbh.anchors.myst_targets``), lower case -> the page. A MyST
        label is the project's: ``[text](#label)`` on any page lands on it."""
        from rbh import anchors

        found: dict[str, str] = {}
        for rb in self.runbooks:
            for label in anchors.myst_targets(rb.text):
                found.setdefault(label.lower(), rb.path)
        return found

    def suggest_anchor(self, path: str, fragment: str) -> str | None:
        """The site anchor of the heading *fragment* probably meant (compared by heading text, so
        CamelCase words count), or None."""
        if self.fragments_of(path) is None:
            return None
        texts = self._heading_texts.get(path, {})
        # the heading's own text written as the fragment (`#NginxIngress-Latency(ms)---warning`): its
        # anchor is the fix; best_match leaves out a candidate named exactly like the query
        same = next((a for a, t in texts.items() if t.strip().lower() == fragment.lower()), None)
        if same is not None:
            from rbh import anchors

            # without an MkDocs site the page is read on GitHub or GitLab: their slug is the anchor
            return anchors.github_slug(texts[same]) if self.slugger is anchors.NOT_MKDOCS else same
        return best_match(fragment, list(texts), key=lambda anchor: texts[anchor])

    @cached_property
    def slugger(self) -> Slugger:
        """The site's ``toc.slugify`` (from the repository's mkdocs.yml; Python-Markdown's default)."""
        from rbh import anchors

        return anchors.slugger_for(self.root)

    @cached_property
    def url_resolver(self) -> RunbookUrlResolver:
        from rbh.runbook_urls import resolver_for

        resolver, notice = resolver_for(self.config, self.runbook_paths, default_folder=self.runbook_folder,
                                        root=self.root, files=self.files)
        if notice:
            self.notice(notice)
        return resolver

    @cached_property
    def runbook_renames(self) -> dict[str, tuple[str, str]]:
        """Markdown files renamed in the repository's history: old path -> (current path, sha)."""
        from rbh.runbook_urls import runbook_renames

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
    def includers(self) -> dict[str, list[str]]:
        """Runbook -> the runbooks that paste it in with a Jinja ``{% include 'path' %}`` (mkdocs-macros,
        and sites that copy its syntax). An included file is a fragment of each page that includes it:
        its relative links and ``#anchors`` resolve from that page, not from the fragment's own folder.
        ``path`` is taken from the including page's folder (``./x.md``, ``../x.md``), else from the
        nearest folder above it where the file exists (a docs root: ``auth/partials/validate.md``)."""
        found: dict[str, list[str]] = {}
        for rb in self.runbooks:
            if "include" not in rb.text:
                continue
            in_code = {i for b in rb.code_blocks for i in range(b.line, b.end_line + 1)}
            for i, line in enumerate(rb.text.split("\n"), start=1):
                if i in in_code or "include" not in line:
                    continue
                for m in _JINJA_INCLUDE.finditer(line):
                    included = self._include_target(rb.path, m.group(2))
                    if included is not None and included != rb.path and rb.path not in found.get(included, []):
                        found.setdefault(included, []).append(rb.path)
        return found

    def _include_target(self, source: str, path: str) -> str | None:
        folder = posixpath.dirname(source)
        if path.startswith(("./", "../")):
            rel = safe_relpath(self.root, posixpath.join(folder, path))
            return rel if rel in self.files else None
        while True:
            rel = safe_relpath(self.root, posixpath.join(folder, path) if folder else path)
            if rel is not None and rel in self.files:
                return rel
            if not folder:
                return None
            folder = posixpath.dirname(folder)

    @cached_property
    def remote_keys(self) -> set[str]:
        """``host/owner/repo`` of each git remote (``https://github.com/o/r.git``, ``git@github.com:o/r``),
        lower-case; credentials in a remote URL are dropped, never shown."""
        keys: set[str] = set()
        try:
            urls = [u for remote in (self.repo.remotes if self.repo is not None else []) for u in remote.urls]
        except Exception:  # noqa: BLE001 - a broken remote config means no remote, not a failed check
            return keys
        for url in urls:
            m = _REMOTE.match(url.strip())
            if m:
                keys.add(f"{m.group('host')}/{m.group('path').strip('/').removesuffix('.git')}".lower())
        return keys

    def applied_file(self, rb: Runbook, target: str) -> str | None:
        """The repository file a runbook's ``kubectl apply -f TARGET`` reads, or None: TARGET relative to
        the runbook's folder or the repository root; a bare file name the page links to elsewhere
        (``[grafana.yaml](../deploy/grafana/grafana.yaml)`` then ``kubectl apply -f grafana.yaml``); or a
        GitHub raw/blob URL of a file of this repository (its remote, or any when no GitHub remote is known)."""
        if target.startswith(("http://", "https://")):
            return self._own_github_file(target)
        folder = posixpath.dirname(rb.path)
        for base in (folder, ""):
            rel = safe_relpath(self.root, posixpath.join(base, target) if base else target)
            if rel is not None and rel in self.files:
                return rel
        if "/" not in target.strip("./"):
            for link in rb.links:
                path = link.target.partition("#")[0]
                if posixpath.basename(path) == target and not _URL_SCHEME.match(path):
                    rel = safe_relpath(self.root, posixpath.join(folder, path))
                    if rel is not None and rel in self.files:
                        return rel
        return None

    def _own_github_file(self, url: str) -> str | None:
        m = _GITHUB_FILE.match(url)
        if not m:
            return None
        github = {k for k in self.remote_keys if k.startswith("github.com/")}
        if github and f"github.com/{m.group('repo') or m.group('repo2')}".lower() not in github:
            return None  # another repository's file
        parts = m.group("rest").split("?")[0].split("/")
        for skip in range(1, min(4, len(parts))):  # the ref may have slashes (`refs/heads/main`)
            rel = safe_relpath(self.root, "/".join(parts[skip:]))
            if rel is not None and rel in self.files:
                return rel
        return None

    def objects_in_file(self, path: str) -> list[tuple[str, str]]:
        """(kind, metadata.name) of each object the repository YAML file at *path* declares (any file,
        not only the configured manifests); [] when it cannot be read. Never raises on content."""
        if path in self._file_objects:
            return self._file_objects[path]
        import yaml

        from rbh import yaml_load

        found: list[tuple[str, str]] = []
        try:
            full = (self.root / path).resolve()
            if full.is_relative_to(self.root.resolve()) and full.stat().st_size <= _MAX_APPLIED_BYTES:
                for doc in yaml_load.safe_load_all(full.read_text(encoding="utf-8", errors="replace")):
                    items = doc.get("items") if isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List") else [doc]
                    for item in items if isinstance(items, list) else []:
                        meta = item.get("metadata") if isinstance(item, dict) else None
                        if isinstance(item.get("kind") if isinstance(item, dict) else None, str) and isinstance(meta, dict) \
                                and isinstance(meta.get("name"), str):
                            found.append((item["kind"], meta["name"]))
        except (OSError, ValueError, yaml.YAMLError, RecursionError):  # untrusted text: unreadable means nothing
            found = []
        self._file_objects[path] = found
        return found

    def link_sources(self, path: str) -> list[str]:
        """The pages a runbook's relative links are read from: the pages that include it (``includers``),
        else the runbook itself."""
        return self.includers.get(path) or [path]

    @cached_property
    def top_level(self) -> set[str]:
        return {f.split("/", 1)[0] for f in self.files}

    @cached_property
    def site_roots(self) -> list[str]:
        """Folders a static site in a subfolder serves at ``/``, for site-root links (``/blog``,
        ``/docs/intro``, ``/img/x.png``): a Docusaurus site's folder and its ``static/``, a Hugo
        site's ``content/`` and ``static/``, a Jekyll site's folder, a MyST project's folder
        (``myst.yml``), an MkDocs ``docs_dir``, a Middleman ``source/``; the repository root is tried first by the caller."""
        roots: list[str] = []
        for f in sorted(self.files):
            folder, _, name = f.rpartition("/")
            if name.startswith("docusaurus.config.") or name == "_config.yml":
                bases = [folder, f"{folder}/static" if folder else "static"]
            elif name in ("hugo.toml", "hugo.yaml", "hugo.json") or (
                    name in ("config.toml", "config.yaml", "config.yml")
                    and (f"{folder}/content" if folder else "content") in self.directories):
                # a Hugo site (its older config name counts beside a content/ folder)
                bases = [f"{folder}/content" if folder else "content", f"{folder}/static" if folder else "static"]
            elif name == "config.rb" or (name == "tech-docs.yml" and folder.rpartition("/")[2] == "config"):
                # Middleman serves `source/` at `/` (a tech-docs site's config/tech-docs.yml stands
                # for the config.rb a publisher image brings)
                top = folder if name == "config.rb" else folder.rpartition("/")[0]
                bases = [f"{top}/source" if top else "source"]
            elif name == "myst.yml":
                # a MyST (mystmd, Jupyter Book 2) project serves its folder at `/`: `/topic/x` is `docs/topic/x.md`
                bases = [folder]
            elif name in ("mkdocs.yml", "mkdocs.yaml"):
                # MkDocs serves its docs_dir at `/`: `/before/roles/` is `docs/before/roles.md`
                docs = _mkdocs_docs_dir(self.root / f)
                bases = [posixpath.normpath(f"{folder}/{docs}") if folder else posixpath.normpath(docs)]
            else:
                continue
            roots.extend(b for b in bases if b and b not in roots and (b == folder or b in self.directories))
        return roots

    @cached_property
    def site_redirects(self) -> dict[str, str]:
        """Old page -> new page, as repository paths without page extensions, from the redirects a
        site declares: a tech-docs (Middleman) site's ``config/tech-docs.yml`` ``redirects:`` (site
        URLs, served from ``source/``), the MkDocs redirects plugin's ``redirect_maps`` (docs
        pages) and an mdBook's ``[output.html.redirect]`` in ``book.toml`` (served from ``book.src``). The site serves a redirect at the old URL, so a link to it still reaches a page."""
        found: dict[str, str] = {}
        for f in sorted(self.files):
            folder, _, name = f.rpartition("/")
            if f == "config/tech-docs.yml" or f.endswith("/config/tech-docs.yml"):
                site = posixpath.join(folder.rpartition("/")[0] if "/" in folder else "", "source")
                pairs = _yaml_map(self.root / f, "redirects")
                found.update((page_key(site, old), page_key(site, new)) for old, new in pairs)
            elif name in ("mkdocs.yml", "mkdocs.yaml"):
                site = posixpath.normpath(posixpath.join(folder, _mkdocs_docs_dir(self.root / f)))
                for plugin in _yaml_map(self.root / f, "plugins", listed=True):
                    if plugin[0] == "redirects" and isinstance(plugin[1], dict):
                        maps = plugin[1].get("redirect_maps") or {}
                        found.update((page_key(site, str(old)), page_key(site, str(new)))
                                     for old, new in (maps.items() if isinstance(maps, dict) else []))
            elif name == "book.toml":
                found.update(_mdbook_redirects(self.root / f, folder))
        return found

    @cached_property
    def generated_prefixes(self) -> list[str]:
        """Site URL folders whose pages a Middleman site makes from code: its ``config.rb`` calls
        ``proxy`` and its Ruby code builds the paths (``path: "/repos/#{repo.app_name}.html"`` gives
        ``/repos/``). Such pages have no source file, so links into those folders are not checked."""
        configs = [f for f in self.files if f == "config.rb" or f.endswith("/config.rb")]
        if not any(re.search(r"^\s*proxy\b", _read(self.root / f), re.M) for f in configs):
            return []
        found: set[str] = set()
        for f in self.files:
            if f.endswith(".rb") and not re.match(r"(spec|test|vendor)/", f):
                found.update(m.group(1) for m in _RUBY_PATH.finditer(_read(self.root / f)))
        return sorted(found)

    @cached_property
    def jekyll_urls(self) -> dict[str, str]:
        """Site URL path (no leading or trailing slash, no ``.html``) -> the file Jekyll builds it from,
        for pages Jekyll serves elsewhere than their path says: a page's front matter ``permalink:``
        (and jekyll-redirect-from's ``redirect_from:``), a collection's documents (``_docs/a/b.md`` at
        ``/docs/a/b/`` by the collection's ``permalink`` in ``_config.yml``), posts
        (``_posts/2017-07-07-x.md`` at ``/2017/07/07/x/``, the date from front matter when it has one)
        and ``_assets/`` at ``/assets/`` (jekyll-assets' convention)."""
        import yaml

        from rbh import yaml_load

        urls: dict[str, str] = {}
        sites = [f.rpartition("/")[0] for f in sorted(self.files) if f.rpartition("/")[2] == "_config.yml"]
        for site in sites:
            prefix = f"{site}/" if site else ""
            try:
                config = yaml_load.safe_load(_read(self.root / f"{prefix}_config.yml"))
            except (ValueError, yaml.YAMLError):
                config = None
            config = config if isinstance(config, dict) else {}
            declared = config.get("collections")
            collections: dict[Any, Any] = declared if isinstance(declared, dict) else {}
            where = str(config.get("collections_dir") or "").strip("/")
            for name, settings in collections.items():
                settings = settings if isinstance(settings, dict) else {}
                if not settings.get("output"):
                    continue
                template = str(settings.get("permalink") or "/:collection/:path/")
                if re.search(r":(?!collection\b|path\b|name\b|title\b|output_ext\b)\w+", template):
                    continue  # dates, categories ...: not from the path alone
                folder = posixpath.join(prefix + where, f"_{name}").strip("/")
                for f in self.files:
                    if f.startswith(folder + "/") and f.endswith((".md", ".markdown", ".html")):
                        path = f[len(folder) + 1:].rsplit(".", 1)[0]
                        url = (template.replace(":collection", str(name)).replace(":path", path)
                               .replace(":name", path.rpartition("/")[2]).replace(":title", path.rpartition("/")[2])
                               .replace(":output_ext", ""))
                        urls.setdefault(site_url_key(url), f)
            for f in sorted(self.files):
                if not f.startswith(prefix) or not f.endswith((".md", ".markdown", ".html")):
                    continue
                head = _front_matter(self.root / f)
                if "/_posts/" in f"/{f}":
                    m = re.match(r"(\d{4})-(\d{2})-(\d{2})-(.+)\.\w+$", f.rpartition("/")[2])
                    if m:
                        date = re.match(r"(\d{4})-(\d{2})-(\d{2})", str(head.get("date") or ""))
                        year, month, day = date.groups() if date else m.groups()[:3]
                        urls.setdefault(site_url_key(f"/{year}/{month}/{day}/{m.group(4)}"), f)
                redirects = head.get("redirect_from")
                for url in [head.get("permalink"), *(redirects if isinstance(redirects, list) else [redirects])]:
                    if isinstance(url, str) and url.startswith("/") and ":" not in url:
                        urls.setdefault(site_url_key(url), f)
            for f in self.files:
                if f.startswith(f"{prefix}_assets/"):
                    urls.setdefault(site_url_key("/assets/" + f[len(prefix) + len("_assets/"):]), f)
        return urls

    @cached_property
    def serves_folder_urls(self) -> bool:
        """A site generator that serves ``page.md`` at ``page/`` (MkDocs, Hugo, Docusaurus) builds this
        repository: a relative link is then resolved by the browser from that folder URL."""
        names = ("mkdocs.yml", "mkdocs.yaml", "hugo.toml", "hugo.yaml", "hugo.json")
        return any(f.rpartition("/")[2] in names or f.rpartition("/")[2].startswith("docusaurus.config.")
                   for f in self.files)

    @cached_property
    def directories(self) -> set[str]:
        dirs: set[str] = set()
        for f in self.files:
            parts = f.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:i]))
        return dirs


_DOCS_DIR = re.compile(r"""^docs_dir:[ \t]*['"]?([^'"#\s]+)""", re.M)


_REMOTE = re.compile(r"^(?:[a-z+]+://)?(?:[^@/]+@)?(?P<host>[A-Za-z0-9.-]+\.[A-Za-z]{2,})(?::\d+)?[:/](?P<path>[^?#]+)$")
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# a file of a GitHub repository: raw.githubusercontent.com/o/r/REF/path, github.com/o/r/blob|raw/REF/path
_GITHUB_FILE = re.compile(r"^https?://(?:raw\.githubusercontent\.com/(?P<repo>[\w.-]+/[\w.-]+)"
                          r"|github\.com/(?P<repo2>[\w.-]+/[\w.-]+)/(?:blob|raw))/(?P<rest>.+)$")
_MAX_APPLIED_BYTES = 2_000_000


def _mkdocs_docs_dir(path: Path) -> str:
    """The ``docs_dir`` a mkdocs.yml names (``docs`` when it names none). Read as text: a mkdocs.yml
    may hold ``!!python/name:`` tags that a safe YAML loader refuses."""
    found = _DOCS_DIR.search(_read(path))
    return found.group(1).rstrip("/") if found else "docs"


def page_key(site: str, url: str) -> str:
    """A site URL or page path as a repository path without its page extension: ``/manual/a.html``
    on a site served from ``source`` is ``source/manual/a``; an external URL stays as written."""
    if url.startswith(("https://", "http://")):
        return url
    path = url.split("#", 1)[0].split("?", 1)[0].strip("/")
    for ext in (".html.md.erb", ".html.md", ".html.erb", ".html", ".htm", ".md", ".mdx"):
        if path.endswith(ext):
            path = path[: -len(ext)]
            break
    if path.endswith("/index") or path == "index":
        path = path[: -len("index")].rstrip("/")
    return posixpath.normpath(posixpath.join(site, path)) if path else (site or ".")


def _yaml_map(path: Path, key: str, *, listed: bool = False) -> list[tuple[str, Any]]:
    """The pairs under *key* of a small YAML config file (a list of one-key maps when *listed*,
    like MkDocs ``plugins``); nothing when the file does not parse (a mkdocs.yml with
    ``!!python/name:`` tags, which the safe loader refuses)."""
    import yaml

    from rbh import yaml_load

    try:
        data = yaml_load.safe_load(_read(path))
    except (ValueError, yaml.YAMLError):
        return []
    value = data.get(key) if isinstance(data, dict) else None
    if listed:
        items = value if isinstance(value, list) else []
        return [next(iter(i.items())) if isinstance(i, dict) and len(i) == 1 else (str(i), None) for i in items]
    return [(str(k), v) for k, v in value.items() if isinstance(v, str)] if isinstance(value, dict) else []


def site_url_key(url: str) -> str:
    """A site URL path as ``RuleContext.jekyll_urls`` keys it: no slashes around it, no ``.html``,
    no ``index``."""
    key = url.split("#", 1)[0].split("?", 1)[0].strip("/")
    key = key[: -len(".html")] if key.endswith(".html") else key
    return key[: -len("/index")] if key.endswith("/index") else ("" if key == "index" else key)


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)


def _front_matter(path: Path) -> dict:
    """A page's YAML front matter (empty when it has none or it does not parse)."""
    import yaml

    from rbh import yaml_load

    m = _FRONT_MATTER.match(_read(path)[:20_000])
    if not m:
        return {}
    try:
        data = yaml_load.safe_load(m.group(1))
    except (ValueError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


# a Ruby string that builds a site path in a folder from a value: "/repos/#{repo.app_name}.html"
_RUBY_PATH = re.compile(r"""["'](/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*/)#\{""")


_MAX_CONFIG_BYTES = 1_000_000


def _mdbook_redirects(path: Path, folder: str) -> list[tuple[str, str]]:
    """An mdBook's ``[output.html.redirect]`` (``"compiler/mcp.html" = "/compiler/proposals.html"``) as
    page keys under the book's ``src`` folder (default ``src``): old URLs from the book's root, new
    ones from the root when they start with ``/``, else from the old page's folder, or a full URL.
    Nothing when the file does not parse."""
    import tomllib

    try:
        config = tomllib.loads(_read(path))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return []
    def table(data: dict, key: str) -> dict:
        value = data.get(key)
        return value if isinstance(value, dict) else {}

    src = table(config, "book").get("src")
    src = src if isinstance(src, str) else "src"
    site = posixpath.normpath(posixpath.join(folder, src.strip("/") or "."))
    redirects = table(table(table(config, "output"), "html"), "redirect")
    pairs = []
    for old, new in redirects.items():
        if not isinstance(new, str) or not new:
            continue
        old = str(old).lstrip("/")
        if not new.startswith(("/", "https://", "http://")):
            new = posixpath.join(posixpath.dirname(old), new)
        pairs.append((page_key(site, old), page_key(site, new)))
    return pairs


def _read(path: Path) -> str:
    """A site config or source file's text, or "" for a symlink (it could point out of the
    repository), an unreadable file or one over 1 MB (no config is that big)."""
    try:
        if path.is_symlink() or path.stat().st_size > _MAX_CONFIG_BYTES:
            return ""
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
