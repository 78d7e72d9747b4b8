"""Resolving an alert's ``runbook_url`` to a runbook file and anchor in this repository.

The config maps URL prefixes to repository folders (``check.runbook_urls.prefixes``); a ``*`` in a
prefix matches one path segment (a branch name in GitHub-blob URLs). URL styles understood:

- GitHub blob: ``https://github.com/org/runbooks/blob/main/alerts/X.md#anchor`` -> ``<folder>/alerts/X.md``
- MkDocs: ``https://runbooks.example.com/checkout/high-latency/`` -> ``checkout/high-latency.md``,
  ``checkout/high-latency/index.md`` or ``README.md``; ``.html`` pages map to ``.md``
- Hugo: the same, plus ``_index.md`` section pages
- Templated URLs (``{{ $labels.alertname }}``): each template becomes a wildcard; any match resolves.

With no prefix configured, ``site.url`` maps to the runbooks folder, and URLs ending in ``.md`` are
matched by their path's tail (the longest suffix that names a runbook file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from rbh.gotemplate import replace_actions
from rbh.paths import glob_match

_CONTROL = re.compile(r"\{\{-?\s*(?:if|else|end|range|with|define|template|block)\b")
_URL_IN = re.compile(r"https?://\S+")


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
        if rel.endswith(".html"):
            rel = rel[:-5]
            if rel.endswith("/index"):
                rel = rel[:-6]
        if rel.endswith(".md"):
            return [rel]
        if not rel:
            return ["index.md", "README.md", "_index.md"]
        return [f"{rel}.md", f"{rel}/index.md", f"{rel}/README.md", f"{rel}/_index.md"]

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
        if "{{" not in raw:
            return [self._resolve_one(url, raw, False)]
        # control actions vanish, value actions become wildcards (a linear scan: rbh.gotemplate)
        text = replace_actions(raw, lambda action: " " if _CONTROL.match(action) else "*")
        found = _URL_IN.findall(text)
        if not found:
            return [Resolution(url, [], None, None, False, True)]
        return [self._resolve_one(url, u, True) for u in found]

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
        if base.endswith(".md") and not self.prefixes:
            path = unquote(parts.path).strip("/")
            segments = path.split("/")
            for i in range(len(segments)):
                tail = "/".join(segments[i:])
                hits = [f for f in self.files if self._norm(f) == self._norm(tail) or self._norm(f).endswith("/" + self._norm(tail))]
                if hits:
                    return Resolution(url, hits, hits[0], anchor, True, templated)
            return Resolution(url, [segments[-1]], None, anchor, True, templated)
        return Resolution(url, [], None, anchor, False, templated)


def github_slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes."""
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")
