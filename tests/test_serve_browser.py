"""``rbh serve``'s search page in Debian's headless Chromium: a question, a pasted alert, the keyboard
alone, escaped output, a strict CSP and no request leaving the service. The screenshot goes to
test-artifacts/serve-search-page.png (the README's image is a copy of it)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("starlette", reason="rbh serve needs its extra: pip install -e '.[serve]'")

from serve_support import CHECKOUT_ALERT, TOKEN, am_payload, indexed_drift, running_service  # noqa: E402

from site_support import ARTIFACTS, CHROMIUM, require_chromium  # noqa: E402
pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = require_chromium()


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_service(indexed_drift(tmp_path_factory), []) as (base, app):
        yield base


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from test_site_browser import CHROMIUM_ARGS

    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1100, "height": 900})
        context.set_default_timeout(30_000)
        pg = context.new_page()
        pg.js_errors, pg.requests, pg.dialogs = [], [], []
        pg.on("pageerror", lambda exc: pg.js_errors.append(str(exc)))
        pg.on("request", lambda req: pg.requests.append(req.url))
        pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
        yield pg
        context.close()


def focused(page) -> str:
    """What has the keyboard focus: tag#id, or the link text."""
    return page.evaluate("() => { const e = document.activeElement; return e.tagName === 'A' ? 'A:' + e.textContent.trim() "
                         ": e.tagName + '#' + e.id; }")


def test_question_by_keyboard_alone(service, page):
    response = page.goto(service + "/")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp  # no script may run at all
    assert focused(page) == "INPUT#q"  # the question field has the focus on arrival
    page.keyboard.type("checkout p99 latency is high")
    page.keyboard.press("Tab")
    assert focused(page) == "TEXTAREA#alert"
    page.keyboard.press("Tab")
    assert focused(page) == "INPUT#token"
    page.keyboard.type(TOKEN)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    first = page.locator("article.result").first
    assert first.locator("h2").inner_text() == "Checkout › Alert: CheckoutHighLatency"
    health = first.locator(".health").inner_text()
    assert "open finding" in health and "(did you mean checkout-api)" in health
    assert health.count("deployment `checkout` not found") == 1  # one line per distinct finding
    assert "1. Look at p99 per service" in first.locator("pre").inner_text()
    # from the form, Tab reaches the first result's link, and Enter would follow it
    page.locator("#q").focus()
    for _ in range(6):
        page.keyboard.press("Tab")
        if focused(page).startswith("A:"):
            break
    assert "Alert: CheckoutHighLatency" in focused(page)
    assert page.locator("article.result a").first.get_attribute("href") == \
        "https://runbooks.shop.example/services/checkout/#alert-checkouthighlatency"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "serve-search-page.png"))
    assert page.js_errors == [] and [u for u in page.requests if not u.startswith(service)] == []


def test_pasted_alert_payload(service, page):
    page.goto(service + "/")  # the token cookie from the first search is kept
    assert page.locator("#token").count() == 0
    page.locator("#alert").fill(json.dumps(am_payload(CHECKOUT_ALERT), indent=2))
    page.locator("#alert").focus()
    page.keyboard.press("Tab")  # to the Search button
    assert focused(page) == "BUTTON#"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    first = page.locator("article.result").first
    assert "Alert CheckoutHighLatency links here" in first.locator(".via").inner_text()
    # pasted alert text (not JSON) resolves through the rules' templates too
    page.goto(service + "/")
    page.locator("#alert").fill("p99 latency of checkout in checkout has been above 1.5s for 10 minutes.")
    with page.expect_navigation():
        page.locator("button[type=submit]").press("Enter")
    assert "Alert: CheckoutHighLatency" in page.locator("article.result h2").first.inner_text()


def test_output_is_escaped(service, page):
    hostile = '<img src=x onerror=alert(1)><script>alert(2)</script>'
    page.goto(service + "/")
    page.locator("#q").fill(hostile)
    with page.expect_navigation():
        page.locator("#q").press("Enter")
    assert page.locator("#q").input_value() == hostile
    assert page.locator("img").count() == 0 and page.dialogs == []
