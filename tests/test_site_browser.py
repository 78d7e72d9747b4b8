"""The docs site in a real browser: Debian's headless Chromium driven by Playwright, served on loopback.

What a responder sees: the healthy banner on a healthy runbook, the finding and its suggestion on a
runbook the drift scenario made stale, and a dashboard that lists every runbook and filters by
owner. Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import re

import pytest

from site_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_chromium, serving

CHECKOUT = "services/checkout/"  # healthy in the example; the drift scenario renames its Deployment
PAYMENTS = "services/payments/"  # answers PaymentsProviderErrors, which the drift scenario deletes

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = require_chromium()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium with a fresh user data dir; yields a function that opens a new page."""
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 860},
        )
        context.set_default_timeout(15_000)
        pages = []

        def new_page():
            page = context.new_page()
            errors: list[str] = []
            requests: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("request", lambda req: requests.append(req.url))
            page.js_errors, page.requests = errors, requests
            pages.append(page)
            return page

        yield new_page
        context.close()


@pytest.fixture(scope="module")
def example(example_site):
    assert example_site.returncode == 0, f"mkdocs build --strict failed on the example:\n{example_site.log}"
    with serving(example_site.site) as url:
        yield example_site, url


@pytest.fixture(scope="module")
def drifted(drift_site):
    assert drift_site.returncode == 0, f"mkdocs build --strict failed on the drift scenario:\n{drift_site.log}"
    with serving(drift_site.site) as url:
        yield drift_site, url


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def published_runbooks(build) -> list:
    """The runbooks the dashboard must list: rbh's runbooks minus the pages mkdocs.yml excludes."""
    import yaml

    from rbh.paths import glob_match
    from rbh.project import load_project

    cfg = yaml.safe_load((build.root / "mkdocs.yml").read_text())
    opts = next((p["rbh-health"] for p in cfg["plugins"] if isinstance(p, dict) and "rbh-health" in p), {}) or {}
    exclude = opts.get("exclude", [])
    docs = cfg.get("docs_dir", "docs")
    return [rb for rb in load_project(build.root).load_runbooks()
            if not any(glob_match(rb.path.removeprefix(docs + "/"), g) for g in exclude)]


def test_healthy_runbook_shows_the_healthy_banner(example, browser):
    build, url = example
    page = browser()
    page.goto(url + CHECKOUT)
    banner = page.locator("aside.rbh-banner")
    assert banner.get_attribute("data-rbh-status") == "healthy"
    assert banner.locator(".rbh-badge").inner_text().strip().lower() == "healthy"
    assert "against the current manifests and alert rules" in banner.inner_text()
    assert banner.locator(".rbh-finding--error, .rbh-finding--warning").count() == 0  # info notes may show
    # metadata a responder needs at a glance
    meta = banner.locator(".rbh-meta").inner_text()
    assert "group:checkout-team" in meta and "CheckoutHighLatency" in meta
    # the banner sits under the title, above the first section
    boxes = [page.locator(sel).first.bounding_box()["y"] for sel in ("article h1", "aside.rbh-banner", "article h2")]
    assert boxes == sorted(boxes)
    assert page.js_errors == []
    # no CDN, no web fonts, no third-party script: the site works offline and leaks nothing
    assert [u for u in page.requests if not u.startswith(url)] == []
    shot(page, "site-healthy-runbook")


def test_drifted_runbook_shows_the_finding_and_its_suggestion(drifted, browser):
    build, url = drifted
    page = browser()
    page.goto(url + CHECKOUT)
    banner = page.locator("aside.rbh-banner")
    assert banner.get_attribute("data-rbh-status") == "error"
    assert page.title().startswith("[stale] ")
    findings = banner.locator("li.rbh-finding--error")
    assert findings.count() >= 1
    texts = findings.all_inner_texts()
    renamed = [t for t in texts if "checkout-api" in t]
    assert renamed, texts
    assert re.search(r"Suggestion: .*checkout-api", renamed[0])
    assert re.search(r"runbooks/services/checkout\.md( lines |:)\d+", renamed[0])
    shot(page, "site-stale-runbook")

    page.goto(url + PAYMENTS)
    banner = page.locator("aside.rbh-banner")
    assert banner.get_attribute("data-rbh-status") == "error"
    assert any("PaymentsProviderErrors" in t for t in banner.locator("li.rbh-finding").all_inner_texts())
    assert page.js_errors == []


def test_dashboard_lists_every_runbook_and_filters_by_owner(drifted, browser):
    build, url = drifted
    runbooks = published_runbooks(build)
    page = browser()
    page.goto(url + "health/")
    rows = page.locator("table[data-rbh-table] tbody tr")
    assert rows.count() == len(runbooks)
    listed = sorted(page.locator("table[data-rbh-table] tbody tr code.rbh-path").all_inner_texts())
    assert listed == sorted(rb.path for rb in runbooks)
    # stale first: the drift made checkout and payments stale
    first = page.locator("table[data-rbh-table] tbody tr").first
    assert first.get_attribute("data-rbh-status") == "error"
    shot(page, "site-dashboard")

    owner = "group:checkout-team"
    expected = sorted(rb.path for rb in runbooks if owner in rb.front_matter.owners)
    assert expected, "the example has runbooks owned by the checkout team"
    page.select_option("select[data-rbh-filter=owner]", owner)
    visible = page.locator("table[data-rbh-table] tbody tr:visible")
    assert sorted(visible.locator("code.rbh-path").all_inner_texts()) == expected
    assert page.locator("[data-rbh-count]").inner_text() == f"{len(expected)} of {len(runbooks)} runbooks"
    shot(page, "site-dashboard-owner-filter")

    # status and text filters combine with the owner filter; clearing brings every row back
    page.select_option("select[data-rbh-filter=owner]", "")
    page.select_option("select[data-rbh-filter=status]", "error")
    stale = page.locator("table[data-rbh-table] tbody tr:visible")
    assert stale.count() >= 2 and set(r.get_attribute("data-rbh-status") for r in stale.all()) == {"error"}
    page.select_option("select[data-rbh-filter=status]", "")
    page.fill("input[data-rbh-filter=text]", "payments")
    assert "runbooks/services/payments.md" in visible.locator("code.rbh-path").all_inner_texts()
    page.fill("input[data-rbh-filter=text]", "")
    assert visible.count() == len(runbooks)

    # a link with ?owner= opens the filtered view (shared in chat during an incident)
    page.goto(url + "health/?owner=" + owner)
    assert sorted(visible.locator("code.rbh-path").all_inner_texts()) == expected
    assert page.js_errors == []


def test_dashboard_sorts_by_column(drifted, browser):
    build, url = drifted
    page = browser()
    page.goto(url + "health/")
    header = page.locator("table[data-rbh-table] th", has_text="Runbook")
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    titles = [t.strip().lower() for t in page.locator("table[data-rbh-table] tbody tr td:first-child a").all_inner_texts()]
    assert titles == sorted(titles)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    titles = [t.strip().lower() for t in page.locator("table[data-rbh-table] tbody tr td:first-child a").all_inner_texts()]
    assert titles == sorted(titles, reverse=True)
    findings = page.locator("table[data-rbh-table] th", has_text="Findings")
    findings.locator("button").click()
    findings.locator("button").click()  # descending: most findings first
    counts = [int(c) for c in page.locator("table[data-rbh-table] tbody tr td:nth-child(3)").all_inner_texts()]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0


def test_alert_index_lists_the_retired_alert_first_and_links_runbooks(drifted, browser):
    build, url = drifted
    page = browser()
    page.goto(url + "alerts/")
    rows = page.locator("table[data-rbh-table] tbody tr")
    states = [r.get_attribute("data-rbh-state") for r in rows.all()]
    assert states == sorted(states, key=["no-runbook", "broken-url", "no-url", "undefined", "ok"].index)
    retired = page.locator("tr#alert-PaymentsProviderErrors")
    assert retired.get_attribute("data-rbh-state") == "undefined"
    link = page.locator("tr#alert-CheckoutHighLatency a").first
    link.click()
    page.wait_for_url(re.compile(r".*/services/checkout/#alert-checkouthighlatency$"))  # the runbook_url's section
    shot(page, "site-alert-index-followed")
