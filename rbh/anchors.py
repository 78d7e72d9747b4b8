"""Heading anchors: one contract for the checks, citations, the site plugin and ``rbh ask``.

An anchor is what the built site puts in a heading's ``id``. MkDocs gets it from Python-Markdown's
``toc`` extension: the heading is rendered inline, its tags stripped, entities unescaped, then
``slugify`` (or the ``toc.slugify`` configured in ``mkdocs.yml``) is applied and duplicates get
``_1``, ``_2`` ... suffixes. This module reproduces that without importing Markdown on the hot path
(``rbh check`` parses thousands of files); ``tests/test_core_anchors.py`` compares the result with
Python-Markdown's real ids for every heading of every real corpus we have.

Links are written for the site *and* for the repository view, so a fragment is accepted when it
names a heading in any of the styles readers click: MkDocs (``symptoms``, ``symptoms_1``), GitHub and
GitLab (``symptoms``, ``symptoms-1``). Matching is case-insensitive, as browsers land on ids
case-sensitively but every style lower-cases.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

# --------------------------------------------------------------------------------------------
# Heading markdown -> the text Python-Markdown renders (before slugify)

# Python-Markdown's inline patterns, in the order that matters here (markdown/inlinepatterns.py):
_BACKTICK = re.compile(r"(?<!\\)(`+)(.+?)(?<!`)\1(?!`)")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])")  # markdown.Markdown.ESCAPED_CHARS
_IMAGE = re.compile(r"!\[((?:[^\[\]]|\[[^\]]*\])*)\]\([^)]*\)|!\[((?:[^\[\]]|\[[^\]]*\])*)\]\[[^\]]*\]")
_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\((?:[^()]|\([^)]*\))*\)|\[((?:[^\[\]]|\[[^\]]*\])*)\]\[([^\]]*)\]")
_AUTOLINK = re.compile(r"<((?:[Ff]|[Hh][Tt])[Tt][Pp][Ss]?://[^<>]*)>")
_AUTOMAIL = re.compile(r"<(?:mailto:)?([^<> !]+@[^@<> ]+)>")
# Asterisks emphasise anywhere; underscores only at word boundaries ("smart emphasis", the
# default since Python-Markdown 3): `pg_stat_activity` keeps its underscores.
_STAR_EMPH = (re.compile(r"(\*{3})([^*]+?)\1"), re.compile(r"(\*{2})(.+?)\1"), re.compile(r"(\*)([^*]+)\1"))
_UNDER_EMPH = (re.compile(r"(?<!\w)(_{3})(?!_)(.+?)(?<!_)\1(?!\w)"), re.compile(r"(?<!\w)(_{2})(?!_)(.+?)(?<!_)\1(?!\w)"),
               re.compile(r"(?<!\w)(_)(?!_)(.+?)(?<!_)\1(?!\w)"))
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<[A-Za-z][^<>]*/>")
_ATTR_LIST = re.compile(r"[ \t]+\{:?([^}\n]*)\}[ \t]*$")  # attr_list's HEADER_RE: a space before the brace
_ATTR_TIGHT = re.compile(r"\{([^{}\n]*)\}[ \t]*$")  # Goldmark (Hugo): `Title{#id}`, no space needed
_ATTR_ID = re.compile(r"(?:^|\s)#([^\s}]+)")
_STASH = re.compile("\x02(\\d+)\x03")
_MARKUP_CHARS = frozenset("`[]*_~<>\\&!{")


def heading_text(markdown: str, refs: set[str] | None = None) -> str:
    """Heading markdown reduced to the text MkDocs renders: code spans, links and emphasis unwrapped,
    images and HTML tags dropped, escapes and entities resolved, whitespace collapsed."""
    if not _MARKUP_CHARS.intersection(markdown):  # plain words (the common case): nothing below applies
        return " ".join(markdown.split())
    stash: list[str] = []

    def keep(text: str) -> str:
        stash.append(text)
        return f"\x02{len(stash) - 1}\x03"

    text = _BACKTICK.sub(lambda m: keep(m.group(2).strip()), markdown)
    text = _ESCAPE.sub(lambda m: keep(m.group(1)), text)
    text = _HTML_COMMENT.sub("", text)
    text = _AUTOLINK.sub(lambda m: keep(m.group(1)), text)
    text = _AUTOMAIL.sub(lambda m: keep(m.group(1)), text)
    text = _IMAGE.sub("", text)  # an <img> has no text: its alt is not part of the id
    def link(m: re.Match[str]) -> str:
        if m.group(1) is not None:  # [text](url)
            return m.group(1)
        label, ref = m.group(2), (m.group(3) or m.group(2))
        # a reference link renders as a link only when the document defines the reference
        return label if refs is None or ref.strip().lower() in refs else m.group(0).replace("[", "\x04").replace("]", "\x05")

    for _ in range(4):
        new = _LINK.sub(link, text)
        if new == text:
            break
        text = new
    text = text.replace("\x04", "[").replace("\x05", "]")
    text = _HTML_TAG.sub("", text)

    def emphasis(part: str, depth: int = 0) -> str:
        # Asterisks first, then underscores, each match stashed (a non-word placeholder), as
        # Python-Markdown's inline processor does: in `*emph*_under_` the underscore follows `*`.
        if depth > 4 or ("*" not in part and "_" not in part):
            return part
        for pat in _STAR_EMPH + _UNDER_EMPH:
            part = pat.sub(lambda m: keep(emphasis(m.group(2), depth + 1)), part)
        return part

    text = emphasis(text)
    while _STASH.search(text):
        text = _STASH.sub(lambda m: stash[int(m.group(1))], text)
    return " ".join(html.unescape(text).split())


def split_attr_id(markdown: str, tight: bool = False) -> tuple[str, str | None]:
    """(heading markdown without a trailing ``{#id .class}`` attribute list, the explicit id or None).
    *tight*: also ``Title{#id}`` with no space before the brace, as Goldmark (Hugo) reads it; only
    when the braces hold an ``#id``."""
    if "{" not in markdown:
        return markdown, None
    m = _ATTR_LIST.search(markdown)
    if not m and tight:
        t = _ATTR_TIGHT.search(markdown)
        if t and _ATTR_ID.findall(t.group(1)):
            m = t
    if not m:
        return markdown, None
    ids = _ATTR_ID.findall(m.group(1))
    return markdown[: m.start()], (ids[-1] if ids else None)


# --------------------------------------------------------------------------------------------
# Slugify functions


def slugify(value: str, separator: str = "-") -> str:
    """Python-Markdown's ``toc.slugify`` (the MkDocs default): ASCII-folded, punctuation dropped,
    lower case, runs of spaces and separators to one separator. Word characters, ``_`` included, stay."""
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(rf"[{re.escape(separator)}\s]+", separator, value)


def slugify_unicode(value: str, separator: str = "-") -> str:
    """Python-Markdown's ``toc.slugify_unicode``: the same without ASCII folding."""
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(rf"[{re.escape(separator)}\s]+", separator, value)


def _github_word(ch: str) -> bool:
    r"""A character GitHub keeps in an anchor: Ruby's ``\p{Word}`` (letters, marks, numbers, connector
    punctuation), ``-`` and space. Python's ``\w`` lacks the marks: the variation selector and the
    enclosing keycap of ``1️⃣`` stay in GitHub's anchor (``#1️⃣-step``) while the emoji symbols go."""
    return ch.isalnum() or ch in "-_ " or unicodedata.category(ch) in ("Mn", "Mc", "Me", "Pc")


def github_slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation other than ``-`` and ``_`` dropped, each space
    a dash (runs are not collapsed); combining marks stay (see ``_github_word``)."""
    text = text.strip().lower()
    if text.isascii():
        text = re.sub(r"[^\w\- ]", "", text)
    else:
        text = "".join(ch for ch in text if _github_word(ch))
    return text.replace(" ", "-")


def gitlab_slug(text: str) -> str:
    """GitLab's heading anchor: like GitHub's, but runs of dashes collapse to one."""
    return re.sub(r"-{2,}", "-", github_slug(text))


# --------------------------------------------------------------------------------------------
# De-duplication in O(1) per heading


_IDCOUNT = re.compile(r"^(.*)_([0-9]+)$")


class UniqueIds:
    """Python-Markdown's ``toc.unique``: the first ``x`` stays ``x``, the next ``x_1``, ``x_2`` ...

    The plain walk (try ``x_1``, ``x_2`` ... until one is free) makes 5,000 identical headings
    quadratic; ``counters`` remembers, per base, the run of suffixes known to be taken, as
    Python-Markdown 3.11 does, so each heading costs O(1) amortised with the same result.
    """

    def __init__(self, used: Iterable[str] = ()):
        self.used: set[str] = set(used)
        self._counters: dict[str, int] = {}

    def add(self, anchor: str, separator: str = "_") -> str:
        used = self.used
        if anchor in used or not anchor:
            m = _IDCOUNT.match(anchor) if separator == "_" else re.match(rf"^(.*){re.escape(separator)}([0-9]+)$", anchor)
            base, count = (m.group(1), int(m.group(2))) if m else (anchor, 0)
            known = self._counters.get(base, 0)
            skip = count <= known or anchor == f"{base}{separator}{known + 1}"
            if skip:
                count = max(count, known)
            count += 1
            while f"{base}{separator}{count}" in used:
                count += 1
            anchor = f"{base}{separator}{count}"
            if skip:
                self._counters[base] = count
        used.add(anchor)
        return anchor


def unique_anchor(anchor: str, used: set[str]) -> str:
    """One-off ``toc.unique`` over a plain set (kept for callers of the old API; use ``UniqueIds``
    when adding many)."""
    while anchor in used or not anchor:
        m = _IDCOUNT.match(anchor)
        anchor = f"{m.group(1)}_{int(m.group(2)) + 1}" if m else f"{anchor}_1"
    used.add(anchor)
    return anchor


# --------------------------------------------------------------------------------------------
# The configured slugify (mkdocs.yml)


@dataclass(frozen=True)
class Slugger:
    """How a site turns heading text into an id: a slugify function and its separator."""

    name: str = "markdown.extensions.toc.slugify"
    func: Callable[[str, str], str] = field(default=slugify, compare=False)
    separator: str = "-"
    attr_list: bool = True  # `## Title {#id}` sets the id (attr_list enabled, as Material sites do)
    attr_tight: bool = False  # `## Title{#id}` (no space) sets it too: Goldmark, on sites that are not MkDocs

    def __call__(self, text: str) -> str:
        return self.func(text, self.separator)


DEFAULT = Slugger()


def _pymdownx_slugify(kwds: dict[str, Any]) -> Callable[[str, str], str] | None:
    try:
        from pymdownx import slugs  # installed with mkdocs-material
    except ImportError:
        return None
    allowed = {"case", "percent_encode", "normalize"}
    if not set(kwds) <= allowed or not all(isinstance(v, (str, bool)) for v in kwds.values()):
        return None
    return slugs.slugify(**kwds)


def _named_slugify(name: str) -> Callable[[str, str], str] | None:
    """A slugify function named by its dotted path, from the allow-list only. A repository's
    mkdocs.yml is untrusted: ``!!python/name:`` would import anything, so we never import the name it
    gives; we map known names to functions of installed packages and ignore the rest."""
    if name in ("markdown.extensions.toc.slugify", "markdown.extensions.toc.slugify_ascii"):
        return slugify
    if name == "markdown.extensions.toc.slugify_unicode":
        return slugify_unicode
    if name.startswith("pymdownx.slugs."):
        short = name.rsplit(".", 1)[1]
        try:
            from pymdownx import slugs
        except ImportError:
            return None
        legacy = {"uslugify", "uslugify_encoded", "uslugify_cased", "uslugify_cased_encoded", "gfm", "gfm_encoded"}
        if short in legacy:
            return getattr(slugs, short, None)
        if short == "slugify":
            return slugs.slugify()
    return None


class _TagLoader:
    """A YAML safe loader that reads ``!!python/name:X`` and ``!!python/object/apply:X`` as data
    (the dotted name and its keyword arguments) instead of importing X, plus MkDocs' ``!ENV``."""

    @staticmethod
    def load(text: str) -> Any:
        import yaml

        class Loader(yaml.SafeLoader):
            pass

        def name_tag(loader, suffix, node):
            return {"__python_name__": suffix}

        def apply_tag(loader, suffix, node):
            kwds: dict[str, Any] = {}
            if isinstance(node, yaml.MappingNode):
                data = loader.construct_mapping(node, deep=True)
                kwds = data.get("kwds") or {}
            return {"__python_name__": suffix, "kwds": kwds if isinstance(kwds, dict) else {}}

        def other_tag(loader, suffix, node):
            return None

        Loader.add_multi_constructor("tag:yaml.org,2002:python/name:", name_tag)
        Loader.add_multi_constructor("tag:yaml.org,2002:python/object/apply:", apply_tag)
        Loader.add_multi_constructor("tag:yaml.org,2002:python/", other_tag)
        Loader.add_multi_constructor("!", other_tag)
        return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass; python tags become plain data


def slugger_from_mkdocs(config: Any) -> Slugger:
    """The slugger a parsed ``mkdocs.yml`` configures (``markdown_extensions: [toc: {slugify: ...,
    separator: ...}]``); the default when absent or when the function is not one we know."""
    if not isinstance(config, dict):
        return DEFAULT
    exts = config.get("markdown_extensions") or []
    names = set(exts) if isinstance(exts, dict) else {
        (next(iter(e)) if isinstance(e, dict) and e else e) for e in exts if isinstance(e, (str, dict))} if isinstance(exts, list) else set()
    attr_list = bool(names & {"attr_list", "markdown.extensions.attr_list"})
    slugger = _toc_slugger(exts)
    return Slugger(slugger.name, slugger.func, slugger.separator, attr_list)


def _toc_slugger(exts: Any) -> Slugger:
    toc: Any = None
    if isinstance(exts, dict):
        toc = exts.get("toc")
    elif isinstance(exts, list):
        for item in exts:
            if isinstance(item, dict) and "toc" in item:
                toc = item["toc"]
            elif isinstance(item, dict) and "markdown.extensions.toc" in item:
                toc = item["markdown.extensions.toc"]
    if not isinstance(toc, dict):
        return DEFAULT
    sep = toc.get("separator", "-")
    sep = sep if isinstance(sep, str) and len(sep) <= 3 else "-"
    spec = toc.get("slugify")
    if spec is None:
        return Slugger(DEFAULT.name, slugify, sep)
    func, name = None, None
    if isinstance(spec, dict) and isinstance(spec.get("__python_name__"), str):
        name = spec["__python_name__"]
        if "kwds" in spec:
            func = _pymdownx_slugify(spec["kwds"]) if name == "pymdownx.slugs.slugify" else None
        else:
            func = _named_slugify(name)
    elif isinstance(spec, str):
        name = spec
        func = _named_slugify(spec)
    if func is None:
        return Slugger(DEFAULT.name, slugify, sep)
    return Slugger(name or DEFAULT.name, func, sep)


# A repository without mkdocs.yml: GitHub/GitLab views or a Hugo (Goldmark) site, whose heading
# attributes need no space before the brace (`### A) Fix it{#solution-a}`)
NOT_MKDOCS = Slugger(attr_tight=True)


_NO_MKDOCS = object()  # ``_mkdocs_config``: the repository has no mkdocs.yml


def _mkdocs_config(root: Path | str) -> Any:
    """The parsed ``mkdocs.yml`` (or ``.yaml``) of the repository at *root* (tags read, never run);
    None when it cannot be parsed, ``_NO_MKDOCS`` without one. A symlink is not followed (it could
    name a file outside the repository), nor a file over 1 MB."""
    for name in ("mkdocs.yml", "mkdocs.yaml"):
        path = Path(root) / name
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > 1_000_000:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        try:
            return _TagLoader.load(text)
        except Exception:  # noqa: BLE001 - a broken mkdocs.yml is the site build's problem
            return None
    return _NO_MKDOCS


def slugger_for(root: Path | str | None) -> Slugger:
    """The slugger of the site built from the repository at *root* (its ``mkdocs.yml``;
    ``NOT_MKDOCS`` without one, the default when it cannot be read)."""
    if root is None:
        return DEFAULT
    conf = _mkdocs_config(root)
    if conf is _NO_MKDOCS:
        return NOT_MKDOCS
    try:
        return slugger_from_mkdocs(conf)
    except Exception:  # noqa: BLE001 - odd toc options are the site build's problem; anchors use the default
        return DEFAULT


_PROBES = ("Check the Pods", "Ünïcode Ärger", "a_b-c.d (e) 1/2", "日本 Ω")


def site_signature(root: Path | str | None) -> str:
    """A short hash of what the site's config makes of runbook text: its anchors (the slugger,
    probed on sample headings, so ``slugify`` options count) and its page titles (``nav``). The
    index records it: when it changes, stored anchors and titles are stale."""
    import hashlib
    import json

    s = slugger_for(root)
    data = [s.separator, s.attr_list, s.attr_tight, [s(p) for p in _PROBES], sorted(mkdocs_nav_titles(root).items())]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode("utf-8")).hexdigest()[:12]


def mkdocs_nav_titles(root: Path | str | None) -> dict[str, str]:
    """Repository path -> title of the pages an MkDocs site's ``nav`` names (``- Incident Commander:
    'training/incident_commander.md'`` gives ``docs/training/incident_commander.md``): MkDocs titles
    a page by its nav entry, so a page without an H1 or front matter title has that name on the site."""
    conf = _mkdocs_config(root) if root is not None else None
    if not isinstance(conf, dict):
        return {}
    titles: dict[str, str] = {}
    _nav_titles(conf.get("nav"), str(conf.get("docs_dir") or "docs").strip("/"), titles)
    return titles


def _nav_titles(items: Any, docs: str, titles: dict[str, str]) -> None:
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        for title, value in item.items():
            if isinstance(value, list):
                _nav_titles(value, docs, titles)
            elif isinstance(value, str) and value.endswith((".md", ".markdown")) and "://" not in value:
                titles.setdefault(f"{docs}/{value.lstrip('/')}", str(title))


# --------------------------------------------------------------------------------------------
# Anchors of a document


def site_anchors(texts: Iterable[tuple[str, str | None]], slugger: Slugger = DEFAULT) -> list[str]:
    """MkDocs ids of headings given as (plain text, explicit id or None), in document order."""
    pairs = list(texts)
    ids = UniqueIds(i for _, i in pairs if i)
    return [explicit if explicit else ids.add(slugger(text)) for text, explicit in pairs]


def fragment_map(headings: Iterable[Any], slugger: Slugger = DEFAULT) -> dict[str, str]:
    """Every fragment that lands on one of these headings (objects with ``text``, ``anchor`` and
    optionally ``explicit``), lower-cased, mapped to the heading's site anchor: the site's own ids,
    and GitHub's and GitLab's (their duplicates get ``-1``, ``-2`` ...). When the headings were parsed
    with another slugger than *slugger*, their site anchors are recomputed with *slugger*."""
    hs = list(headings)
    site = [h.anchor for h in hs]
    if slugger != DEFAULT and hs:
        site = site_anchors([(h.text, h.anchor if getattr(h, "explicit", False) else None) for h in hs], slugger)
    found: dict[str, str] = {}
    for slug_fn in (github_slug, gitlab_slug):
        counts: dict[str, int] = {}
        for h, anchor in zip(hs, site):
            base = slug_fn(h.text)
            n = counts.get(base, 0)
            counts[base] = n + 1
            found.setdefault(base if n == 0 else f"{base}-{n}", anchor)
    for anchor in site:  # the site's ids win over a repository-style alias that collides
        found[anchor.lower()] = anchor
    return found


_HTML_ID = re.compile(r"<[A-Za-z][A-Za-z0-9-]*\s(?:[^<>]*?\s)?(?:id|name)\s*=\s*[\"']([^\"'<>\s]+)[\"']", re.I)


def html_ids(text: str, skip_lines: set[int] | frozenset[int] = frozenset()) -> list[str]:
    """Ids that raw HTML in the markdown gives (``<a id="runbook-cpu"></a>``, ``<a name="x">``,
    ``<div id="y">``): a link's fragment lands on them on every site and on GitHub. Lines in
    *skip_lines* (1-based: code blocks) are not read."""
    if "id" not in text and "name" not in text:
        return []
    out: list[str] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if "<" in line and lineno not in skip_lines:
            out.extend(m.group(1) for m in _HTML_ID.finditer(line))
    return out


#: MyST's explicit target: a line ``(label)=`` before the block it names
_MYST_TARGET = re.compile(r"^ {0,3}\((?P<label>[^()\s]+)\)=[ \t]*$")
_MYST_FENCE = re.compile(r"^[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)?(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")  # also `2. ```{tab-set}`
_MYST_OPTION = re.compile(r"^[ \t]*:(?P<key>[A-Za-z][\w-]*):(?:[ \t]+(?P<value>\S.*?))?[ \t]*$")
#: directives whose body is code or data, not markdown (a ``(label)=`` line there is text)
_MYST_CODE_DIRECTIVES = frozenset({"code", "code-block", "code-cell", "sourcecode", "literalinclude", "math",
                                   "mermaid", "csv-table", "raw"})


def myst_targets(text: str) -> list[str]:
    """The explicit targets of a MyST page (Jupyter Book, mystmd, Sphinx with myst-parser): a
    ``(label)=`` line before a heading or block, and the ``:name:`` option of a directive
    (```` ```{code-block} yaml ````, ``:::{figure}``). A ``[text](#label)`` link lands on them; in MyST
    a label is the whole project's, so another page may link it by ``#label`` alone. Lines in
    ordinary code fences are not read; a directive's body is markdown unless it holds code."""
    if ")=" not in text and ":name:" not in text:
        return []
    out: list[str] = []
    fences: list[tuple[str, bool]] = []  # the open fences: (marker, body is markdown)
    options = False  # the lines right after a directive opens are its `:key: value` options
    for line in text.split("\n"):
        m = _MYST_FENCE.match(line)
        if fences and m and not m.group("info").strip():
            marker = fences[-1][0]
            if m.group("fence")[0] == marker[0] and len(m.group("fence")) >= len(marker):
                fences.pop()
                options = False
                continue
        if options:
            option = _MYST_OPTION.match(line)
            if option:
                if option.group("key") == "name" and option.group("value"):
                    out.append(option.group("value"))
                continue
            options = False
        if fences and not fences[-1][1]:
            continue  # inside code
        if m:
            info = m.group("info").strip()
            directive = info.startswith("{") and "}" in info
            if m.group("fence")[0] == ":" and not directive:
                continue  # `:::` without a directive is no fence
            name = info[1:info.find("}")].strip().lower() if directive else ""
            fences.append((m.group("fence"), directive and name not in _MYST_CODE_DIRECTIVES))
            options = directive
            continue
        target = _MYST_TARGET.match(line)
        if target:
            out.append(target.group("label"))
    return out


_TIGHT_ATX = re.compile(r" {0,3}#{1,6}(?=[^#\s])")


def tight_heading_texts(text: str, skip_lines: set[int] | frozenset[int] = frozenset()) -> list[str]:
    """Plain texts of ``####Title`` lines (no space after the #s). CommonMark (GitHub, GitLab, Hugo)
    reads them as text, but Python-Markdown (MkDocs) and Redcarpet or kramdown (Middleman, Jekyll)
    make them headings with ids, so a site built that way has their anchors. Lines in *skip_lines*
    (1-based: code blocks) are not read."""
    out: list[str] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if line.lstrip(" ").startswith("#") and lineno not in skip_lines:
            m = _TIGHT_ATX.match(line)
            if m:
                out.append(heading_text(line[m.end():].strip().rstrip("#").strip()))
    return out


def accepted_anchors(headings: Iterable[Any], slugger: Slugger = DEFAULT) -> set[str]:
    """Every fragment (lower case) that lands on one of these headings; see ``fragment_map``."""
    return set(fragment_map(headings, slugger))


def has_anchor(fragment: str, accepted: set[str] | dict[str, str]) -> bool:
    """Whether a link's fragment lands on a heading (case-insensitively, as every style lower-cases).
    ``#top`` always lands: browsers scroll to the top of the page for it when no element has that id
    (HTML's "indicated part of the document"), so "[Back to top](#top)" is never broken."""
    return fragment in accepted or fragment.lower() in accepted or fragment.lower() == "top"
