"""The rbh-health MkDocs plugin in real `mkdocs build`s of small fixture repositories.

The check results are pinned here (the engine is replaced by a function returning exact findings)
so these tests are about the plugin: where banners go, what the generated pages list, that nothing
a runbook contains can crash the build, and that ``fail_on_error`` fails it. The example's own
build, with the real engine, is in test_site_example.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import textwrap
from pathlib import Path

import pytest
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

import rbh.checks.mkdocs_plugin as plugin_mod
from rbh.checks.mkdocs_plugin import source_link_template
from rbh.checks.model import CheckResult, Finding, Severity

MKDOCS_YML = """\
site_name: Fixture runbooks
site_url: https://runbooks.example.com/
docs_dir: runbooks
site_dir: build/site
theme:
  name: material
  font: false
plugins:
  - search
  - rbh-health{options}
"""

RUNBOOKS = {
    "runbooks/index.md": "# Fixture runbooks\n\nStart here.\n",
    "runbooks/checkout/high-latency.md": textwrap.dedent("""\
        ---
        title: Checkout high latency
        service: checkout
        owner: team-payments
        alerts: [CheckoutHighLatency]
        last_reviewed: 2026-10-01
        review_every: 90d
        ---
        # Checkout high latency

        ## Diagnosis

        ```bash
        kubectl -n checkout get deploy checkout
        ```

        ## Mitigation
        """),
    "runbooks/payments/provider-errors.md": textwrap.dedent("""\
        ---
        title: Payments provider errors
        service: payments
        team: team-payments
        alerts: PaymentsProviderErrors
        last_reviewed: 2025-01-10
        ---
        # Payments provider errors

        ## Symptoms
        """),
    "manifests/rules.yaml": "groups: []\n",
}

TODAY = dt.date(2026, 11, 26)


class FakeLoc:
    def __init__(self, path: str, line: int):
        self.path, self.line = path, line


class FakeAlert:
    def __init__(self, name: str, severity: str, runbook_url: str | None, line: int):
        self.name, self.severity, self.runbook_url = name, severity, runbook_url
        self.loc = FakeLoc("manifests/rules.yaml", line)


class FakeInventory:
    def __init__(self, alerts):
        self.alerts = alerts


def pinned(findings: list[Finding], alerts: list[FakeAlert] | None = None, notices: list[str] | None = None):
    """A stand-in for the checks engine that returns these exact findings for the real runbooks."""

    def run(project):
        return CheckResult(findings=findings, runbooks=project.load_runbooks(),
                           inventory=FakeInventory(alerts or []), notices=notices or [])

    return run


STALE = Finding("RBH101", "unknown-workload", Severity.error, "runbooks/checkout/high-latency.md", 14, 1,
                "deployment `checkout` not found in namespace `checkout`", "it is now named `checkout-api`")
ALERTS = [
    FakeAlert("CheckoutHighLatency", "critical", "https://runbooks.example.com/checkout/high-latency/#diagnosis", 8),
    FakeAlert("CartErrors", "warning", None, 20),
    FakeAlert("PaymentsProviderErrors", "critical", "https://runbooks.example.com/payments/gone/", 30),
    FakeAlert("LegacyWiki", "warning", "https://wiki.example.com/ops/legacy", 40),
]


@pytest.fixture
def site_repo(make_repo, monkeypatch):
    """Factory: a committed fixture repository with mkdocs.yml; returns its root."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(2026, 11, 26, 12, tzinfo=dt.timezone.utc).timestamp())))
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")

    def _make(options: str = "", extra: dict[str, str | bytes] | None = None, yml_extra: str = "") -> Path:
        files = {**RUNBOOKS, **(extra or {})}
        files["mkdocs.yml"] = MKDOCS_YML.format(options=options) + yml_extra
        return make_repo(files).root

    return _make


def build(root: Path, strict: bool = True) -> Path:
    """A real, in-process ``mkdocs build`` of *root*; returns the site folder."""
    mkdocs_build(load_config(str(root / "mkdocs.yml"), strict=strict))
    return root / "build" / "site"


def page(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def article(html: str) -> str:
    return html.split('<article class="md-content__inner md-typeset">', 1)[1].split("</article>", 1)[0]


def test_banner_on_every_runbook_page_and_not_on_excluded_pages(site_repo, monkeypatch):
    monkeypatch.setattr(plugin_mod, "_run_engine", pinned([STALE], ALERTS))
    site = build(site_repo(":\n      exclude: [index.md]"))
    stale = article(page(site, "checkout/high-latency"))
    # right under the title, before the first section
    assert stale.index("</h1>") < stale.index('class="rbh-banner rbh-banner--error"') < stale.index('id="diagnosis"')
    assert "deployment <code>checkout</code> not found in namespace <code>checkout</code>" in stale
    assert "Suggestion: it is now named <code>checkout-api</code>" in stale
    assert '<code class="rbh-loc">runbooks/checkout/high-latency.md:14</code>' in stale
    assert '<a href="../../alerts/#alert-CheckoutHighLatency">CheckoutHighLatency <span class="rbh-muted">(critical)</span></a>' in stale
    assert "next review by 2026-12-30" in stale
    healthy = article(page(site, "payments/provider-errors"))
    assert 'rbh-banner--healthy' in healthy
    assert "overdue since 2026-01-10" in healthy  # no review_every: RBH401's default_review_days (365)
    assert "rbh-banner" not in article((site / "index.html").read_text())
    # the stylesheet and script ship with the plugin
    assert (site / "assets/rbh-health/rbh-health.js").is_file() and (site / "assets/rbh-health/rbh-health.css").is_file()
    assert 'src="../../assets/rbh-health/rbh-health.js"' in page(site, "checkout/high-latency")


def test_dashboard_lists_every_runbook_worst_first(site_repo, monkeypatch):
    monkeypatch.setattr(plugin_mod, "_run_engine", pinned([STALE], ALERTS))
    site = build(site_repo())
    dash = article(page(site, "health"))
    rows = re.findall(r'<tr data-rbh-status="(\w+)" data-rbh-owners="([^"]*)"><td[^>]*><a href="([^"]+)">([^<]+)</a>', dash)
    assert rows == [
        ("error", "team-payments", "../checkout/high-latency/", "Checkout high latency"),
        ("healthy", "", "../", "Fixture runbooks"),
        ("healthy", "team-payments", "../payments/provider-errors/", "Payments provider errors"),
    ]
    assert "3 runbooks: 2 healthy, 0 with warnings, 1 stale" in dash


def test_alert_index_puts_alerts_without_runbook_first(site_repo, monkeypatch):
    monkeypatch.setattr(plugin_mod, "_run_engine", pinned([STALE], ALERTS))
    site = build(site_repo())
    index = article(page(site, "alerts"))
    rows = re.findall(r'<tr id="alert-(\w+)" data-rbh-state="([\w-]+)">', index)
    # CartErrors: no runbook at all; PaymentsProviderErrors: runbook_url broken but a runbook claims it
    # LegacyWiki: a runbook outside this site, linked but not checked; the runbook_url resolution
    # falls back to MkDocs' site_url when rbh.yaml has no site.url
    assert rows == [("CartErrors", "no-runbook"), ("PaymentsProviderErrors", "broken-url"), ("LegacyWiki", "external"),
                    ("CheckoutHighLatency", "ok")]
    # the runbook_url's #diagnosis exists: the alert index links straight to that section
    assert '<a href="../checkout/high-latency/#diagnosis">Checkout high latency</a>' in index


def test_source_links_when_repo_url_and_edit_uri_are_set(site_repo, monkeypatch):
    monkeypatch.setattr(plugin_mod, "_run_engine", pinned([STALE]))
    site = build(site_repo(yml_extra="repo_url: https://github.com/acme/runbooks\nedit_uri: edit/main/runbooks/\n"))
    assert ('<a class="rbh-loc" href="https://github.com/acme/runbooks/blob/main/runbooks/checkout/high-latency.md#L14">'
            "runbooks/checkout/high-latency.md:14</a>") in page(site, "checkout/high-latency")


@pytest.mark.parametrize("repo_url, edit_uri, explicit, expected", [
    ("https://github.com/acme/rb", "edit/main/docs/", None, "https://github.com/acme/rb/blob/main/{path}#L{line}"),
    ("https://github.com/acme/rb/", "blob/release-1/runbooks/", None, "https://github.com/acme/rb/blob/release-1/{path}#L{line}"),
    ("https://gitlab.com/acme/rb", "-/edit/main/runbooks/", None, "https://gitlab.com/acme/rb/-/blob/main/{path}#L{line}"),
    ("https://example.com/rb", "?path=/docs/", None, None),
    (None, None, None, None),
    (None, None, "https://git.example/{path}?l={line}", "https://git.example/{path}?l={line}"),
])
def test_source_link_template(repo_url, edit_uri, explicit, expected):
    assert source_link_template(repo_url, edit_uri, explicit) == expected


def test_bad_runbooks_never_break_the_build(site_repo):
    """Real engine (or its fallback): broken front matter, a binary file and bad UTF-8 are reported, not fatal."""
    root = site_repo(extra={
        "runbooks/broken/front-matter.md": "---\ntitle: [unclosed\nowner: x\n---\n# Broken\n",
        "runbooks/broken/latin1.md": "# Caf\xe9\n".encode("latin-1"),
        "runbooks/broken/wrong-types.md": "---\nlast_reviewed: someday\nreview_every: often\n---\n# Wrong types\n",
    })
    site = build(root, strict=False)
    for url in ("broken/front-matter", "broken/latin1", "broken/wrong-types"):
        html = article(page(site, url))
        assert re.search(r'class="rbh-banner rbh-banner--(warning|error)"', html), url
    assert "front matter is not valid YAML" in page(site, "broken/front-matter")


def test_engine_crash_gives_unknown_banners_and_a_warning(site_repo, monkeypatch, caplog):
    def boom(project):
        raise RuntimeError("rule exploded")

    monkeypatch.setattr(plugin_mod, "_run_engine", boom)
    with caplog.at_level(logging.WARNING):
        site = build(site_repo(), strict=False)
    assert "the health checks failed (RuntimeError: rule exploded)" in caplog.text
    html = article(page(site, "checkout/high-latency"))
    assert 'rbh-banner--unknown' in html and "team-payments" in html  # metadata still shown
    assert "The health checks could not run for this build" in page(site, "health")


def test_fail_on_error_fails_the_build_after_writing_the_site(site_repo, monkeypatch, caplog):
    monkeypatch.setattr(plugin_mod, "_run_engine", pinned([STALE]))
    root = site_repo(":\n      fail_on_error: true")
    with pytest.raises(Abort):
        build(root)
    assert ("rbh-health: 1 runbook with error findings (fail_on_error is on); first: "
            "runbooks/checkout/high-latency.md:14: deployment `checkout` not found") in caplog.text
    assert (root / "build/site/checkout/high-latency/index.html").is_file()


def test_fail_on_error_passes_on_warnings_only(site_repo, monkeypatch):
    monkeypatch.setattr(plugin_mod, "_run_engine", pinned([STALE.with_(severity=Severity.warning)]))
    build(site_repo(":\n      fail_on_error: true"))


def test_own_page_named_like_a_generated_one_wins_with_a_warning(site_repo, monkeypatch, caplog):
    monkeypatch.setattr(plugin_mod, "_run_engine", pinned([]))
    root = site_repo(extra={"runbooks/health.md": "# Our own health page\n"})
    with pytest.raises(Abort):  # the warning fails a strict build
        build(root)
    assert "health.md exists in the docs; not generating the dashboard page" in caplog.text
    site = build(root, strict=False)
    assert "Our own health page" in page(site, "health") and "rbh-dashboard" not in page(site, "health")


def test_generated_pages_can_be_renamed_or_turned_off(site_repo, monkeypatch):
    monkeypatch.setattr(plugin_mod, "_run_engine", pinned([]))
    site = build(site_repo(":\n      dashboard_page: status/runbooks.md\n      alerts_page: ''"))
    assert "rbh-dashboard" in page(site, "status/runbooks")
    assert not (site / "alerts").exists()
    assert "rbh-meta--alerts" in page(site, "checkout/high-latency")  # alerts listed, just not linked
    assert "alerts/#alert-" not in page(site, "checkout/high-latency")


def test_disabled_plugin_changes_nothing(site_repo, monkeypatch):
    monkeypatch.setattr(plugin_mod, "_run_engine", pinned([STALE]))
    site = build(site_repo(":\n      enabled: false"))
    assert "rbh-banner" not in page(site, "checkout/high-latency")
    assert not (site / "health").exists()


def test_unknown_plugin_option_is_a_config_error(site_repo):
    root = site_repo(":\n      fail_on_eror: true")
    with pytest.raises(Abort):
        build(root)


def test_stale_pages_are_marked_in_the_title_by_our_theme_override(site_repo, monkeypatch):
    monkeypatch.setattr(plugin_mod, "_run_engine", pinned([STALE]))
    overrides = (Path(__file__).resolve().parent.parent / "site" / "overrides" / "main.html").read_text()
    root = site_repo(extra={"site/overrides/main.html": overrides})
    yml = (root / "mkdocs.yml").read_text().replace("  font: false\n", "  font: false\n  custom_dir: site/overrides\n")
    (root / "mkdocs.yml").write_text(yml)
    site = build(root)
    assert "<title>[stale] Checkout high latency - Fixture runbooks</title>" in page(site, "checkout/high-latency")
    assert "<title>Payments provider errors - Fixture runbooks</title>" in page(site, "payments/provider-errors")
    assert re.search(r"Health checked against the repository at commit [0-9a-f]{8} \(\d{4}-\d\d-\d\d\) "
                     r"plus uncommitted changes\.",
                     page(site, "payments/provider-errors"))


def test_review_interval_default_comes_from_rbh_yaml_rule_options(site_repo, monkeypatch):
    monkeypatch.setattr(plugin_mod, "_run_engine", pinned([]))
    root = site_repo(extra={"rbh.yaml": "check:\n  rules:\n    RBH401:\n      options:\n        default_review_days: 30\n"})
    site = build(root)
    assert "overdue since 2025-02-09" in page(site, "payments/provider-errors")  # 2025-01-10 + 30 days
    assert "next review by 2026-12-30" in page(site, "checkout/high-latency")  # its own review_every: 90d wins
