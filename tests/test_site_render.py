"""The site's HTML pieces: banner, dashboard, alert index. Exact output where it matters, escaping always."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from rbh.checks.model import Finding, Severity
from rbh.checks.site_render import (
    AlertLink,
    AlertRow,
    RunbookHealth,
    alert_anchor,
    alerts_html,
    banner_html,
    dashboard_html,
    insert_banner,
    safe_href,
)
from rbh.git import CommitInfo

COMMIT = CommitInfo("0123456789abcdef0123456789abcdef01234567", dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.timezone.utc), "Jane Doe")


def finding(severity: Severity, line: int, message: str, suggestion: str | None = None, **kw) -> Finding:
    return Finding("RBH101", "unknown-workload", severity, "runbooks/checkout/high-latency.md", line, 1, message, suggestion, **kw)


def health(**kw) -> RunbookHealth:
    base = dict(path="runbooks/checkout/high-latency.md", title="Checkout high latency", owners=["team-payments"],
                services=["checkout"], last_change=COMMIT, last_reviewed=dt.date(2026, 9, 1),
                review_due=dt.date(2026, 11, 30), today=dt.date(2026, 11, 26))
    base.update(kw)
    return RunbookHealth(**base)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def visible(html: str) -> str:
    p = _Text()
    p.feed(html)
    return " ".join(" ".join(p.parts).split())


def test_healthy_banner_says_so_and_shows_metadata():
    html = banner_html(health(alerts=[AlertLink("CheckoutHighLatency", "critical")]), alerts_page="../../alerts/")
    assert 'class="rbh-banner rbh-banner--healthy"' in html
    assert "data-search-exclude" in html  # the banner is not search content
    assert visible(html) == (
        "Healthy no findings against the current manifests and alert rules "
        "Owner team-payments Service checkout Alerts CheckoutHighLatency (critical) "
        "Last change 2026-11-20 · 01234567 · Jane Doe Last reviewed 2026-09-01 next review by 2026-11-30"
    )
    assert '<a href="../../alerts/#alert-CheckoutHighLatency">' in html


def test_stale_banner_lists_findings_with_suggestion_and_line_link():
    rb = health(findings=[
        finding(Severity.error, 42, "deployment `checkout` not found in namespace checkout",
                "the Deployment is now named `checkout-api`"),
        finding(Severity.warning, 50, "port 8080 not exposed"),
    ], suppressed=1)
    html = banner_html(rb, source_link=lambda path, line: f"https://git.example.com/shop/blob/main/{path}#L{line}")
    assert 'rbh-banner--error' in html
    text = visible(html)
    assert text.startswith("Stale 1 error, 1 warning: check the commands below against the cluster before running them ")
    assert ("error deployment checkout not found in namespace checkout RBH101 unknown-workload · "
            "runbooks/checkout/high-latency.md:42 Suggestion: the Deployment is now named checkout-api") in text
    assert "1 finding suppressed" in text
    assert '<a class="rbh-loc" href="https://git.example.com/shop/blob/main/runbooks/checkout/high-latency.md#L42">' in html
    assert "<code>checkout-api</code>" in html  # `code` in messages renders as code


def test_location_without_repo_url_is_plain_path_and_line():
    html = banner_html(health(findings=[finding(Severity.warning, 7, "x")]))
    assert '<code class="rbh-loc">runbooks/checkout/high-latency.md:7</code>' in html
    assert "rbh-banner--warning" in html


def test_info_findings_do_not_make_a_runbook_stale():
    rb = health(findings=[finding(Severity.info, 3, "note")])
    assert rb.status == "healthy"
    assert rb.counted == []
    assert visible(banner_html(rb)).startswith("Healthy no problems against the current manifests and alert rules; 1 note below info note")


def test_overdue_and_never_reviewed_markers():
    assert "overdue since 2026-11-30" in visible(banner_html(health(today=dt.date(2026, 12, 1))))
    assert "never reviewed" in visible(banner_html(health(last_reviewed=None, review_due=None)))
    assert "not committed" in visible(banner_html(health(last_change=None)))


def test_unknown_status_when_checks_did_not_run():
    html = banner_html(health(checks_ran=False))
    assert "rbh-banner--unknown" in html and visible(html).startswith("Health unknown the health checks could not run")


def test_untrusted_text_is_escaped_everywhere():
    evil = '<img src=x onerror="alert(1)">'
    rb = health(title=evil, owners=[evil], services=[evil], alerts=[AlertLink(evil, evil, defined=False)],
                dashboards=["javascript:alert(1)", "https://grafana.example.com/d/x?a=1&b=<2>"],
                findings=[finding(Severity.error, 1, evil, evil)])
    for html in (banner_html(rb, alerts_page="../alerts/"), dashboard_html([rb]),
                 alerts_html([AlertRow(evil, evil, evil, evil, [(evil, None)], "external")])):
        assert "<img" not in html
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    html = banner_html(rb)
    assert 'href="javascript:' not in html
    assert '<a href="https://grafana.example.com/d/x?a=1&amp;b=&lt;2&gt;" rel="noopener">' in html


@pytest.mark.parametrize("url, ok", [
    ("https://grafana.example.com/d/abc", True),
    ("http://x.example", True),
    ("javascript:alert(1)", False),
    ("JaVaScRiPt:alert(1)", False),
    ("data:text/html,hi", False),
    ("//evil.example/x", False),
    ("grafana-uid-123", False),
    ("", False),
])
def test_safe_href_allows_only_absolute_http(url, ok):
    assert (safe_href(url) is not None) is ok


def test_insert_banner_goes_under_the_title_or_on_top():
    assert insert_banner('<h1 id="t">T</h1>\n<p>x</p>', "<B/>") == '<h1 id="t">T</h1>\n<B/>\n<p>x</p>'
    assert insert_banner("<p>x</p><h1>late</h1>", "<B/>") == "<B/>\n<p>x</p><h1>late</h1>"


def test_dashboard_rows_sorted_worst_first_with_filter_attributes():
    rows = [
        health(path="runbooks/a.md", title="A", owners=["team-a"], url="../a/"),
        health(path="runbooks/b.md", title="B", owners=["team-b", "sre"], url="../b/",
               findings=[finding(Severity.error, 1, "x"), finding(Severity.warning, 2, "y"), finding(Severity.info, 3, "z")]),
        health(path="runbooks/c.md", title="C", owners=[], url=None, findings=[finding(Severity.warning, 1, "w")]),
    ]
    html = dashboard_html(rows)
    order = re.findall(r'<tr data-rbh-status="(\w+)" data-rbh-owners="([^"]*)">', html)
    assert order == [("error", "team-b\nsre"), ("warning", ""), ("healthy", "team-a")]
    assert visible(html).startswith("3 runbooks: 1 healthy, 1 with warnings, 1 stale")
    owners = re.findall(r'<option value="([^"]*)">', html.split('data-rbh-filter="owner"')[1].split("</select>")[0])
    assert owners == ["", "sre", "team-a", "team-b"]
    # findings count excludes info notes; unpublished runbooks are listed without a link
    assert '<td data-sort-value="2">2</td>' in html
    assert "<td data-sort-value=\"c\">C<br>" in html


def test_alert_index_lists_alerts_without_a_runbook_first():
    rows = [
        AlertRow("CheckoutHighLatency", "critical", "manifests/rules.yaml:8", "https://rb/checkout/", [("Checkout", "../checkout/")], "ok"),
        AlertRow("ZetaNoUrl", "warning", "manifests/rules.yaml:20", None, [("Zeta", "../zeta/")]),
        AlertRow("BrokenLink", "critical", "manifests/rules.yaml:30", "https://rb/nowhere/", [], "broken"),
        AlertRow("AlphaOrphan", "info", "manifests/rules.yaml:40", None, []),
        AlertRow("MovedPage", "warning", "manifests/rules.yaml:50", "https://rb/old/", [("Moved", "../moved/")], "broken"),
        AlertRow("Retired", None, None, None, [("Payments", "../payments/")], defined=False),
        AlertRow("Wiki", "warning", "manifests/rules.yaml:60", "https://wiki.example/x", [], "external"),
    ]
    html = alerts_html(rows)
    ids = re.findall(r'<tr id="alert-(\w+)" data-rbh-state="([\w-]+)">', html)
    assert ids == [("AlphaOrphan", "no-runbook"), ("BrokenLink", "no-runbook"), ("MovedPage", "broken-url"),
                   ("ZetaNoUrl", "no-url"), ("Retired", "undefined"), ("Wiki", "external"), ("CheckoutHighLatency", "ok")]
    assert visible(html).startswith("6 alert rules, 5 without a working runbook link. 1 alert named in runbooks has no rule.")
    assert "No runbook <code>https://rb/nowhere/</code>" in html.replace('<span class="rbh-badge rbh-badge--error">', "").replace("</span>", "")
    assert '<a href="https://wiki.example/x" rel="noopener">wiki.example/x</a>' in html
    assert "No alert rule by this name" in visible(html)
    assert alert_anchor("job:up:rate5m") == "alert-job-up-rate5m"


def test_repeated_findings_are_grouped_and_long_lists_fold():
    same = [finding(Severity.error, line, "deployment `checkout` not found", "`checkout-api`") for line in (62, 86, 107)]
    others = [finding(Severity.warning, 100 + i, f"other {i}") for i in range(6)]
    note = finding(Severity.info, 1, "manifests changed since this runbook")
    html = banner_html(health(findings=[note, *others, *same]))
    items = re.findall(r'<li class="rbh-finding rbh-finding--(\w+)">', html)
    assert items == ["error"] + ["warning"] * 6 + ["info"]  # worst first, one item for the repeated error
    first = html.split('<li class="rbh-finding', 2)[1]
    assert '<code class="rbh-loc">runbooks/checkout/high-latency.md</code> lines 62, 86, 107' in first
    linked = banner_html(health(findings=same), source_link=lambda p, n: f"https://git.example/{p}#L{n}")
    assert re.findall(r'<a class="rbh-loc" href="https://git.example/runbooks/checkout/high-latency.md#L(\d+)">\1</a>', linked) == ["62", "86", "107"]
    shown, folded = html.split('<details class="rbh-more">')
    assert shown.count("<li ") == 5 and folded.count("<li ") == 3
    assert "<summary>3 more findings</summary>" in folded
