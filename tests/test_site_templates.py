"""The site's templates in real `mkdocs build`s: a theme's custom_dir overrides them, runbook text stays
escaped in an override, a broken override fails the build once; and `mkdocs serve`'s hooks: what it
watches, and check results reused across rebuilds while nothing they depend on changed.

The real checks engine runs here (a runbook whose review is overdue, a manifest it points at).
"""

from __future__ import annotations

import datetime as dt
import logging
import textwrap
from pathlib import Path

import pytest
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

import rbh.checks.mkdocs_plugin as plugin_mod
from rbh.checks.site_templates import SiteTemplates

MKDOCS_YML = """\
site_name: Template fixture
docs_dir: runbooks
site_dir: build/site
theme:
  name: material
  font: false
  custom_dir: overrides
plugins:
  - search
  - rbh-health{options}
"""

HOSTILE_TITLE = "Checkout <img src=x onerror=alert(1)> latency"

FILES = {
    "runbooks/index.md": "# Runbooks\n",
    "runbooks/checkout.md": textwrap.dedent(f"""\
        ---
        title: "{HOSTILE_TITLE}"
        owner: team-payments
        last_reviewed: 2025-01-10
        review_every: 90d
        ---
        # Checkout latency

        ```bash
        kubectl -n shop rollout restart deployment/checkout
        ```
        """),
    "manifests/checkout.yaml": textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: checkout, namespace: shop}
        spec:
          template:
            spec:
              containers: [{name: checkout, image: "shop/checkout:1"}]
        """),
    "rbh.yaml": "runbooks:\n  include: [runbooks/**/*.md]\n",
    ".rbh-baseline.json": '{"version": 1, "findings": []}\n',
    "overrides/.keep": "",
}


@pytest.fixture
def repo(make_repo, monkeypatch):
    """Factory: a committed repository with mkdocs.yml (theme custom_dir: overrides) plus *extra* files."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(2026, 11, 26, 12, tzinfo=dt.timezone.utc).timestamp())))
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")

    def _make(extra: dict[str, str] | None = None, options: str = "") -> Path:
        return make_repo({**FILES, "mkdocs.yml": MKDOCS_YML.format(options=options), **(extra or {})}).root

    return _make


def build(root: Path) -> Path:
    mkdocs_build(load_config(str(root / "mkdocs.yml"), strict=True))
    return root / "build" / "site"


def read(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------ overrides

BANNER_OVERRIDE = """\
{% extends "rbh-health-default/banner.html" %}
{% block status %}
<p class="team-status" data-team-status="{{ status }}">{{ rb.title }}: {{ status_line }}</p>
{% endblock %}
"""


def test_custom_dir_template_overrides_the_banner_and_keeps_runbook_text_escaped(repo):
    site = build(repo({"overrides/rbh-health/banner.html": BANNER_OVERRIDE}))
    html = read(site, "checkout")
    # the team's block replaces the status line; the rest of our banner stays
    assert ('<p class="team-status" data-team-status="warning">Checkout &lt;img src=x onerror=alert(1)&gt; latency: '
            "1 warning: read with care</p>") in html
    assert '<p class="rbh-banner__status">' not in html
    assert '<li class="rbh-finding rbh-finding--warning">' in html and 'rbh-meta--owner"><dt>Owner</dt><dd>team-payments</dd>' in html
    assert "<img src=x" not in html
    # templates the team did not override are ours
    assert '<div class="rbh-dashboard" data-search-exclude>' in read(site, "health")


def test_a_replaced_template_gets_the_documented_variables(repo):
    alerts = '<ul class="team-alerts">{% for a in rows %}<li>{{ a.name }} {{ a.state }}</li>{% endfor %}</ul>{{ summary }}'
    dashboard = ('<table class="team-dashboard">{% for r in rows %}<tr><td>{{ r.title }}</td><td>{{ r.status }}</td>'
                 '<td>{{ rbh_default_unused|default("-") }}</td></tr>{% endfor %}</table>')
    page = "---\ntitle: Team health\n---\n\n# Team health\n\nOur runbooks, checked at every build.\n"
    site = build(repo({"overrides/rbh-health/alerts.html": alerts, "overrides/rbh-health/dashboard.html": dashboard,
                       "overrides/rbh-health/health.md": page}))
    assert '<ul class="team-alerts"></ul>0 alert rules, 0 without a working runbook link.' in read(site, "alerts")
    assert '<h1 id="team-health">Team health</h1>\n<p>Our runbooks, checked at every build.</p><section class="rbh-trend"' in read(site, "health")
    assert ('<table class="team-dashboard"><tr><td>Checkout &lt;img src=x onerror=alert(1)&gt; latency</td>'
            "<td>warning</td><td>-</td></tr><tr><td>Runbooks</td><td>healthy</td><td>-</td></tr></table>") in read(site, "health")


def test_a_broken_override_fails_the_build_with_its_name_and_line(repo, caplog):
    root = repo({"overrides/rbh-health/banner.html": "<p>\n{% if %}\n"})
    with pytest.raises(Abort), caplog.at_level(logging.ERROR):
        build(root)
    assert f"rbh-health: template {root / 'overrides' / 'rbh-health' / 'banner.html'}, line 2: " in caplog.text


def test_a_page_template_that_fails_at_render_time_costs_its_text_not_the_build(repo, caplog):
    root = repo({"overrides/rbh-health/health.md": "# {{ team.name() }}\n"})
    with caplog.at_level(logging.WARNING):
        mkdocs_build(load_config(str(root / "mkdocs.yml"), strict=False))
    assert "cannot render rbh-health/health.md (UndefinedError: 'team' is undefined); using rbh's own" in caplog.text
    assert '<h1 id="runbook-health">Runbook health</h1>' in read(root / "build" / "site", "health")


def test_default_templates_are_reachable_under_their_own_prefix(tmp_path):
    (tmp_path / "rbh-health").mkdir()
    (tmp_path / "rbh-health" / "macros.html").write_text("team macros", encoding="utf-8")
    templates = SiteTemplates([tmp_path])
    assert templates.source("macros.html") == str(tmp_path / "rbh-health" / "macros.html")
    assert templates.env.get_template("rbh-health-default/macros.html").filename.endswith("templates/rbh-health/macros.html")


# ------------------------------------------------------------------------------------------ mkdocs serve


class RecordingServer:
    """Stands in for MkDocs' LiveReloadServer in ``on_serve``: records what a plugin asks it to watch."""

    def __init__(self):
        self.watched: list[str] = []

    def watch(self, path: str, func=None, *, recursive: bool = True) -> None:
        self.watched.append(path)


def _serve_hooks(root: Path):
    config = load_config(str(root / "mkdocs.yml"), strict=True)
    config.plugins.on_startup(command="serve", dirty=False)
    return config


def test_serve_watches_manifest_folders_the_config_and_the_baseline(repo):
    root = repo()
    config = _serve_hooks(root)
    try:
        config = config.plugins.on_config(config)
        server = RecordingServer()
        assert config.plugins.on_serve(server, config=config, builder=lambda: None) is server
    finally:
        config.plugins.on_shutdown()
    real = root.resolve()
    assert server.watched == [str(real / "manifests"), str(real / "rbh.yaml"), str(real / ".rbh-baseline.json")]


def test_serve_watches_manifest_files_of_a_glob_that_starts_at_the_root(repo):
    root = repo({"platform.yaml": "kind: ConfigMap\nmetadata: {name: x}\n"}, options=":\n      manifests: ['*.yaml']")
    config = _serve_hooks(root)
    try:
        config = config.plugins.on_config(config)
        server = RecordingServer()
        config.plugins.on_serve(server, config=config, builder=lambda: None)
    finally:
        config.plugins.on_shutdown()
    real = root.resolve()
    assert server.watched == [str(real / "platform.yaml"), str(real / "rbh.yaml"), str(real / ".rbh-baseline.json")]


def test_serve_rebuilds_reuse_check_results_until_a_manifest_changes(repo, monkeypatch):
    root = repo()
    runs: list[Path] = []
    engine = plugin_mod._run_engine

    def counted(project):
        runs.append(project.root)
        return engine(project)

    monkeypatch.setattr(plugin_mod, "_run_engine", counted)

    def rebuild() -> str:
        """What `mkdocs serve` does on a change: a fresh config (MkDocs keeps the plugin), a build."""
        config = load_config(str(root / "mkdocs.yml"), strict=True)
        mkdocs_build(config)
        return read(root / "build" / "site", "checkout")

    config = _serve_hooks(root)
    try:
        first = rebuild()
        assert len(runs) == 1
        assert rebuild() == first and len(runs) == 1  # nothing changed: no check ran
        manifest = root / "manifests" / "checkout.yaml"
        manifest.write_text(manifest.read_text(encoding="utf-8").replace("name: checkout,", "name: checkout-api,"),
                            encoding="utf-8")
        changed = rebuild()
        assert len(runs) == 2
        assert "deployment/checkout" in changed and changed != first  # the rename is now a finding
        (root / "rbh.yaml").write_text("runbooks:\n  include: [runbooks/*.md]\n", encoding="utf-8")
        rebuild()
        assert len(runs) == 3
    finally:
        config.plugins.on_shutdown()
    # a plain build after serving never reuses anything
    build(root)
    assert len(runs) == 4


def test_a_real_livereload_server_rebuilds_when_a_manifest_changes(repo, monkeypatch, caplog):
    """MkDocs' own LiveReloadServer, with what on_serve registered: editing a manifest (not a docs file)
    triggers a rebuild, and that rebuild runs the checks again."""
    import threading

    from mkdocs.livereload import LiveReloadServer

    root = repo()
    runs: list[Path] = []
    engine = plugin_mod._run_engine
    monkeypatch.setattr(plugin_mod, "_run_engine", lambda project: runs.append(project.root) or engine(project))
    rebuilt, serving = threading.Event(), threading.Event()

    def builder():
        mkdocs_build(load_config(str(root / "mkdocs.yml"), strict=True))
        rebuilt.set()

    class ServingStarted(logging.Handler):
        def emit(self, record):
            if "Serving on" in record.getMessage():
                serving.set()

    config = _serve_hooks(root)
    handler = ServingStarted()
    logging.getLogger("mkdocs.livereload").addHandler(handler)
    caplog.set_level(logging.INFO, logger="mkdocs.livereload")  # "Serving on ..." is an info line
    server = LiveReloadServer(builder=builder, host="127.0.0.1", port=0, root=str(root / "build" / "site"),
                              polling_interval=0.05)
    try:
        mkdocs_build(config)  # what `mkdocs serve` builds before it serves
        config.plugins.on_serve(server, config=config, builder=builder)
        thread = threading.Thread(target=server.serve, daemon=True)
        thread.start()
        assert serving.wait(60)  # the watchers took their first look at the files
        manifest = root / "manifests" / "checkout.yaml"
        manifest.write_text(manifest.read_text(encoding="utf-8").replace("checkout,", "checkout-api,"), encoding="utf-8")
        assert rebuilt.wait(60)
        assert len(runs) == 2
        assert "deployment/checkout" in read(root / "build" / "site", "checkout")
    finally:
        server.shutdown()
        logging.getLogger("mkdocs.livereload").removeHandler(handler)
        config.plugins.on_shutdown()
