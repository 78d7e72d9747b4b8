"""The example platform's docs site, built for real with ``mkdocs build --strict``.

Heading anchors are a contract: alert ``runbook_url`` annotations and ``rbh ask`` citations link
to ``page/#anchor``, computed by rbh's parser; MkDocs must produce exactly the same ids.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import PurePosixPath

from rbh.project import load_project
from rbh.runbook import parse_runbook


class _HeadingIds(HTMLParser):
    """Ids of h1-h6 inside the page's article, in document order."""

    def __init__(self):
        super().__init__()
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag):
            attrs = dict(attrs)
            if "id" in attrs:
                self.ids.append(attrs["id"])


def article(html: str) -> str:
    return html.split('<article class="md-content__inner md-typeset">', 1)[1].split("</article>", 1)[0]


def page_url(docs_rel: str) -> str:
    """MkDocs' directory URL of a markdown file (use_directory_urls: true)."""
    p = PurePosixPath(docs_rel)
    parent = "" if str(p.parent) == "." else f"{p.parent}/"
    return parent if p.stem in ("index", "README") else f"{parent}{p.stem}/"


def test_example_site_builds_strict(example_site):
    assert example_site.returncode == 0, example_site.log
    assert "rbh-health: " in example_site.log and "runbooks checked: 0 stale" in example_site.log


def test_heading_anchors_match_the_parser_on_every_page(example_site):
    assert example_site.returncode == 0, example_site.log
    docs = example_site.root / "runbooks"
    pages = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.md"))
    assert len(pages) >= 20
    for rel in pages:  # every page, runbook or not (home page, conventions)
        rb = parse_runbook(f"runbooks/{rel}", (docs / rel).read_bytes())
        parser = _HeadingIds()
        parser.feed(article(example_site.html(page_url(rel))))
        assert parser.ids == [h.anchor for h in rb.headings], rel


def test_every_runbook_page_has_a_banner_and_the_example_has_no_stale_runbook(example_site):
    runbooks = load_project(example_site.root).load_runbooks()
    statuses = {}
    for rb in runbooks:
        docs_rel = rb.path.removeprefix("runbooks/")
        html = article(example_site.html(page_url(docs_rel)))
        m = re.search(r'<aside class="rbh-banner rbh-banner--(\w+)"', html)
        if docs_rel == "index.md":  # the home page is excluded in mkdocs.yml
            assert m is None
            continue
        assert m, rb.path
        statuses[rb.path] = m.group(1)
    assert "error" not in statuses.values(), {p: s for p, s in statuses.items() if s == "error"}
    assert "unknown" not in statuses.values()


def test_example_alert_index_every_alert_has_a_working_runbook_link(example_site):
    html = article(example_site.html("alerts/"))
    rows = re.findall(r'<tr id="alert-(\w+)" data-rbh-state="([\w-]+)">', html)
    assert len(rows) >= 20
    assert [r for r in rows if r[1] != "ok"] == []


def test_plugin_pages_and_banners_stay_out_of_search_and_runbooks_carry_their_alerts(example_site):
    """Issue 17: "Alert index" topped searches for symptoms; the plugin's pages are not in the index."""
    import json

    index = json.loads((example_site.site / "search" / "search_index.json").read_text())
    texts = " ".join(d["text"] for d in index["docs"])
    assert "against the current manifests and alert rules" not in texts  # banners are data-search-exclude
    locations = {d["location"].split("#")[0] for d in index["docs"]}
    assert not locations & {"health/", "alerts/", "checks/"}
    checkout = next(d for d in index["docs"] if d["location"] == "services/checkout/")
    assert {"CheckoutHighLatency", "checkout"} <= set(checkout["tags"])


def test_checks_page_documents_every_rule_and_banners_link_to_it(example_site, drift_site):
    from rbh.checks.ruledocs import all_docs, rule_anchor

    ids = _HeadingIds()
    ids.feed(article(example_site.html("checks/")))
    docs = all_docs()
    assert [a for a in ids.ids if a.startswith("rbh")] == [rule_anchor(d) for d in docs]
    assert article(example_site.html("checks/")).count("Why it matters") == len(docs)
    banner = drift_site.html("services/checkout/")
    assert '<span class="rbh-rule"><a href="../../checks/#rbh101-unknown-workload">RBH101 unknown-workload</a></span>' in banner
