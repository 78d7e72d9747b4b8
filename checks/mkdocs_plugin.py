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
          source_link: https://git.example.com/ops/runbooks/blob/main/{path}#L{line}
          assets: true             # false: bring your own CSS/JS for the banner and tables

Without ``source_link``, finding locations link to the repository when MkDocs' ``repo_url`` and
``edit_uri`` look like GitHub's or GitLab's, else they show as ``path:line``. Which files are runbooks,
the rules and their options come from ``rbh.yaml``, exactly as for ``rbh check``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, PrefixedLogger
from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

from checks.model import CheckResult, Finding, Severity
from checks.site_render import (
    AlertLink,
    AlertRow,
    RunbookHealth,
    alerts_html,
    banner_html,
    dashboard_html,
    insert_banner,
)
from rbh.paths import glob_match

log = PrefixedLogger("rbh-health", logging.getLogger("mkdocs.plugins.rbh-health"))

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
        return explicit
    if not repo_url or not edit_uri:
        return None
    m = re.match(r"^/?(-/)?(?:edit|blob)/([^/?#]+)/", edit_uri)
    if not m:
        return None
    return f"{repo_url.rstrip('/')}/{m.group(1) or ''}blob/{m.group(2)}/{{path}}#L{{line}}"


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
        self.checked_at: str | None = None  # "commit 1a2b3c4d (2026-11-20)", shown under each runbook

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
        try:
            project = load_project(repo_dir, require_git=False)
            overrides = {}
            if self.config.runbooks:
                overrides["runbooks"] = Globs(include=list(self.config.runbooks))
            if self.config.manifests:
                overrides["manifests"] = Globs(include=list(self.config.manifests))
            if overrides:
                project.config = project.config.model_copy(update=overrides)
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
        self.site_url = config.site_url
        self.link_template = source_link_template(config.repo_url, config.edit_uri, self.config.source_link)
        if self.config.assets:
            if ASSETS["css"] not in config.extra_css:
                config.extra_css.append(ASSETS["css"])
            if ASSETS["js"] not in [str(s) for s in config.extra_javascript]:
                config.extra_javascript.append(ASSETS["js"])
        return config

    # ------------------------------------------------------------------------------ files

    def on_files(self, files: Files, *, config) -> Files:
        if not self.config.enabled:
            return files
        self._run_checks()
        self.generated = {}
        for kind, name in (("dashboard", self.config.dashboard_page), ("alerts", self.config.alerts_page),
                           ("checks", self.config.checks_page)):
            if not name:
                continue
            if files.get_file_from_path(name) is not None:
                log.warning(f"{name} exists in the docs; not generating the {kind} page (set {kind}_page to another name)")
                continue
            files.append(File.generated(config, name, content=self._page_markdown(kind)))
            self.generated[name] = kind
        if self.config.assets:
            for key, uri in ASSETS.items():
                if files.get_file_from_path(uri) is None:
                    files.append(File.generated(config, uri, abs_src_path=str(ASSET_DIR / f"rbh-health.{key}")))
        return files

    def _page_markdown(self, kind: str) -> str:
        if kind == "checks":
            from checks.ruledocs import catalog_markdown

            return "---\ntitle: Checks\n---\n\n" + catalog_markdown()
        if kind == "dashboard":
            return "---\ntitle: Runbook health\nhide:\n  - navigation\n  - toc\n---\n\n# Runbook health\n\nEvery runbook, checked against the current manifests, alert rules and git history at build time.\n"
        return "---\ntitle: Alert index\nhide:\n  - toc\n---\n\n# Alert index\n\nEvery alert rule and the runbook that answers it. Alerts a responder would be paged for without a working runbook link come first.\n"

    def _run_checks(self) -> None:
        """Run the checks once for this build and index the result by runbook."""
        self.result, self.checks_ran, self.checked_at = None, False, None
        self.health, self.alerts, self.alert_runbooks, self.url_states, self.url_anchors = {}, [], {}, {}, {}
        if self.project is None:
            return
        try:
            self.result = _run_engine(self.project)
            self.checks_ran = True
        except Exception as exc:  # a bad runbook or manifest must never take the site down
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

    def _index_result(self) -> None:
        result, now = self.result, today()
        self.alerts = inventory_alerts(result.inventory)
        defined = {a.name: a for a in self.alerts}
        resolver = self._url_resolver([rb.path for rb in result.runbooks])
        from rbh.anchors import fragment_map

        anchors = {rb.path: fragment_map(rb.headings) for rb in result.runbooks}  # the fragments RBH203 accepts
        for a in self.alerts:
            if not a.runbook_url:
                continue
            res = resolver.resolve(a.runbook_url)
            if res.found:
                self.url_states[a.name] = "ok"
                self.alert_runbooks.setdefault(a.name, []).append(res.found)
                site_anchor = anchors.get(res.found, {}).get(res.anchor.lower()) if res.anchor else None
                if site_anchor:
                    self.url_anchors[(a.name, res.found)] = site_anchor
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
        for rb in result.runbooks:
            fm = rb.front_matter
            findings = sorted((f for f in result.findings if f.path == rb.path), key=lambda f: (f.line, f.column, f.rule))
            active = [f for f in findings if not f.suppressed]
            names = list(dict.fromkeys(list(fm.alerts) + answers.get(rb.path, [])))
            every = fm.review_every or default_days
            due = fm.last_reviewed + dt.timedelta(days=every) if fm.last_reviewed and every else None
            self.health[rb.path] = RunbookHealth(
                path=rb.path,
                title=rb.title,
                findings=active,
                suppressed=len(findings) - len(active),
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
            )

    def _default_review_days(self) -> int | None:
        """The review interval of runbooks that declare none: RBH401's, so banner and ``rbh check`` agree."""
        from checks.engine import rule_settings
        from checks.rules import rbh401_review_overdue as rule

        enabled, _, options = rule_settings(self.project.config)[rule.ID]
        return options.default_review_days if enabled else None

    def _url_resolver(self, runbook_paths: list[str]):
        """The checks' runbook_url resolver, as the rules build it; MkDocs' site_url when rbh.yaml has none."""
        from checks.runbook_urls import RunbookUrlResolver

        cfg = self.project.config
        return RunbookUrlResolver(cfg.check.runbook_urls.prefixes, runbook_paths, cfg.check.runbook_urls.case_insensitive,
                                  site_url=cfg.site.url or self.site_url, default_folder=self.docs_prefix or "")

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
        try:
            kind = self.generated.get(page.file.src_uri) if page.file.generated_by else None
            if kind == "dashboard":
                return html + dashboard_html(self._dashboard_rows(page, files), notices=self._notices())
            if kind == "alerts":
                return html + alerts_html(self._alert_rows(page, files), notices=self._notices(alerts=True))
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
            if self.checked_at:
                page.meta["rbh_checked"] = self.checked_at
            checks_url = self._page_url(files, self.config.checks_page, page) if self.config.checks_page in self.generated else None
            return insert_banner(html, banner_html(health, source_link=self._source_link, alerts_page=alerts_url,
                                                   checks_page=checks_url))
        except Exception as exc:  # noqa: BLE001 - never take the build down over a banner
            log.warning(f"{page.file.src_uri}: cannot render the health banner ({type(exc).__name__}: {exc})")
            return html

    def _source_link(self, path: str, line: int) -> str | None:
        if not self.link_template:
            return None
        return self.link_template.replace("{path}", path).replace("{line}", str(line))

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

    def on_post_build(self, *, config) -> None:
        if not self.config.enabled or not self.config.fail_on_error:
            return
        stale = [h for h in self.health.values() if h.status == "error"]
        if stale:
            first: Finding = next(f for f in stale[0].findings if f.severity >= Severity.error)
            raise PluginError(
                f"rbh-health: {len(stale)} runbook{'s' if len(stale) != 1 else ''} with error findings "
                f"(fail_on_error is on); first: {first.path}:{first.line}: {first.message}"
            )


def _checked_at(project) -> str | None:
    from rbh import git as rgit

    if project.repo is None or not rgit.has_commits(project.repo):
        return None
    info = rgit.commit_info(project.repo)
    dirty = " plus uncommitted changes" if project.repo.is_dirty(untracked_files=False) else ""
    return f"the repository at commit {info.short} ({info.date.date().isoformat()}){dirty}"


def _run_engine(project) -> CheckResult:
    """``checks.engine.run_checks`` for the whole project (imported here: the engine loads every rule)."""
    from checks.engine import run_checks

    return run_checks(project, today=today())
