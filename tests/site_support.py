"""Shared helpers for the docs-site tests: serve a built site on loopback, drive headless Chromium.

Debian's Chromium through Playwright (no browser download); scripts/ensure-chromium.sh installs it.
"""

from __future__ import annotations

import functools
import http.server
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - keep the test output clean
        pass


def require_chromium():
    """Skip the calling test module unless Debian's Chromium and Playwright are here; Playwright's
    sync API otherwise (call at module level)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (make test installs it: scripts/ensure-chromium.sh)",
                    allow_module_level=True)
    return pytest.importorskip("playwright.sync_api", reason="browser tests need playwright: pip install -e '.[test]'")


@contextmanager
def serving(site: Path):
    """Serve *site* on 127.0.0.1 (a free port) from a thread; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def chromium(profile: Path, width: int = 1280, height: int = 860, color_scheme: str = "light"):
    """Headless Chromium; yields ``new_page()``. Each page records JS errors, dialogs and requests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height}, color_scheme=color_scheme,
        )
        context.set_default_timeout(15_000)

        def new_page():
            page = context.new_page()
            page.js_errors, page.dialogs, page.requests = [], [], []
            page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
            page.on("request", lambda req: page.requests.append(req.url))

            def on_dialog(dialog):
                page.dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", on_dialog)
            return page

        try:
            yield new_page
        finally:
            context.close()


def shot(page, name: str, full_page: bool = False) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def browser_test(func):
    """Mark a test as a browser test, skipped where Debian's chromium or playwright is missing."""
    import importlib.util

    import pytest

    missing = not Path(CHROMIUM).exists() or importlib.util.find_spec("playwright") is None
    skip = pytest.mark.skipif(missing, reason=f"browser tests need Debian's chromium at {CHROMIUM} and playwright "
                                              "(scripts/ensure-chromium.sh, pip install -e '.[test]')")
    return pytest.mark.browser(skip(func))
