"""Citation links: the URL a responder opens for a runbook section.

When a result came through an alert's ``runbook_url``, that URL is the link (the operator wrote it;
it is right for whatever publishes the runbooks). Otherwise ``site.url`` builds the page URL for the
site's layout (``site.layout``, detected when ``auto``):

- ``mkdocs``: ``mkdocs.yml`` read with MkDocs' own config loader (``docs_dir``,
  ``use_directory_urls``), with ``hooks`` and ``plugins`` overridden to nothing so that loading the
  config of an untrusted repository never imports its Python files;
- ``hugo``: ``content/`` (or the config's ``contentDir``), paths lower-cased as Hugo does by default,
  ``_index.md``/``index.md`` as their folder, GitHub-style heading anchors (Goldmark's default);
- ``middleman``: a ``config.rb`` or ``config/tech-docs.yml`` beside ``source/`` (tech-docs-template sites,
  also when a publisher image brings the ``config.rb``): ``source/a/page.html.md.erb``
  (or ``.html.md``, ``.md``) is ``a/page.html``, ``index`` pages their folder;
- ``github`` / ``gitlab``: ``site.url`` is the repository; a blob URL at the indexed commit.

When nothing fits (no layout detected, or the runbook lies outside the site's content folder) the
link is left out and the answer carries one notice instead of a URL that would 404.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from rbh.config import SiteConfig

log = logging.getLogger(__name__)

HUGO_CONFIGS = ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml")


@dataclass(frozen=True)
class SiteLayout:
    kind: str  # mkdocs | hugo | github | gitlab | none
    base: str = ""
    content_dir: str = ""
    directory_urls: bool = True
    lower: bool = False
    reason: str = ""  # why kind is none


def github_anchor(heading: str) -> str:
    from rbh.anchors import github_slug

    return github_slug(heading)


def _mkdocs(root: Path, base: str) -> SiteLayout:
    cfg = root / "mkdocs.yml"
    mk_log = logging.getLogger("mkdocs")
    level = mk_log.level
    mk_log.setLevel(logging.CRITICAL)  # its validation errors become our one notice, not log lines
    try:
        from mkdocs.config import load_config

        # hooks and plugins would import code named by the (untrusted) config: override them
        conf = load_config(str(cfg), hooks=[], plugins=[])
        docs_dir = Path(conf["docs_dir"]).resolve()
        rel = docs_dir.relative_to(root.resolve()).as_posix()
        return SiteLayout("mkdocs", base, "" if rel == "." else rel, bool(conf["use_directory_urls"]))
    except Exception as exc:  # noqa: BLE001 - a broken mkdocs.yml must not break the answer
        log.debug("mkdocs.yml not usable", exc_info=True)
        return SiteLayout("none", base, reason=f"mkdocs.yml could not be read ({type(exc).__name__})")
    finally:
        mk_log.setLevel(level)


def _hugo(root: Path, base: str, content_dir: str | None) -> SiteLayout:
    data: dict[str, Any] = {}
    for name in HUGO_CONFIGS:
        p = root / name
        if not p.is_file():
            continue
        try:
            text = p.read_text(encoding="utf-8", errors="replace")
            if name.endswith(".toml"):
                import tomllib

                data = tomllib.loads(text)
            elif name.endswith(".json"):
                import json

                data = json.loads(text)
            else:
                import yaml

                data = yaml.safe_load(text) or {}
        except Exception:  # noqa: BLE001 - fall back to Hugo's defaults
            data = {}
        break
    if not isinstance(data, dict):
        data = {}
    cdir = content_dir or str(data.get("contentDir") or data.get("contentdir") or "content")
    ugly = bool(data.get("uglyURLs") or data.get("uglyurls"))
    keep_case = bool(data.get("disablePathToLower") or data.get("disablepathtolower"))
    return SiteLayout("hugo", base, cdir.strip("/"), not ugly, lower=not keep_case)


def detect_layout(root: Path, site_url: str | None, layout: str = "auto", content_dir: str | None = None) -> SiteLayout:
    """The layout ``site.url`` follows for the repository at *root*."""
    if not site_url:
        return SiteLayout("none", reason="site.url is not set")
    base = site_url.rstrip("/")
    host = (urlsplit(site_url).hostname or "").lower()
    if layout == "auto":
        if (root / "mkdocs.yml").is_file():
            layout = "mkdocs"
        elif any((root / n).is_file() for n in HUGO_CONFIGS[:4]) or (
                any((root / n).is_file() for n in HUGO_CONFIGS[4:]) and (root / (content_dir or "content")).is_dir()):
            layout = "hugo"
        elif ((root / "config.rb").is_file() or (root / "config" / "tech-docs.yml").is_file()) and (root / "source").is_dir():
            # Middleman: its config.rb, or only a tech-docs config when a publisher image builds the site
            layout = "middleman"
        elif host == "github.com" or host.endswith(".github.com"):
            layout = "github"
        elif "gitlab" in host:
            layout = "gitlab"
        else:
            return SiteLayout("none", base, reason="no mkdocs.yml, Hugo or Middleman config found and site.url is not a "
                                                   "GitHub/GitLab repository (set site.layout)")
    if layout == "mkdocs":
        if not (root / "mkdocs.yml").is_file():
            return SiteLayout("none", base, reason="site.layout is mkdocs but there is no mkdocs.yml")
        return _mkdocs(root, base)
    if layout == "hugo":
        return _hugo(root, base, content_dir)
    if layout == "middleman":
        return SiteLayout("middleman", base, content_dir=content_dir or "source", directory_urls=False)
    return SiteLayout(layout, base)


_LAYOUTS: dict[tuple[Path, str | None, str, str | None], SiteLayout] = {}


class LayoutCache(Protocol):
    """Where a detected layout is kept between runs (``indexer.ask_cache.AskCache``; ``rbh serve``'s
    ``HealthMemo`` keeps none)."""

    def site_layout(self, stamp: str) -> dict[str, Any] | None: ...

    def put_site_layout(self, stamp: str, layout: dict[str, Any]) -> None: ...


def layout_for(root: Path, site: SiteConfig, cache: LayoutCache | None = None) -> SiteLayout:
    """The layout of the site (``site`` in the config) of the repository at *root*; through *cache*
    a cold ``rbh ask`` skips importing MkDocs (about 0.2 s) while the site's config files are unchanged."""
    root = Path(root)
    key = (root, site.url, site.layout, site.content_dir)
    if key in _LAYOUTS:
        return _LAYOUTS[key]
    stamp = _stamp(root, key)
    cached = cache.site_layout(stamp) if cache is not None else None
    if isinstance(cached, dict):
        try:
            _LAYOUTS[key] = SiteLayout(**cached)
            return _LAYOUTS[key]
        except TypeError:
            pass
    _LAYOUTS[key] = detect_layout(root, site.url, site.layout, site.content_dir)
    if cache is not None:
        from dataclasses import asdict

        cache.put_site_layout(stamp, asdict(_LAYOUTS[key]))
    return _LAYOUTS[key]


def _stamp(root: Path, key: tuple[Any, ...]) -> str:
    parts = [repr(key[1:])]
    for name in ("mkdocs.yml", *HUGO_CONFIGS, "config.rb", "config/tech-docs.yml"):
        try:
            st = (root / name).stat()
            parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{name}:-")
    return "|".join(parts)


def page_url(layout: SiteLayout, path: str, anchor: str | None = None, heading: str | None = None,
             commit: str | None = None) -> str | None:
    """The URL of runbook *path* (repository-relative) at *anchor*, or None when the layout has none."""
    if layout.kind in ("github", "gitlab"):
        ref = commit or "HEAD"
        sep = "/-/blob/" if layout.kind == "gitlab" else "/blob/"
        url = f"{layout.base}{sep}{ref}/{quote(path)}"
        frag = github_anchor(heading) if heading else anchor
        return f"{url}#{frag}" if frag else url
    if layout.kind == "middleman":
        return _middleman_url(layout, path, anchor)
    if layout.kind not in ("mkdocs", "hugo") or not path.endswith(".md"):
        return None
    prefix = layout.content_dir + "/" if layout.content_dir else ""
    if not path.startswith(prefix):
        return None
    rel = path[len(prefix):-3]
    if layout.kind == "hugo":
        rel = re.sub(r"\.[a-z]{2}(?:-[a-zA-Z]{2})?$", "", rel)  # multilingual `_index.en.md`, `page.en.md`
    index_names = ("index", "README") if layout.kind == "mkdocs" else ("_index", "index")
    name = rel.rsplit("/", 1)[-1]
    is_index = name in index_names
    if layout.kind == "hugo":
        if layout.lower:
            rel = rel.lower()
        rel = re.sub(r"\s+", "-", rel)
        is_index = name in index_names
    if is_index:
        rel = rel.rsplit("/", 1)[0] if "/" in rel else ""
        page = f"{rel}/" if rel else ""
    elif layout.directory_urls:
        page = f"{rel}/"
    else:
        page = f"{rel}.html"
    url = layout.base + "/" + quote(page)
    frag = anchor if layout.kind == "mkdocs" else (github_anchor(heading) if heading else anchor)
    return f"{url}#{frag}" if frag else url


_MIDDLEMAN_SOURCES = (".html.md.erb", ".html.md", ".html.erb", ".md.erb", ".md")


def _middleman_url(layout: SiteLayout, path: str, anchor: str | None) -> str | None:
    """Middleman builds ``source/a/page.html.md.erb`` (``.html.md``, ``.md``) as ``a/page.html``; an
    ``index`` page is its folder's URL. The anchor is the one rbh computed for the heading."""
    prefix = layout.content_dir + "/" if layout.content_dir else ""
    ext = next((e for e in _MIDDLEMAN_SOURCES if path.endswith(e)), None)
    if ext is None or not path.startswith(prefix):
        return None
    rel = path[len(prefix):-len(ext)]
    if rel == "index" or rel.endswith("/index"):
        page = rel[: -len("index")]
    else:
        page = rel + ".html"
    url = layout.base + "/" + quote(page)
    return f"{url}#{anchor}" if anchor else url


def no_layout_notice(layout: SiteLayout, path: str) -> str:
    if layout.kind == "none":
        return f"site.url is set but no site layout fits: {layout.reason}; links left out"
    return f"site.url ({layout.kind} layout) has no page for {path} (outside '{layout.content_dir}'); link left out"
