"""Resolving an alert's ``runbook_url`` to a runbook file and anchor in this repository.

The config maps URL prefixes to repository folders (``check.runbook_urls.prefixes``); a ``*`` in a
prefix matches one path segment (a branch name in GitHub-blob URLs). URL styles understood:

- GitHub blob: ``https://github.com/org/runbooks/blob/main/alerts/X.md#anchor`` -> ``<folder>/alerts/X.md``
- MkDocs: ``https://runbooks.example.com/checkout/high-latency/`` -> ``checkout/high-latency.md``,
  ``checkout/high-latency/index.md`` or ``README.md``; ``.html`` pages map to ``.md``
- Hugo: the same, plus ``_index.md`` section pages and multilingual names (``_index.en.md``); MDX sites (Astro Starlight, Docusaurus): ``.mdx``
- Templated URLs (``{{ $labels.alertname }}``): each template becomes a wildcard; any match resolves.
  When the template is the whole base (``{{ .Values.runbookBase }}/alertmanager/x``, Go's other
  delimiters ``[[ .RunbookURL ]]#Loki-Request-Errors``), the literal rest still names the runbook: its
  path by the one runbook file that path ends in, an anchor alone by the one runbook that has it
  (``AlertCatalog`` looks that up). Such a URL is not ours to report (its base may point anywhere),
  unless the other anchors of the same base settle the page (RBH203's ``_template_base_pages``).

With no prefix configured, ``site.url`` maps to the runbooks folder, and URLs ending in ``.md`` are
matched by their path's tail (the longest suffix that names a runbook file); so is a repository path
(``runbook: docs/patroni/alerts.md``) whatever prefixes are configured.

Core, because ``rbh check``, ``rbh ask``, ``rbh new`` and the site resolve the same URLs: each builds
its resolver with ``resolver_for``, so they agree on which runbook an alert links to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Collection
from urllib.parse import unquote, urlsplit

from rbh import git as rgit
from rbh.config import Config
from rbh.gotemplate import replace_actions
from rbh.paths import glob_match

_CONTROL = re.compile(r"(?:\{\{|\[\[)-?\s*(?:if|else|end|range|with|define|template|block)\b")
#: Go template delimiters: the default, and the pair operators pick when Helm renders the same file
_DELIMS = (("{{", "}}"), ("[[", "]]"))
_URL_IN = re.compile(r"https?://\S+")


_LANGUAGE_SUFFIX = re.compile(r"\.[a-z]{2}(?:-[a-zA-Z]{2})?\.md$")


@dataclass(frozen=True)
class Resolution:
    url: str
    candidates: list[str]  # runbook files the URL may mean, best first
    found: str | None  # the existing runbook it resolves to
    anchor: str | None
    managed: bool  # the URL points into our runbooks (a configured prefix or a recognisable .md link)
    templated: bool = False


class RunbookUrlResolver:
    def __init__(self, prefixes: dict[str, str], runbook_files: list[str], case_insensitive: bool = False,
                 site_url: str | None = None, default_folder: str = ""):
        self.prefixes = sorted(prefixes.items(), key=lambda kv: -len(kv[0]))
        if not self.prefixes and site_url:
            self.prefixes = [(site_url.rstrip("/") + "/", default_folder)]
        self.case_insensitive = case_insensitive
        self.files = list(runbook_files)
        self._lookup = {self._norm(f): f for f in self.files}
        # Hugo's multilingual file names: `alerting-runbook/_index.en.md` serves what `_index.md` would
        for f in self.files:
            plain = _LANGUAGE_SUFFIX.sub(".md", f)
            if plain != f:
                self._lookup.setdefault(self._norm(plain), f)
        self._by_suffix: dict[str, list[str]] | None = None
        self._folders: set[str] | None = None  # folders holding runbooks, made on first use

    def _ending_with(self, tail: str) -> list[str]:
        """Files (in order) that are *tail* or end with ``/`` + *tail*: one dict lookup instead of a
        scan of every runbook per URL (1,000 alerts x 500 runbooks cost 0.7 s)."""
        if self._by_suffix is None:
            index: dict[str, list[str]] = {}
            for f in self.files:
                nf = self._norm(f)
                keys = {nf} | {nf[i + 1:] for i, c in enumerate(nf) if c == "/"}
                for k in keys:
                    index.setdefault(k, []).append(f)
            self._by_suffix = index
        return self._by_suffix.get(self._norm(tail), [])

    def _norm(self, path: str) -> str:
        return path.lower() if self.case_insensitive else path

    @staticmethod
    def _prefix_match(prefix: str, url: str) -> int | None:
        """Length of *url* consumed by *prefix* (``*`` = one segment), or None."""
        pattern = "".join("[^/]+" if part == "*" else re.escape(part) for part in re.split(r"(\*)", prefix))
        m = re.match(pattern, url)
        return m.end() if m else None

    def _candidates(self, rel: str) -> list[str]:
        rel = rel.strip("/")
        sources: list[str] = []
        if rel.endswith(".html"):
            sources = [f"{rel}.md.erb", f"{rel}.md"]  # Middleman (tech-docs-template) sources of page.html
            rel = rel[:-5]
            if rel.endswith("/index"):
                rel = rel[:-6]
        if rel.endswith(".md"):
            return [rel]
        if sources:
            return [f"{rel}.md", *sources] if rel else ["index.md", "README.md", *sources]
        # `.mdx` after `.md`: an MDX site (Astro Starlight, Docusaurus) serves `alerts.mdx` at `alerts/`
        if not rel:
            return ["index.md", "README.md", "_index.md", "index.mdx"]
        return [f"{rel}.md", f"{rel}/index.md", f"{rel}/README.md", f"{rel}/_index.md", f"{rel}.mdx", f"{rel}/index.mdx"]

    def _find(self, candidates: list[str], templated: bool) -> str | None:
        for c in candidates:
            if templated and "*" in c:
                for f in self.files:
                    if glob_match(self._norm(f), self._norm(c)):
                        return f
                continue
            hit = self._lookup.get(self._norm(c))
            if hit:
                return hit
        return None

    def resolve_all(self, url: str) -> list[Resolution]:
        """Every URL an annotation can produce: a Go template may choose between several
        (``{{ if ... }}https://a{{ else }}https://b{{ end }}``); value templates are wildcards."""
        raw = url.strip()
        delims = [(left, right) for left, right in _DELIMS if left in raw and right in raw]
        if not delims:
            return [self._resolve_one(url, raw, False)]
        # control actions vanish, value actions become wildcards (a linear scan: rbh.gotemplate)
        text = raw
        for left, right in delims:
            text = replace_actions(text, lambda action: " " if _CONTROL.match(action) else "*", left, right)
        found = _URL_IN.findall(text)
        if not found:
            rest = text.strip()
            if rest.startswith("*") and "*" not in rest.lstrip("*"):
                return [self._resolve_tail(url, rest.lstrip("*"))]
            return [Resolution(url, [], None, None, False, True)]
        return [self._resolve_one(url, u, True) for u in found]

    def _resolve_tail(self, url: str, rest: str) -> Resolution:
        """A URL whose base is a template: the one runbook its literal path ends in (longest tail
        first, only when one file fits), and its anchor. Never ``managed``: the base is unknown."""
        anchor = unquote(urlsplit(rest).fragment) or None
        segments = [s for s in unquote(rest.split("#", 1)[0].split("?", 1)[0]).split("/") if s]
        for i in range(len(segments)):
            for candidate in self._candidates("/".join(segments[i:])):
                hits = self._ending_with(candidate)
                if len(hits) == 1:
                    return Resolution(url, hits, hits[0], anchor, False, True)
                if hits:  # several runbooks end so: a longer tail did not decide, a shorter one cannot
                    return Resolution(url, hits, None, anchor, False, True)
        return Resolution(url, [], None, anchor, False, True)

    def resolve(self, url: str) -> Resolution:
        """The first URL of *url* (see ``resolve_all``)."""
        return self.resolve_all(url)[0]

    def _resolve_one(self, url: str, raw: str, templated: bool) -> Resolution:
        parts = urlsplit(raw)
        anchor = unquote(parts.fragment) or None
        base = raw.split("#", 1)[0].split("?", 1)[0]
        for prefix, folder in self.prefixes:
            consumed = self._prefix_match(prefix, base) if not self.case_insensitive else self._prefix_match(prefix.lower(), base.lower())
            if consumed is None:
                continue
            rel = unquote(base[consumed:])
            folder = folder.strip("/")
            candidates = [f"{folder}/{c}" if folder else c for c in self._candidates(rel)]
            return Resolution(url, candidates, self._find(candidates, templated), anchor, True, templated)
        # a repository path (`runbook: docs/patroni/alerts.md`, no scheme) is one whatever the
        # prefixes say: they map site URLs, and such a path never matches them
        if base.endswith(".md") and (not self.prefixes or not (parts.scheme or parts.netloc)):
            path = unquote(parts.path).strip("/")
            segments = path.split("/")
            for i in range(len(segments)):
                tail = "/".join(segments[i:])
                hits = self._ending_with(tail)
                if hits:
                    return Resolution(url, hits, hits[0], anchor, True, templated)
            # none exists: the path it expects is the longest tail whose folder holds runbooks
            # (`.../blob/main/docs/runbooks/x.md` -> `docs/runbooks/x.md`), else the file name alone
            if self._folders is None:
                self._folders = {self._norm(f.rsplit("/", 1)[0]) for f in self.files if "/" in f}
            folders = self._folders
            for i in range(len(segments) - 1):
                if self._norm("/".join(segments[i:-1])) in folders:
                    return Resolution(url, ["/".join(segments[i:])], None, anchor, True, templated)
            return Resolution(url, [segments[-1]], None, anchor, True, templated)
        return Resolution(url, [], None, anchor, False, templated)


def resolver_for(config: Config, runbook_paths: list[str], *, default_folder: str, site_url: str | None = None,
                 root: Path | None = None, files: Collection[str] | None = None) -> tuple[RunbookUrlResolver, str | None]:
    """The resolver as ``check.runbook_urls`` in *config* describes it, and a notice when it had to
    decide something the config does not say.

    *default_folder* is where ``site.url`` maps when no prefix is configured (the runbooks' folder,
    ``rbh.project.glob_folder``); *site_url* stands in for an unset ``site.url`` (the MkDocs plugin
    passes its own). With *root* and *files* (the repository's files), a Hugo site that lower-cases
    page URLs makes the comparison case-insensitive, with a notice saying so.
    """
    cfg = config.check.runbook_urls
    case_insensitive = cfg.case_insensitive
    notice = None
    if not case_insensitive and root is not None and files is not None:
        hugo = hugo_lowercases_urls(root, files)
        if hugo:
            case_insensitive = True
            notice = (f"Hugo site ({hugo}) lower-cases page URLs: runbook_url paths are compared case-insensitively "
                      "(set `check.runbook_urls.case_insensitive` in rbh.yaml to say so explicitly)")
    resolver = RunbookUrlResolver(cfg.prefixes, runbook_paths, case_insensitive, site_url=config.site.url or site_url,
                                  default_folder=default_folder)
    return resolver, notice


def runbook_renames(repo, max_commits: int = 5000) -> dict[str, tuple[str, str]]:
    """old path -> (path it has now, short sha of the newest rename) for markdown files renamed in the
    repository's history (``git log -M --diff-filter=R``), rename chains followed to a path that exists."""
    import git

    if repo is None:
        return {}
    try:
        raw = repo.git.execute(["git", "-c", "core.quotepath=off", "log", "-z", "-M", "--diff-filter=R", "--name-status",
                                "--no-color", f"--max-count={max_commits}", "--format=\x1e%H", "HEAD", "--", "*.md"])
    except git.GitCommandError:
        return {}
    step: dict[str, tuple[str, str]] = {}
    # -z: "\x1e<sha>\0", then "\n" and NUL-separated status / old path / new path records (unquoted)
    for record in raw.split("\x1e"):
        sha, _, body = record.partition("\0")
        for change in rgit.name_status_changes(body.removeprefix("\n").split("\0")):
            if change.status == "R" and change.old_path:
                step.setdefault(change.old_path, (change.path, sha.strip()[:8]))  # newest first: keep the newest rename
    out: dict[str, tuple[str, str]] = {}
    for old, (new, sha) in step.items():
        seen = {old}
        while new in step and new not in seen:
            seen.add(new)
            new = step[new][0]
        out[old] = (new, sha)
    return out


_HUGO_CONFIGS = ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml",
                 "config/_default/hugo.toml", "config/_default/hugo.yaml", "config/_default/config.toml",
                 "config/_default/config.yaml")
_HUGO_KEY = re.compile(r"""^\s*["']?(baseURL|baseurl|theme|contentDir)["']?\s*[:=]""", re.M | re.I)
_HUGO_KEEP_CASE = re.compile(r"""^\s*["']?disablePathToLower["']?\s*[:=]\s*["']?true""", re.M | re.I)


def hugo_lowercases_urls(root: Path, files: Collection[str]) -> str | None:
    """The Hugo config file when the repository is a Hugo site that lower-cases page URLs (Hugo's
    default unless ``disablePathToLower: true``), else None. Hugo serves ``content/x/KubeJobFailed.md``
    at ``/x/kubejobfailed/``, so a lower-cased runbook_url is right there."""
    for name in _HUGO_CONFIGS:
        if name not in files:
            continue
        try:
            path = root / name
            if path.stat().st_size > 1_000_000:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if name.startswith(("hugo.", "config/_default/hugo.")) or (_HUGO_KEY.search(text) and "baseurl" in text.lower()):
            return None if _HUGO_KEEP_CASE.search(text) else name
    return None
