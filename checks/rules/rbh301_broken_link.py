"""Broken link: a relative markdown link to a file that does not exist in the repository.

## What it does
Resolves every relative link and image (`[escalation](../escalation.md)`, `![graph](img/p99.png)`)
against the runbook's folder and checks that the file exists (a folder with `index.md` or
`README.md` counts). Links written for the built site count when they name a page: `guide` or
`guide/` for `guide.md`, `guide` or `guide.html` for `guide.md` or a Middleman `guide.html.md.erb` (from the site
root `/guide.html` too, the runbook folder, an MkDocs site's `docs_dir` or a Docusaurus, Hugo, Jekyll or MyST
(`myst.yml`) site's folder being the site's root; `.mdx` pages count like `.md`; a root URL of a static file in the
site's `public/` or `static/` folder counts; `/apps.json` counts for a Middleman template `apps.json.erb`;
`/` is the site's home page), and a folder URL from a page the site serves at `page/` (`../other/` or
`../other` from `docs/a/page.md` is `docs/a/other.md`). `@/images/x.png` (Zola's content-root syntax, also a Hugo
render hook's) names a file under the page's folder or a folder above it. On a Jekyll site
(`_config.yml`), a root URL counts when Jekyll builds it: a page's front matter `permalink:` or
`redirect_from:`, a collection document at its collection's `permalink` (`_docs/a.md` at `/docs/a/`),
a post at `/YYYY/MM/DD/title/`, and `_assets/x.png` at `/assets/x.png` (jekyll-assets' convention).
A link to a URL the site redirects (a tech-docs site's `redirects:` in `config/tech-docs.yml`, the
MkDocs redirects plugin's `redirect_maps`) counts when the redirect reaches a page. Pages the site
generates at build time have no source file and are not checked: on a Middleman site whose
`config.rb` calls `proxy`, links into a folder its Ruby code builds paths in (`"/repos/#{name}.html"`),
and any site URL matching the rule's `generated` option (`{generated: ["/teams/*"]}`, `*` spans folders).
A file other pages paste in with a Jinja `{% include 'partials/x.md' %}` (mkdocs-macros) is read
as part of each of them: its links resolve from each including page's folder. Links that would leave the repository are reported too; external URLs are not fetched, but an
absolute link to this repository's own site (`site.url`, or a `check.runbook_urls.prefixes` URL) that
names a page (`.html`, `.md`, a folder `/`) is checked against the repository like a relative one.

## Why it matters
Runbooks lean on each other ("then follow the database failover runbook"). A dead link in the middle
of a procedure leaves the responder without the next step.

## Example
```markdown
See [the failover runbook](../postgres/failover.md).
```
`runbooks/checkout/db.md:14:5  error  RBH301  link target `../postgres/failover.md` does not exist  (did you mean `../postgres/fail-over.md`)`
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from typing import Iterator
from urllib.parse import unquote

from rbh.checks.rule import Finding, RuleContext, RuleOptions, Severity, page_key, site_url_key
from rbh.checks.suggest import best_match, same_name_nearest
from rbh.paths import safe_relpath

ID = "RBH301"
NAME = "broken-link"
SEVERITY = Severity.error


class Options(RuleOptions):
    # site URL paths of pages the site generates at build time from code or data (Middleman `proxy`
    # pages, pages built from an API): links to them are not checked. `*` spans folders: "/repos/*"
    generated: list[str] = []


def _generated(ctx: RuleContext, url_path: str) -> bool:
    """A site URL of a page the site makes at build time: in the rule's `generated` option, or in a
    folder a Middleman site's Ruby code builds pages in (`RuleContext.generated_prefixes`)."""
    path = "/" + url_path.split("#", 1)[0].split("?", 1)[0].lstrip("/")
    declared = getattr(ctx.options, "generated", [])  # RBH302 resolves links through here with its own options
    return (any(fnmatch.fnmatchcase(path, "/" + g.lstrip("/")) for g in declared)
            or any(path.startswith(p) for p in ctx.generated_prefixes))


def resolve_link(ctx: RuleContext, source: str, target: str) -> tuple[str | None, bool]:
    """(repository path the link names, whether it exists); path None when it leaves the repository."""
    rel, exists = _resolve(ctx, source, target)
    if exists or rel is None or not ctx.site_redirects:
        return rel, exists
    # a page the site redirects (`/manual/error-reporting.html` -> `/manual/sentry.html`): the link
    # reaches the new page, which must exist
    path = unquote(target.split("?", 1)[0])
    tried = [rel] + ([f"{base}/{path.lstrip('/')}" for base in [ctx.runbook_folder, *ctx.site_roots] if base]
                     if path.startswith("/") else [])
    for cand in tried:
        new = ctx.site_redirects.get(_page_key(cand))
        for _ in range(5):  # redirects to redirects (`/apis/x.html` -> `/apps/x.html` -> ...), no cycle
            if new is None or new.startswith(("https://", "http://")):
                break
            page = next((p for p in (new, *(new + ext for ext in _PAGE_SOURCES), f"{new}/index.md") if p in ctx.files), None)
            if page is not None:
                return page, True
            if any(base and new.startswith(base + "/") and _generated(ctx, new[len(base):])
                   for base in [ctx.runbook_folder, *ctx.site_roots]):
                return cand, True  # `/apps/signon.html` -> `/repos/signon.html`, a page the site generates
            new = ctx.site_redirects.get(new)
        if new is not None and new.startswith(("https://", "http://")):
            return cand, True
    return rel, exists


def _content_root_path(ctx: RuleContext, source: str, path: str) -> tuple[str | None, bool]:
    """``@/images/ui/x.png``: a path from a content root, Zola's internal-link syntax, which Hugo sites
    copy with a render hook (kubermatic's docs resolve it under the page's product and release,
    ``content/kubermatic/v2.29/``). No browser or forge reads ``@/``, so the file is looked for under
    the page's folder and each folder above it, up to the repository root."""
    folder = posixpath.dirname(source)
    first = None
    while True:
        rel = safe_relpath(ctx.root, posixpath.join(folder, path)) if folder else safe_relpath(ctx.root, path)
        first = first or rel
        if rel is not None and (rel in ctx.files or rel in ctx.directories or _site_page(ctx, rel) is not None):
            return rel, True
        if not folder:
            return first, False
        folder = posixpath.dirname(folder)


def _page_key(rel: str) -> str:
    """*rel* without its page extension (``source/manual/a.html`` -> ``source/manual/a``), as
    ``RuleContext.site_redirects`` keys pages."""
    return page_key("", rel)


def _resolve(ctx: RuleContext, source: str, target: str) -> tuple[str | None, bool]:
    target = unquote(target.split("?", 1)[0])
    if target.startswith("@/"):
        return _content_root_path(ctx, source, target[2:])
    if target.startswith("/") and not target.strip("/"):
        # `[GOV.UK Developer Docs](/)`: the site's home page, which the repository always has (its
        # root is a folder); it does not leave the repository
        return "", True
    if target.startswith("/"):
        rel = safe_relpath(ctx.root, target.lstrip("/"))
        if rel is not None and rel not in ctx.files:
            # a site-root link from a site that lives in a subfolder (the runbook folder, a
            # Docusaurus or Hugo site's folder): the first base where the page exists
            for base in [ctx.runbook_folder, *ctx.site_roots]:
                alt = safe_relpath(ctx.root, f"{base}/{target.lstrip('/')}") if base else None
                if alt is None:
                    continue
                if alt in ctx.files or alt in ctx.directories or f"{alt.rstrip('/')}.md" in ctx.files:
                    rel = alt
                    break
                if (page := _site_page(ctx, alt)) is not None:
                    # `/recycle-all-nodes.html` on a site built from `source/`: the site's root is
                    # the runbook folder, whose `recycle-all-nodes.html.md.erb` serves that URL
                    return page, True
            else:
                if (static := _static_file(ctx, target.lstrip("/"))) is not None:
                    return static, True
                if (built := ctx.jekyll_urls.get(site_url_key(target))) is not None:
                    return built, True
    else:
        rel = safe_relpath(ctx.root, posixpath.join(posixpath.dirname(source), target))
    if rel is None:
        return None, False
    if rel in ctx.files:
        return rel, True
    if rel in ctx.directories:
        return rel, True  # a folder: the site or the repository view lists it
    if not rel.endswith(".md") and f"{rel.rstrip('/')}.md" in ctx.files:  # MkDocs-style link to a page without extension
        return f"{rel.rstrip('/')}.md", True
    page = _site_page(ctx, rel + "/" if target.endswith("/") else rel)
    if page is None and not target.startswith("/"):
        last = target.rstrip("/").rsplit("/", 1)[-1]
        if target.endswith("/"):
            page = _site_page(ctx, _from_page_url(source, target))
        elif last and "." not in last and ctx.serves_folder_urls:  # `../../ssl/keys`: a page URL, no slash
            page = _site_page(ctx, _from_page_url(source, target + "/"))
    if page is not None:
        return page, True
    return rel, False


# Static site generators publish `guide.md` (or Middleman's `guide.html.md.erb`) as `guide.html` or
# as the folder URL `guide/`; a link written for the site names the page that way.
# MDX pages (Astro Starlight, Docusaurus) are served the same way: `guide.mdx` at `guide/`.
_PAGE_SOURCES = (".md", ".mdx", ".html.md", ".html.md.erb", ".html.erb", ".md.erb")


def _site_page(ctx: RuleContext, rel: str | None) -> str | None:
    """The runbook source a site URL path names (``a/guide.html``, ``a/guide/``), when one exists."""
    if rel is None:
        return None
    base = rel.rstrip("/")
    if base.endswith((".html", ".htm")):
        stem = base.rsplit(".", 1)[0]
        found = [f"{base}.md", f"{base}.md.erb", f"{base}.erb", f"{stem}.md"]
    elif rel.endswith("/"):
        found = [base + ext for ext in _PAGE_SOURCES] + [f"{base}/{name}" for name in ("index.md", "index.mdx", "README.md", "_index.md")]
    elif "." not in base.rsplit("/", 1)[-1]:
        # `guide` without an extension: hosts serve `guide.html` for it (GitHub Pages, Netlify), so a
        # Middleman `guide.html.md.erb` counts like MkDocs' `guide.md`
        found = [base + ext for ext in _PAGE_SOURCES]
    else:
        # `/apps.json`, `document-types.csv`: Middleman builds any `NAME.EXT` from a template source
        # `NAME.EXT.erb` (or another template engine's extension), as it builds `page.html.md.erb`
        found = [base + ext for ext in _TEMPLATE_ENGINES]
    return next((f for f in found if f in ctx.files), None)


# Middleman's template engines: `source/apps.json.erb` is served as `/apps.json`
_TEMPLATE_ENGINES = (".erb", ".haml", ".slim", ".builder")


_STATIC_FOLDERS = ("public", "static")


def _static_file(ctx: RuleContext, path: str) -> str | None:
    """The file a site-root URL names in a static folder the site serves at its root: ``public/``
    (Astro, Vite, Next.js) or ``static/`` (Hugo, Docusaurus) beside the runbook folder or above it
    (``/schemas/a.json`` from ``docs/src/content/docs/`` is ``docs/public/schemas/a.json``)."""
    folder = ctx.runbook_folder
    while True:
        for name in _STATIC_FOLDERS:
            rel = safe_relpath(ctx.root, posixpath.join(folder, name, path))
            if rel is not None and rel in ctx.files:
                return rel
        if not folder:
            return None
        folder = posixpath.dirname(folder)


def _from_page_url(source: str, target: str) -> str | None:
    """*target* resolved from the folder URL the site gives *source* (``a/guide.md`` is served at
    ``a/guide/``, so ``../other/`` there means ``a/other/``); index pages are served at their folder."""
    folder = posixpath.dirname(source)
    name = posixpath.basename(source).split(".", 1)[0]
    if name.lower() not in ("index", "readme", "_index"):
        folder = posixpath.join(folder, name)
    joined = posixpath.normpath(posixpath.join(folder, target))
    return None if joined.startswith("..") else joined + "/"


# `[Slack](acme.slack.com)`, `[docs](www.example.org/guide)`: a web address written without its scheme,
# which the browser reads as a relative link; the suggestion is the URL the author meant
_HOST_LINK = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|dev|app|cloud|gov|edu|co|us|uk|de|fr|eu|ai)(?:[:/?#]|$)",
                        re.I)


def _from_repository_root(ctx: RuleContext, target: str) -> str | None:
    """The file a broken relative link names when read from the repository root, the way a README
    at the root would: `cluster/terraform_kubernetes/variables.tf` written in `documentation/x.md`
    (also with Windows separators, `cluster\\terraform\\x.tf`). That is the file meant."""
    path = unquote(target.split("#", 1)[0]).replace("\\", "/").removeprefix("./")
    if not path or path.startswith(("/", "../")):
        return None
    rel = safe_relpath(ctx.root, path)
    return rel if rel is not None and rel in ctx.files else None


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def check(ctx: RuleContext) -> Iterator[Finding]:
    yield from _relative_links(ctx)
    yield from _own_site_links(ctx)


def _own_site_links(ctx: RuleContext) -> Iterator[Finding]:
    """Absolute links to this repository's own published site (``site.url`` or a
    ``check.runbook_urls.prefixes`` URL) are links to its pages too: a page moved or deleted leaves
    them dead exactly like a relative link. Only URLs that name a page (``.html``, ``.md`` or a
    folder ``/``) and match no file of the repository are reported."""
    resolver = ctx.url_resolver
    if not resolver.prefixes:
        return
    # every file by its path without extensions (`source/about.html.erb` -> `source/about`): a page of
    # the site that is not a runbook still exists
    stems = {posixpath.join(posixpath.dirname(f), posixpath.basename(f).split(".", 1)[0]) for f in ctx.files}
    for rb in ctx.runbooks:
        for link in rb.links:
            url = link.target
            if link.kind not in ("inline", "reference") or not url.startswith(("https://", "http://")) or "{{" in url:
                continue
            path = url.split("#", 1)[0].split("?", 1)[0]
            if not path.endswith((".html", ".md", "/")):
                continue
            res = resolver.resolve(url)
            if not res.managed or res.found is not None or not res.candidates:
                continue
            site_path = "/" + url.split("://", 1)[-1].split("/", 1)[-1] if url.count("/") > 2 else "/"
            if _generated(ctx, site_path):
                continue
            page = res.candidates[0].rsplit(".", 1)[0]  # `source/network.md` for `.../network/`
            if any(c in ctx.files for c in res.candidates) or page in stems or page in ctx.directories:
                continue  # a page that is not a runbook (an index, a template, a page the globs leave out)
            yield ctx.finding(rb.path, link.line, link.column,
                              f"link `{url}` names a page of this site that no file provides "
                              f"(looked for {', '.join(f'`{c}`' for c in res.candidates[:2])})",
                              reference=f"link/{url}", strength="prose")


def _relative_links(ctx: RuleContext) -> Iterator[Finding]:
    for rb in ctx.runbooks:
        labels = {link.text.lower(): link.text for link in rb.links if link.kind == "reference"}
        for ref in ctx.refs(rb, "link"):
            if not ref.name:
                continue
            # a fragment other pages include (`{% include 'partials/x.md' %}`) links from each of them
            source, rel, exists = rb.path, None, True
            for source in ctx.link_sources(rb.path):
                rel, exists = resolve_link(ctx, source, ref.name)
                if not exists:
                    break
            if exists or (ref.name.startswith("/") and _generated(ctx, ref.name)):
                continue
            via = f" from `{source}`, which includes this file" if source != rb.path else ""
            label = labels.get(ref.name.lower())
            if label is not None:
                # `[Loki Labels](loki-labels)` beside `[loki-labels]: https://...`: the page defines that
                # label, so the link was meant as a reference link; as written it names a missing file
                yield ctx.finding(rb.path, ref.line, ref.column, f"link target `{ref.name}` does not exist",
                                  suggestion=f"[...][{label}]", suggestion_source="the page defines that reference label",
                                  reference=f"link/{ref.name}", strength=ref.strength)
                continue
            if rel is None:
                yield ctx.finding(rb.path, ref.line, ref.column, f"link target `{ref.name}` points outside the repository",
                                  reference=f"link/{ref.name}", strength=ref.strength)
                continue
            if _HOST_LINK.match(ref.name) and not ref.name.startswith("."):
                yield ctx.finding(rb.path, ref.line, ref.column,
                                  f"link target `{ref.name}` does not exist: without `https://` a web address is a relative link",
                                  suggestion=f"https://{ref.text or ref.name}", reference=f"link/{ref.name}",
                                  strength=ref.strength)
                continue
            ext = rel.rsplit(".", 1)[-1] if "." in rel.rsplit("/", 1)[-1] else ""
            pool = [f for f in ctx.files if f.endswith("." + ext)] if ext else list(ctx.files)
            # the calibrated rule of every "did you mean": file names compared (not whole paths, whose
            # shared folders made unrelated files look alike), never an index page; nearer folders win
            stem = rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            same_folder = [f for f in pool if f.rsplit("/", 1)[0] == rel.rsplit("/", 1)[0]]
            best = (_from_repository_root(ctx, ref.name) or same_name_nearest(rel, source, pool)
                    or best_match(stem, same_folder, key=_stem)
                    or best_match(stem, pool, key=_stem))
            suggestion = posixpath.relpath(best, posixpath.dirname(source) or ".") if best else None
            written = ref.text.partition("#")[0] if ref.text and "{" in ref.text else ref.name  # as the page has it
            yield ctx.finding(rb.path, ref.line, ref.column, f"link target `{written}` does not exist{via}",
                              suggestion=suggestion, reference=f"link/{ref.name}", strength=ref.strength)
