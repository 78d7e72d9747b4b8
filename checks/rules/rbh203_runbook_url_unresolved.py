"""runbook_url does not resolve: an alert links a runbook file or anchor that does not exist.

## What it does
Maps each alert's `runbook_url` onto a file of this repository using `check.runbook_urls.prefixes`
(URL prefix -> folder; `*` matches one segment such as a branch) and checks that the file exists and,
when the URL has a `#fragment`, that the runbook has a heading with that anchor (MkDocs or GitHub
style). MkDocs and Hugo page URLs (`.../checkout/high-latency/`), `.html` pages and GitHub-blob URLs
are understood; templates (`{{ $labels.x }}`) match any file. `case_insensitive: true` in the
config compares paths case-insensitively. URLs outside every configured prefix are not checked.

## Why it matters
A responder clicks the link in the page. A 404 there, or a link to the top of a long page instead of
the section, costs the first minutes of an incident.

## Example
```yaml
annotations:
  runbook_url: https://runbooks.example.com/payments/provider-errors/#mitigation
```
when the runbook was renamed:
`manifests/alerts/payments.yaml:14:1  error  RBH203  runbook_url of alert `PaymentsProviderErrors` points to `runbooks/payments/provider-errors.md`, which does not exist  (did you mean `runbooks/payments/provider-failures.md`)`
"""

from __future__ import annotations

from typing import Iterator

from checks.model import Finding, Severity
from checks.rules._base import NoOptions, RuleContext, nearest

ID = "RBH203"
NAME = "runbook-url-unresolved"
SEVERITY = Severity.error
Options = NoOptions


def check(ctx: RuleContext) -> Iterator[Finding]:
    resolver = ctx.url_resolver
    for alert in ctx.inventory.alerts:
        url = alert.runbook_url
        if not url:
            continue
        line = alert.annotation_lines.get("runbook_url", alert.loc.line)
        for res in resolver.resolve_all(url):
            yield from _check_one(ctx, alert, res, line)


def _check_one(ctx: RuleContext, alert, res, line: int) -> Iterator[Finding]:
    if not res.managed:
        return
    if res.found is None:
        if res.templated and not res.candidates:
            return
        target = res.candidates[0] if res.candidates else res.url
        suggestion = nearest(target, ctx.runbook_paths, cutoff=0.75) if res.candidates else None
        yield ctx.finding(alert.loc.path, line, 1,
                          f"runbook_url of alert `{alert.name}` points to `{target}`, which does not exist",
                          suggestion=suggestion, reference=f"runbook_url/{alert.name}", strength="manifest")
        return
    if res.anchor and not res.templated:
        anchors = ctx.anchors_of(res.found)
        if anchors is not None and res.anchor not in anchors and res.anchor.lower() not in {a.lower() for a in anchors}:
            yield ctx.finding(alert.loc.path, line, 1,
                              f"runbook_url of alert `{alert.name}` points to anchor `#{res.anchor}`, which `{res.found}` does not have",
                              suggestion=nearest(res.anchor, anchors), reference=f"runbook_url/{alert.name}#",
                              strength="manifest")
