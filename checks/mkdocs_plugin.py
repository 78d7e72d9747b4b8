"""MkDocs plugin ``rbh-health``: health banners on runbook pages, a health dashboard and an alert index.

Add it to any ``mkdocs.yml`` in one line (``plugins: [search, rbh-health]``). Once per build it runs the
staleness checks over the repository that holds ``mkdocs.yml`` and then

* puts a banner at the top of every runbook page: healthy or its findings (severity, message,
  suggestion, link to the line), owner, service, alerts it answers, last change and last review;
* generates a "Runbook health" dashboard page, an alert index page and a "Checks" page (every
  check's documentation, from the rule docstrings);
* ships its own small CSS and JavaScript (no external scripts).

A bad runbook never crashes the build: whatever fails is logged as a warning and the banners say
"health unknown". Set ``fail_on_error: true`` to fail the build when runbooks have error findings.

The HTML comes from Jinja templates (``rbh-health/banner.html``, ``dashboard.html``, ``alerts.html``,
``trend.html``, see :mod:`rbh.checks.site_templates`) looked up in the theme's folders first: a team
restyles them from its ``custom_dir``. Under ``mkdocs serve`` the plugin watches the manifests,
``rbh.yaml`` and the baseline, and reuses the check results of the last build while nothing they
depend on changed.

Runbooks are untrusted (anyone who can open a pull request writes them), so the plugin also
* publishes only the repository: a docs file whose real path leaves the repository (a symlink to
  ``/proc/self/environ``, ``~/.aws/credentials``) or lies in ``.git`` is dropped with a warning, so it
  reaches neither the site nor ``search_index.json`` (and ``fail_on_error`` fails the build);
* sanitises the HTML every docs page renders to with nh3: no script, event handlers, ``javascript:``
  links, frames, forms or style elements. ``allow_tags``, ``allow_attributes`` and
  ``allow_url_schemes`` extend the allow-list; ``sanitize: false`` turns it off for trusted repositories;
* escapes page, nav and table-of-contents titles, which the themes print as HTML.

Options (all optional)::

    plugins:
      - search
      - rbh-health:
          enabled: true            # false: the plugin does nothing
          repo: .                  # runbook repository, relative to mkdocs.yml (default: its folder)
          runbooks: [runbooks/**/*.md]   # override rbh.yaml's runbook globs (repository-relative)
          manifests: [deploy/**/*.yaml]  # override rbh.yaml's manifest globs
          exclude: [drafts/**]     # docs-relative pages that get no banner and stay off the dashboard
          fail_on_error: false     # true: the build fails when a runbook has an error finding
          banner: true
          dashboard_page: health.md  # generated page; '' turns it off
          alerts_page: alerts.md     # generated page; '' turns it off
          checks_page: checks.md     # generated page: every check's documentation; '' turns it off
          source_link: https://git.example.com/ops/runbooks/blob/main/{path}#L{line}  # http(s) only
          assets: true             # false: bring your own CSS/JS for the banner and tables
          sanitize: true           # false: publish runbook HTML as written (trusted authors only)
          allow_tags: [video]      # more HTML tags runbooks may use (never script, style, iframe, form ...)
          allow_attributes: {video: [src, controls], "*": [data-team]}  # more attributes ("*": any tag)
          allow_url_schemes: [ssh] # more link schemes (never javascript:, vbscript: or data:)
          show_known: true         # false: findings in the CI baseline are hidden (counted as suppressed)
          show_owner: auto         # auto: owner notices only when some runbook sets an owner; always | never
          show_review: auto        # auto: review notices only when some runbook sets last_reviewed/review_every
          trend: true              # the dashboard's "Health over time" chart (checks at past commits)
          trend_weeks: 12          # window of the chart
          trend_points: 12         # at most this many commits are checked (sampled when history is long)
          trend_per_owner: true    # one small chart per owner (when runbooks have owners)

The generated pages (dashboard, alert index, checks) are kept out of the site's search index, and
each runbook's search entry carries its alerts and service as keywords (Material's ``tags`` field,
boosted by its search): typing an alert name finds the runbook that answers it first.

Without ``source_link``, finding locations link to the repository when MkDocs' ``repo_url`` and
``edit_uri`` look like GitHub's or GitLab's, else they show as ``path:line``. Which files are runbooks,
the rules and their options come from ``rbh.yaml``, exactly as for ``rbh check``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

from rbh.checks.model import CheckResult, Finding, Severity
from rbh.anchors import fragment_map  # anchors have one home, shared with RBH203 and rbh ask
from rbh.checks.site_render import (
    AlertLink,
    AlertRow,
    HtmlPolicy,
    RunbookHealth,
    alerts_html,
    banner_html,
    dashboard_html,
    insert_banner,
    plain_title,
    safe_href,
    sanitize_html,
    trend_html,
)
from rbh.checks.site_templates import SiteTemplates
from rbh.paths import glob_match

# MkDocs' plugin logger, named after the plugin as mkdocs.yml names it: lines read "rbh-health: ..."
log = get_plugin_logger("rbh-health")

ASSET_DIR = Path(__file__).with_name("site_assets")
ASSETS = {"css": "assets/rbh-health/rbh-health.css", "js": "assets/rbh-health/rbh-health.js"}


class RunbookHealthConfig(base.Config):
    """Options under ``plugins: - rbh-health:`` in ``mkdocs.yml``."""

    enabled = c.Type(bool, default=True)
    repo = c.Optional(c.Type(str))  # runbook repository; default: the one holding mkdocs.yml
    runbooks = c.Optional(c.ListOfItems(c.Type(str)))  # repository globs; default: rbh.yaml's
    manifests = c.Optional(c.ListOfItems(c.Type(str)))  # repository globs; default: rbh.yaml's
    exclude = c.ListOfItems(c.Type(str), default=[])  # docs-relative globs: pages without a banner
    fail_on_error = c.Type(bool, default=False)
    banner = c.Type(bool, default=True)
    dashboard_page = c.Type(str, default="health.md")  # "" turns the page off
    alerts_page = c.Type(str, default="alerts.md")  # "" turns the page off
    checks_page = c.Type(str, default="checks.md")  # "" turns the page off
    source_link = c.Optional(c.Type(str))  # e.g. https://git.example.com/ops/runbooks/blob/main/{path}#L{line}
    assets = c.Type(bool, default=True)
    sanitize = c.Type(bool, default=True)  # nh3 over every docs page's HTML
    allow_tags = c.ListOfItems(c.Type(str), default=[])
    allow_attributes = c.DictOfItems(c.ListOfItems(c.Type(str)), default={})
    allow_url_schemes = c.ListOfItems(c.Type(str), default=[])
    show_known = c.Type(bool, default=True)
    show_owner = c.Choice(("auto", "always", "never"), default="auto")
    show_review = c.Choice(("auto", "always", "never"), default="auto")
    trend = c.Type(bool, default=True)
    trend_weeks = c.Type(int, default=12)
    trend_points = c.Type(int, default=12)
    trend_per_owner = c.Type(bool, default=True)


@dataclass
class _Alert:
    name: str
    severity: str | None
    runbook_url: str | None
    source: str | None


def today() -> dt.date:
    """The build date; ``SOURCE_DATE_EPOCH`` pins it for reproducible builds (and tests)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.datetime.now(dt.timezone.utc).date()


def source_link_template(repo_url: str | None, edit_uri: str | None, explicit: str | None) -> str | None:
    """A ``{path}``/``{line}`` URL template for a file's line in the repository's web UI, when known.

    Derived from MkDocs' ``repo_url`` + ``edit_uri`` for GitHub-style (``edit|blob/<ref>/``) and
    GitLab-style (``-/edit|blob/<ref>/``) hosts; ``source_link`` overrides.
    """
    if explicit:
        return explicit if safe_href(explicit.replace("{path}", "p").replace("{line}", "1")) else None
    if not repo_url or not edit_uri:
        return None
    m = re.match(r"^/?(-/)?(?:edit|blob)/([^/?#]+)/", edit_uri)
    if not m:
        return None
    return f"{repo_url.rstrip('/')}/{m.group(1) or ''}blob/{m.group(2)}/{{path}}#L{{line}}"


MAX_DOCS_FOLDERS = 50_000


def folder_links(docs_dir: Path, boundary: Path) -> list[str]:
    """Folder links under *docs_dir* that MkDocs must not follow: out of *boundary*, or into a folder
    on their own path (a loop). Walks without following links out or round, so it always ends."""
    problems: list[str] = []
    root = Path(os.path.abspath(docs_dir))
    stack: list[tuple[Path, tuple[Path, ...]]] = [(root, ())]
    seen: set[Path] = set()
    while stack:
        folder, chain = stack.pop()
        real = Path(os.path.realpath(folder))
        rel = folder.relative_to(root).as_posix()
        if not real.is_relative_to(boundary):
            if not chain:  # docs_dir itself: a mkdocs.yml kept outside the runbook repository, not a link
                problems.append(f"docs_dir {root} is outside the repository {boundary}; keep mkdocs.yml in the "
                                "runbook repository or name it with the plugin's `repo` option")
                break
            problems.append(f"docs folder {rel} links outside the repository")
            continue
        if real in chain:
            problems.append(f"docs folder {rel} links back to a folder above it (a loop)")
            continue
        if real in seen:  # the same folder reached again through another link: walked once is enough
            continue
        seen.add(real)
        if len(seen) > MAX_DOCS_FOLDERS:
            problems.append(f"more than {MAX_DOCS_FOLDERS:,} folders under the docs folder")
            break
        try:
            with os.scandir(folder) as entries:
                subdirs = [Path(e.path) for e in entries if e.is_dir(follow_symlinks=True)]
        except OSError:
            continue
        stack.extend((d, chain + (real,)) for d in sorted(subdirs, reverse=True))
    return problems


def section_anchor(runbook, fragment: str) -> str | None:
    """The site anchor of the heading a ``runbook_url`` ``#fragment`` names, as RBH203 accepts it
    (MkDocs, GitHub or GitLab style, duplicates included, any letter case: ``rbh.anchors``)."""
    return fragment_map(runbook.headings).get(fragment.lower())


def inventory_alerts(inventory: object) -> list[_Alert]:
    """Alert rules of the checks inventory (``checks.inventory.Inventory.alerts``)."""
    out = []
    for a in getattr(inventory, "alerts", None) or []:
        loc = getattr(a, "loc", None)
        source = f"{loc.path}:{loc.line}" if loc is not None else None
        out.append(_Alert(a.name, a.severity, a.runbook_url, source))
    return out


class RunbookHealthPlugin(BasePlugin[RunbookHealthConfig]):
    """Health banners, dashboard and alert index for a MkDocs site of runbooks."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.project = None
        self.docs_prefix: str | None = None  # docs_dir relative to the repository root ("runbooks")
        self.link_template: str | None = None
        self.result: CheckResult | None = None
        self.checks_ran = False
        self.health: dict[str, RunbookHealth] = {}  # repository path -> health
        self.alerts: list[_Alert] = []
        self.alert_runbooks: dict[str, list[str]] = {}  # alert name -> repository paths answering it
        self.url_states: dict[str, str] = {}  # alert name -> ok | broken | external (see AlertRow)
        self.url_anchors: dict[tuple[str, str], str] = {}  # (alert, runbook path) -> existing anchor its runbook_url names
        self.site_url: str | None = None
        self.generated: dict[str, str] = {}  # src_uri -> "dashboard" | "alerts"
        self.keywords: dict[str, list[str]] = {}  # page url -> alerts and services, for the search index
        self.checked_at: str | None = None  # "commit 1a2b3c4d (2026-11-20)", shown under each runbook
        self.boundary: Path | None = None  # the repository's real path: nothing outside it is published
        self.content_dirs: set[Path] = set()
        self.unpublished: list[str] = []  # docs files dropped because their real path leaves the repository
        self.cleaner = None  # nh3.Cleaner for runbook HTML (None: sanitising is off)
        self.show_owner = True
        self.show_review = True
        self.trend: dict | None = None  # checks.trend.Trend.as_dict(), for the dashboard's chart
        self.trend_cache: dict = {}  # commit -> point, kept across `mkdocs serve` rebuilds
        self.config_overrides: dict = {}
        self.templates: SiteTemplates | None = None  # the theme's rbh-health/*.html first, then ours
        self.config_file: str | None = None  # mkdocs.yml (its toc.slugify decides anchors)
        self.checks_cache: tuple[str, CheckResult] | None = None  # (repository state key, result) of the last run
        self.serving = False  # within `mkdocs serve`: results are reused across rebuilds
        self.cached_for: tuple | None = None  # (repository, plugin overrides) the caches hold results for

    # MkDocs keeps a plugin that has on_startup for the whole process (its rebuilds under `mkdocs serve`
    # and any build after), so the caches live only while serving and are emptied on any other build.
    def on_startup(self, *, command, dirty) -> None:
        """``mkdocs serve`` rebuilds reuse check results and trend points while nothing they depend on changed."""
        self.serving = command == "serve"
        self._forget()

    def on_shutdown(self) -> None:
        self.serving = False
        self._forget()

    def _forget(self) -> None:
        self.checks_cache, self.trend_cache, self.cached_for = None, {}, None

    # ------------------------------------------------------------------------------ config

    def on_config(self, config):
        if not self.config.enabled:
            return config
        from rbh.config import Globs
        from rbh.errors import RbhError
        from rbh.project import load_project

        base_dir = Path(config.config_file_path or ".").resolve().parent
        repo_dir = (base_dir / self.config.repo).resolve() if self.config.repo else base_dir
        self.project = None
        self.config_overrides = {}
        try:
            project = load_project(repo_dir, require_git=False)
            overrides = {}
            if self.config.runbooks:
                overrides["runbooks"] = Globs(include=list(self.config.runbooks))
            if self.config.manifests:
                overrides["manifests"] = Globs(include=list(self.config.manifests))
            if overrides:
                project.config = project.config.model_copy(update=overrides)
            self.config_overrides = overrides
            self.project = project
        except RbhError as exc:
            log.warning(f"cannot load the runbook repository {repo_dir}: {exc}; banners will say 'health unknown'")
        self.docs_prefix = None
        if self.project is not None:
            try:
                rel = Path(config.docs_dir).resolve().relative_to(self.project.root.resolve())
                self.docs_prefix = rel.as_posix() if rel.parts else ""
            except ValueError:
                log.warning(f"docs_dir {config.docs_dir} is outside the repository {self.project.root}; no banners")
        self.boundary = Path(os.path.realpath(self.project.root if self.project is not None else repo_dir))
        # where repository files come from: the docs and the repository (a theme custom_dir in it),
        # as written and as resolved
        self.content_dirs = {Path(os.path.abspath(d)) for d in (config.docs_dir, repo_dir, self.boundary)}
        # MkDocs walks docs_dir following every link, before any plugin sees a file: a folder link
        # out of the repository (to /) or back up the tree (a loop) would hang the build
        problems = folder_links(Path(config.docs_dir), self.boundary)
        if problems:
            hint = "" if problems[0].startswith("docs_dir ") else " (remove the link; rbh publishes only the repository)"
            raise PluginError(f"rbh-health: {problems[0]}{hint}"
                              + (f"; {len(problems) - 1} more" if len(problems) > 1 else ""))
        self.site_url = config.site_url
        self.config_file = config.config_file_path
        scope = (str(self.boundary), repr(self.config_overrides))
        if not self.serving or scope != self.cached_for:
            self._forget()
            self.cached_for = scope
        self.templates = self._load_templates(config)
        if self.config.source_link and source_link_template(None, None, self.config.source_link) is None:
            log.warning(f"source_link {self.config.source_link!r} is not an http(s) URL template; finding "
                        "locations will not be linked")
        self.link_template = source_link_template(config.repo_url, config.edit_uri, self.config.source_link)
        self.cleaner = None
        if self.config.sanitize:
            try:
                policy = HtmlPolicy.extended(self.config.allow_tags, self.config.allow_attributes,
                                             self.config.allow_url_schemes)
            except ValueError as exc:
                raise PluginError(f"rbh-health: {exc}") from None
            self.cleaner = policy.cleaner()
        if self.config.assets:
            if ASSETS["css"] not in config.extra_css:
                config.extra_css.append(ASSETS["css"])
            if ASSETS["js"] not in [str(s) for s in config.extra_javascript]:
                config.extra_javascript.append(ASSETS["js"])
        return config

    def _load_templates(self, config) -> SiteTemplates:
        """The site's templates: the theme's folders (``custom_dir`` first) override ours. Each one is
        compiled here, so a broken override fails the build once, with its name and line, instead of
        costing every page its banner."""
        import jinja2

        templates = SiteTemplates(config.theme.dirs)
        for name in ("banner.html", "dashboard.html", "alerts.html", "trend.html", "macros.html", "health.md",
                     "alerts.md", "checks.md"):
            try:
                source = templates.source(name)
            except jinja2.TemplateSyntaxError as exc:
                raise PluginError(f"rbh-health: template {exc.filename or exc.name}, line {exc.lineno}: {exc.message}") from None
            if source and not Path(source).is_relative_to(Path(__file__).parent):
                log.info(f"rbh-health/{name} from {source}")
        return templates

    def on_serve(self, server, *, config, builder):
        """``mkdocs serve`` rebuilds when a manifest, ``rbh.yaml`` or the baseline changes, not only
        the docs: the banners depend on them."""
        if self.config.enabled:
            from rbh.checks.site_serve import watched_paths

            for path in watched_paths(self.project) if self.project is not None else []:
                server.watch(path)
        return server

    # ------------------------------------------------------------------------------ files

    def on_files(self, files: Files, *, config) -> Files:
        if not self.config.enabled:
            return files
        self.unpublished = []
        for f in list(files):
            if f.generated_by or f.abs_src_path is None:
                continue
            reason = self._outside(f.abs_src_path)
            if reason:
                files.remove(f)
                self.unpublished.append(f.src_uri)
                log.warning(f"{f.src_uri}: {reason}; not published (rbh publishes only files of the repository)")
        self._run_checks()
        self.generated = {}
        self.keywords = {}
        for kind, name in (("dashboard", self.config.dashboard_page), ("alerts", self.config.alerts_page),
                           ("checks", self.config.checks_page)):
            if not name:
                continue
            if files.get_file_from_path(name) is not None:
                log.warning(f"{name} exists in the docs; not generating the {kind} page (set {kind}_page to another name)")
                continue
            files.append(File.generated(config, name, content=self._page_markdown(kind)))
            self.generated[name] = kind
        self.trend = None
        if self.config.trend and self.generated and "dashboard" in self.generated.values():
            self._compute_trend()
        if self.config.assets:
            for key, uri in ASSETS.items():
                if files.get_file_from_path(uri) is None:
                    files.append(File.generated(config, uri, abs_src_path=str(ASSET_DIR / f"rbh-health.{key}")))
        return files

    def _outside(self, path: str) -> str | None:
        """Why the file at *path* must not be published (its real path leaves the repository), or None."""
        if self.boundary is None:
            return None
        lexical = Path(os.path.abspath(path))
        if not any(lexical.is_relative_to(d) for d in self.content_dirs):
            return None  # a file of an installed theme or plugin, not of the repository
        real = Path(os.path.realpath(path))
        try:
            rel = real.relative_to(self.boundary)
        except ValueError:
            return "its real path is outside the repository"
        if rel.parts and rel.parts[0] == ".git":
            return "its real path is inside .git"
        return None

    def _compute_trend(self) -> None:
        """Health at past commits for the dashboard chart; a failure costs the chart, never the build."""
        if self.project is None or self.project.repo is None:
            return
        from rbh.checks.trend import compute_trend

        try:
            trend = compute_trend(self.project.root, weeks=self.config.trend_weeks, max_points=self.config.trend_points,
                                  config_update=self.config_overrides or None, cache=self.trend_cache,
                                  fallback_config=self.project.config)
        except Exception as exc:  # noqa: BLE001
            log.warning(f"cannot compute health over time ({type(exc).__name__}: {exc}); no chart this build")
            return
        self.trend = trend.as_dict()
        log.info(f"health over time: {len(trend.points)} points ({trend.bucket})")

    def _page_markdown(self, kind: str) -> str:
        """The markdown of a generated page (``rbh-health/health.md``, ``alerts.md``, ``checks.md``): its
        title, front matter and intro. Their front matter keeps the pages out of MkDocs' and Material's
        search; on_post_build also filters the index for search plugins that do not read it."""
        from markupsafe import Markup

        from rbh.checks.site_templates import default_templates

        name = {"checks": "checks.md", "dashboard": "health.md"}.get(kind, "alerts.md")
        context = {}
        if kind == "checks":
            from rbh.checks.ruledocs import catalog_markdown

            # our own rule docstrings, markdown as written (escaping would show "&lt;" in code)
            context["catalog"] = Markup(catalog_markdown())
        try:
            return (self.templates or default_templates()).render(name, **context)
        except Exception as exc:  # noqa: BLE001 - a team's template that fails costs its text, not the build
            log.warning(f"cannot render rbh-health/{name} ({type(exc).__name__}: {exc}); using rbh's own")
            return default_templates().render(name, **context)

    def _run_checks(self) -> None:
        """Run the checks once for this build and index the result by runbook."""
        self.result, self.checks_ran, self.checked_at = None, False, None
        self.health, self.alerts, self.alert_runbooks, self.url_states, self.url_anchors = {}, [], {}, {}, {}
        if self.project is None:
            return
        key = self._state_key() if self.serving else None
        try:
            if key is not None and self.checks_cache is not None and self.checks_cache[0] == key:
                self.result = self.checks_cache[1]
                log.info("runbooks, manifests and config unchanged since the last build: check results reused")
            else:
                self.checks_cache = None
                self.result = _run_engine(self.project)
                if key is not None:
                    self.checks_cache = (key, self.result)
            self.checks_ran = True
        except Exception as exc:  # noqa: BLE001 - a bad runbook or manifest must never take the site down
            log.warning(f"the health checks failed ({type(exc).__name__}: {exc}); banners will say 'health unknown'")
            try:
                self.result = CheckResult(findings=[], runbooks=self.project.load_runbooks())
            except Exception as exc2:  # noqa: BLE001
                log.warning(f"cannot read the runbooks either ({type(exc2).__name__}: {exc2})")
                return
        for note in self.result.notices:
            log.info(note)
        try:
            self.checked_at = _checked_at(self.project)
            self._index_result()
        except Exception as exc:  # noqa: BLE001 - same promise: the site still builds
            log.warning(f"cannot index the check results ({type(exc).__name__}: {exc}); no banners this build")
            self.health = {}
            return
        errors = sum(1 for h in self.health.values() if h.status == "error")
        warnings = sum(1 for h in self.health.values() if h.status == "warning")
        log.info(f"{len(self.health)} runbooks checked: {errors} stale, {warnings} with warnings")

    def _state_key(self) -> str | None:
        """The key of what the check results depend on (``checks.site_serve.results_key``); None: run the checks."""
        from rbh.checks.site_serve import results_key

        try:
            return results_key(self.project, today=today(), extra_files=(self.config_file,))
        except Exception as exc:  # noqa: BLE001 - no key only costs the reuse
            log.debug(f"no state key ({type(exc).__name__}: {exc}); the checks run")
            return None

    def _index_result(self) -> None:
        result, now = self.result, today()
        self.alerts = inventory_alerts(result.inventory)
        defined = {a.name: a for a in self.alerts}
        resolver = self._url_resolver([rb.path for rb in result.runbooks])
        by_path = {rb.path: rb for rb in result.runbooks}
        # RBH203's verdicts on anchors, so the index and `rbh check` never disagree
        missing_anchor = {f.reference for f in result.findings if f.rule == "RBH203" and (f.reference or "").endswith("#")}
        for a in self.alerts:
            if not a.runbook_url:
                continue
            res = resolver.resolve(a.runbook_url)
            if res.found:
                self.url_states[a.name] = "ok"
                self.alert_runbooks.setdefault(a.name, []).append(res.found)
                if res.anchor and not res.templated and res.found in by_path:
                    target = section_anchor(by_path[res.found], res.anchor)
                    if target is None or f"runbook_url/{a.name}#" in missing_anchor:
                        self.url_states[a.name] = "broken"
                    else:
                        self.url_anchors[(a.name, res.found)] = target
            else:
                self.url_states[a.name] = "broken" if res.managed else "external"
        for rb in result.runbooks:
            fm = rb.front_matter
            for name in fm.alerts:
                if rb.path not in self.alert_runbooks.setdefault(name, []):
                    self.alert_runbooks[name].append(rb.path)
        answers: dict[str, list[str]] = {}
        for name, paths in self.alert_runbooks.items():
            for p in paths:
                answers.setdefault(p, []).append(name)
        have_inventory = result.inventory is not None
        default_days = self._default_review_days()
        # quiet by default: owner and review notices only where the repository uses those fields
        used_owner = any(rb.front_matter.owners for rb in result.runbooks)
        used_review = any(rb.front_matter.last_reviewed or rb.front_matter.review_every for rb in result.runbooks)
        self.show_owner = {"always": True, "never": False}.get(self.config.show_owner, used_owner)
        self.show_review = {"always": True, "never": False}.get(self.config.show_review, used_review)
        for rb in result.runbooks:
            fm = rb.front_matter
            findings = sorted((f for f in result.findings if f.path == rb.path), key=lambda f: (f.line, f.column, f.rule))
            active = [f for f in findings if not f.suppressed]
            known = [f for f in findings if f.suppressed == "baseline"] if self.config.show_known else []
            names = list(dict.fromkeys(list(fm.alerts) + answers.get(rb.path, [])))
            due = fm.review_due(default_days)
            self.health[rb.path] = RunbookHealth(
                path=rb.path,
                title=rb.title,
                findings=active,
                known=known,
                suppressed=len(findings) - len(active) - len(known),
                owners=list(dict.fromkeys(fm.owners)),
                services=list(fm.service),
                alerts=[
                    AlertLink(n, defined[n].severity if n in defined else None, n in defined or not have_inventory)
                    for n in names
                ],
                dashboards=list(fm.dashboards),
                last_change=rb.git,
                last_reviewed=fm.last_reviewed,
                review_due=due,
                today=now,
                checks_ran=self.checks_ran,
                show_owner=self.show_owner,
                show_review=self.show_review,
            )

    def _default_review_days(self) -> int | None:
        """The review interval of runbooks that declare none: RBH401's, so banner and ``rbh check`` agree."""
        from rbh.checks.api import default_review_days

        return default_review_days(self.project.config)

    def _url_resolver(self, runbook_paths: list[str]):
        """The checks' runbook_url resolver, as the rules build it; MkDocs' site_url when rbh.yaml has none."""
        from rbh.runbook_urls import resolver_for

        return resolver_for(self.project.config, runbook_paths, site_url=self.site_url,
                            default_folder=self.docs_prefix or "")[0]

    # ------------------------------------------------------------------------------ pages

    def _repo_path(self, page) -> str | None:
        if self.docs_prefix is None or page.file.generated_by:
            return None
        src = page.file.src_uri
        return f"{self.docs_prefix}/{src}" if self.docs_prefix else src

    def _page_url(self, files: Files, src_uri: str, page) -> str | None:
        f = files.get_file_from_path(src_uri)
        return get_relative_url(f.url, page.url) if f is not None else None

    def _excluded(self, src_uri: str) -> bool:
        return any(glob_match(src_uri, g) for g in self.config.exclude)

    def _src_uri(self, repo_path: str) -> str | None:
        if self.docs_prefix is None:
            return None
        if not self.docs_prefix:
            return repo_path
        prefix = self.docs_prefix + "/"
        return repo_path[len(prefix):] if repo_path.startswith(prefix) else None

    def on_page_read_source(self, *, page, config) -> str | None:
        """Read runbooks MkDocs itself would choke on (bytes that are not UTF-8) instead of failing the build."""
        if not self.config.enabled or page.file.generated_by or page.file.abs_src_path is None:
            return None
        data = Path(page.file.abs_src_path).read_bytes()
        try:
            data.decode("utf-8-sig")
            return None  # MkDocs reads it as usual
        except UnicodeDecodeError:
            from rbh.runbook import decode

            text, problems = decode(data)
            log.warning(f"{page.file.src_uri}: {problems[0].message if problems else 'unreadable'}; published as far as readable")
            return text or ""

    def on_page_content(self, html: str, *, page, config, files: Files) -> str:
        if not self.config.enabled:
            return html
        if not page.file.generated_by:
            html = self._untrusted_page(html, page)
        try:
            kind = self.generated.get(page.file.src_uri) if page.file.generated_by else None
            if kind == "dashboard":
                chart = trend_html(self.trend, per_owner=self.config.trend_per_owner and self.show_owner,
                                   templates=self.templates) if self.trend else ""
                return html + chart + dashboard_html(self._dashboard_rows(page, files), notices=self._notices(),
                                                     show_owner=self.show_owner, show_review=self.show_review,
                                                     templates=self.templates)
            if kind == "alerts":
                return html + alerts_html(self._alert_rows(page, files), notices=self._notices(alerts=True),
                                          templates=self.templates)
            path = self._repo_path(page)
            if not self.config.banner or path is None or self._excluded(page.file.src_uri):
                return html
            health = self.health.get(path)
            if health is None:
                if self.project is None or not self.checks_ran:
                    health = RunbookHealth(path=path, title=page.title or path, checks_ran=False)
                else:
                    return html  # a page that is not a runbook (per rbh.yaml's runbook globs)
            alerts_url = self._page_url(files, self.config.alerts_page, page) if self.config.alerts_page in self.generated else None
            page.meta["rbh_status"] = health.status  # site/overrides/main.html marks stale pages in the title
            self.keywords[page.url] = [a.name for a in health.alerts] + list(health.services)
            if self.checked_at:
                page.meta["rbh_checked"] = self.checked_at
            checks_url = self._page_url(files, self.config.checks_page, page) if self.config.checks_page in self.generated else None
            return insert_banner(html, banner_html(health, source_link=self._source_link, alerts_page=alerts_url,
                                                   checks_page=checks_url, templates=self.templates))
        except Exception as exc:  # noqa: BLE001 - never take the build down over a banner
            log.warning(f"{page.file.src_uri}: cannot render the health banner ({type(exc).__name__}: {exc})")
            return html

    def _tune_search_index(self, path: Path, config) -> None:
        if not path.is_file():
            return
        import json

        urls = set()
        for src in self.generated:
            f = File(src, config.docs_dir, config.site_dir, config.use_directory_urls)
            urls.add(f.url)
        index = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(_tune_search_index_impl(index, urls, self.keywords,
                                                                append_text=config.theme.name != "material"), separators=(",", ":")),
                        encoding="utf-8")

    def _untrusted_page(self, html: str, page) -> str:
        """A docs page's HTML and titles made safe to publish: sanitised content, escaped titles.

        Titles are pinned in ``page.meta`` because the themes print ``page.title`` as HTML (Material
        puts ``page.meta.title`` into ``<title>`` as it is); the nav is rendered after every page is
        read, so it sees the escaped value too.
        """
        if self.cleaner is not None:
            html = sanitize_html(html, self.cleaner)
        if "title" in page.meta or not page.is_homepage:  # a home page without one keeps the theme's site-name title
            page.meta["title"] = plain_title(page.title or "")
        stack = list(page.toc or [])
        while stack:
            item = stack.pop()
            item.title = plain_title(item.title)
            stack.extend(item.children or [])
        return html

    def on_nav(self, nav, *, config, files: Files):
        """Section titles come from folder names in the repository: escape them like page titles."""
        if not self.config.enabled:
            return nav
        stack = list(nav.items)
        while stack:
            item = stack.pop()
            if getattr(item, "is_section", False):
                item.title = plain_title(item.title)
                stack.extend(item.children or [])
        return nav

    def _source_link(self, path: str, line: int) -> str | None:
        if not self.link_template:
            return None
        return safe_href(self.link_template.replace("{path}", quote(path)).replace("{line}", str(line)))

    def _notices(self, alerts: bool = False) -> list[str]:
        notes = list(self.result.notices) if self.result else []
        if not self.checks_ran:
            notes.insert(0, "The health checks could not run for this build (see the build log); statuses are unknown.")
        elif alerts and self.result.inventory is None:
            notes.insert(0, "The alert rules could not be loaded for this build (see the build log).")
        return notes

    def _dashboard_rows(self, page, files: Files) -> list[RunbookHealth]:
        rows = []
        for path, health in self.health.items():
            src = self._src_uri(path)
            if src is not None and self._excluded(src):
                continue
            health.url = self._page_url(files, src, page) if src is not None else None
            rows.append(health)
        return rows

    def _alert_rows(self, page, files: Files) -> list[AlertRow]:
        rows = []
        names = {a.name for a in self.alerts}
        for a in self.alerts:
            rows.append(AlertRow(a.name, a.severity, a.source, a.runbook_url, self._runbook_links(a.name, page, files),
                                 self.url_states.get(a.name, "none")))
        # alerts that runbooks claim to answer but no rule defines: listed so the gap is visible
        for name in sorted(set(self.alert_runbooks) - names):
            if self.result is not None and self.result.inventory is not None:
                rows.append(AlertRow(name, None, None, None, self._runbook_links(name, page, files), defined=False))
        return rows

    def _runbook_links(self, name: str, page, files: Files) -> list[tuple[str, str | None]]:
        """(title, URL) of the runbooks answering an alert; straight to the runbook_url's section when it exists."""
        out = []
        for path in self.alert_runbooks.get(name, []):
            health = self.health.get(path)
            src = self._src_uri(path)
            url = self._page_url(files, src, page) if src else None
            anchor = self.url_anchors.get((name, path))
            if url and anchor:
                url += f"#{anchor}"
            out.append((health.title if health else path, url))
        return out

    # ------------------------------------------------------------------------------ end

    @event_priority(-100)  # after the search plugin has written its index
    def on_post_build(self, *, config) -> None:
        if not self.config.enabled:
            return
        try:
            self._tune_search_index(Path(config.site_dir) / "search" / "search_index.json", config)
        except Exception as exc:  # noqa: BLE001 - search tuning is a nicety; the site is built
            log.warning(f"cannot adjust the search index ({type(exc).__name__}: {exc})")
        if not self.config.fail_on_error:
            return
        if self.unpublished:
            raise PluginError(
                f"rbh-health: {len(self.unpublished)} docs file{'s' if len(self.unpublished) != 1 else ''} "
                f"outside the repository not published (fail_on_error is on): {', '.join(self.unpublished[:5])}"
            )
        stale = [h for h in self.health.values() if h.status == "error"]
        if stale:
            first: Finding = next(f for f in stale[0].findings if f.severity >= Severity.error)
            raise PluginError(
                f"rbh-health: {len(stale)} runbook{'s' if len(stale) != 1 else ''} with error findings "
                f"(fail_on_error is on); first: {first.path}:{first.line}: {first.message}"
            )


def _tune_search_index_impl(index: dict, generated_urls: set[str], keywords: dict[str, list[str]],
                            append_text: bool) -> dict:
    """Drop the generated pages' entries; give each runbook's page entry its alerts and services as tags
    (Material boosts ``tags`` far above text; MkDocs' own search ignores the field and gets the words
    appended to the page text instead)."""
    docs = []
    for doc in index.get("docs", []):
        url = str(doc.get("location", "")).split("#", 1)[0]
        if url in generated_urls:
            continue
        words = keywords.get(url)
        if words and "#" not in str(doc.get("location", "")):
            doc["tags"] = list(dict.fromkeys([*doc.get("tags", []), *words]))
            if append_text and "text" in doc:
                doc["text"] = f"{doc['text']} {' '.join(words)}"
        docs.append(doc)
    index["docs"] = docs
    index.pop("index", None)  # MkDocs' prebuild_index: built from the old entries; the browser rebuilds it
    return index


def _checked_at(project) -> str | None:
    from rbh import git as rgit

    if project.repo is None or not rgit.has_commits(project.repo):
        return None
    info = rgit.commit_info(project.repo)
    dirty = " plus uncommitted changes" if _dirty(project.repo) else ""
    return f"the repository at commit {info.short} ({info.date.date().isoformat()}){dirty}"


def _dirty(repo) -> bool:
    """Uncommitted changes to tracked files, asked with ``core.fsmonitor`` off: the repository's git
    config may name a program as the monitor, and git would run it for a diff."""
    import git

    try:
        repo.git(c="core.fsmonitor=false").diff("--quiet", "HEAD", "--")
    except git.GitCommandError as exc:
        if exc.status == 1:
            return True
        raise
    return False


def _run_engine(project) -> CheckResult:
    """``checks.engine.run_checks`` for the whole project (imported here: the engine loads every rule)."""
    from rbh.checks.engine import run_checks

    return run_checks(project, today=today())
