"""`rbh ask`, `rbh check` and the site agree about one runbook: when its review is due, and what its
sections' anchors are.

Each of the three used to compute these itself, and they drifted: `rbh ask` showed no due date for a
runbook without `review_every` that `rbh check` (RBH401's `default_review_days`) and the site called
overdue. Now each calls the one home (`rbh.runbook.review_due`, `rbh.anchors`); this test runs the
three real commands on the same repository and compares what they say.
"""

from __future__ import annotations

import json
import re
import textwrap
from html import unescape

from ask_support import ask_json, cli, index
from conftest import build_site

MKDOCS_YML = """\
site_name: Agreement runbooks
site_url: https://runbooks.example.test/
docs_dir: runbooks
theme:
  name: material
  font: false
plugins:
  - rbh-health
"""

# no review_every: RBH401's default interval (365 days) decides the due date
DATABASE = """\
---
title: Orders database failover
service: orders-db
owner: team-data
last_reviewed: 2020-01-10
---
# Orders database failover

## Zurück auf den Primär-Server (EU)

Promote the replica in the EU region once the primary answers health checks again.

```bash
pg_ctl promote -D /var/lib/postgresql/data
```

## Verify the failover

Watch the replication lag dashboards until writes succeed.
"""

INDEX = """\
# Agreement runbooks

- [Fail back](database.md#zuruck-auf-den-primar-server-eu)
- [Somewhere](database.md#no-such-section)
"""

ANCHOR = "zuruck-auf-den-primar-server-eu"  # Python-Markdown's toc slugify, what MkDocs renders
DUE = "2021-01-09"  # 2020-01-10 + 365 days


def test_ask_check_and_site_agree_on_review_due_and_anchors(make_repo):
    repo = make_repo({"mkdocs.yml": MKDOCS_YML, "runbooks/database.md": DATABASE, "runbooks/index.md": INDEX})
    root = repo.root

    # rbh check: the review is overdue since DUE; the link to ANCHOR resolves, the other does not
    code, out, err = cli(["check", "--repo", str(root), "--format", "json", "--fail-on", "never"])
    assert code == 0, err
    findings = json.loads(out)["findings"]
    overdue = [f for f in findings if f["rule"] == "RBH401"]
    assert [(f["path"], f["message"].split(" (")[0]) for f in overdue] == [
        ("runbooks/database.md", f"review overdue since {DUE}")]
    anchors = [f for f in findings if f["rule"] == "RBH302"]
    assert [(f["path"], f["reference"]) for f in anchors] == [("runbooks/index.md", "anchor/database.md#no-such-section")]

    # rbh ask: the same due date, overdue, the same finding, and the section cited at ANCHOR
    index(root)
    answer = ask_json(root, "fail back to the primary server in the EU region")
    top = answer["results"][0]
    assert (top["path"], top["anchor"]) == ("runbooks/database.md", ANCHOR)
    assert top["freshness"]["review_due"] == DUE and top["freshness"]["overdue"] is True
    assert [f["message"].split(" (")[0] for f in top["findings"] if f["rule"] == "RBH401"] == [f"review overdue since {DUE}"]

    # the site: the page's heading has ANCHOR as its id, and the banner says overdue since DUE
    built = build_site(root, strict=False)
    assert built.returncode == 0, built.log
    page = built.html("database")
    assert f'id="{ANCHOR}"' in page
    text = re.sub(r"<[^>]+>", "", unescape(page))
    assert f"overdue since {DUE}" in text


def test_ask_shows_no_due_date_when_the_review_rule_is_off(make_repo):
    """RBH401 disabled: only a declared review_every makes a review due, in `rbh ask` as in the check."""
    rbh_yaml = textwrap.dedent("""\
        check:
          rules:
            RBH401: {enabled: false}
        """)
    repo = make_repo({"rbh.yaml": rbh_yaml, "runbooks/database.md": DATABASE})
    index(repo.root)
    top = ask_json(repo.root, "fail back to the primary server in the EU region")["results"][0]
    assert top["freshness"]["review_due"] is None and top["freshness"]["overdue"] is False
