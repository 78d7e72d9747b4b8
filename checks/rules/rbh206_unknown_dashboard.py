"""Unknown dashboard: a dashboard uid (front matter `dashboards:` or a Grafana `/d/<uid>` link) that no dashboard defines.

## What it does
Collects dashboard uids from the front matter and from Grafana links (`https://grafana.example.com/d/<uid>/...`)
and checks them against the Grafana dashboard JSON among the manifests (plain, `{"dashboard": ...}`
wrapped, or in a ConfigMap). Runs only when at least one dashboard is in the inventory.

## Why it matters
"Open the checkout dashboard" is the first diagnosis step of most runbooks; a dead link sends the
responder browsing Grafana folders during the incident.

## Example
```yaml
dashboards: [checkout-overview]
```
when the dashboard's uid is `checkout-golden-signals`:
`runbooks/checkout.md:7:1  warning  RBH206  dashboard `checkout-overview` is not defined by any dashboard file  (did you mean `checkout-golden-signals`)`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity

ID = "RBH206"
NAME = "unknown-dashboard"
SEVERITY = Severity.warning
Options = NoOptions


def check(ctx: RuleContext) -> Iterator[Finding]:
    inv = ctx.inventory
    if not inv.dashboards:
        return
    uids = {d.uid for d in inv.dashboards}
    for rb in ctx.runbooks:
        for ref in ctx.refs(rb, "dashboard"):
            if ref.name in uids:
                continue
            suggestion, _ = ctx.suggest(ref.name, uids, renames=False)
            yield ctx.finding(rb.path, ref.line, ref.column, f"dashboard `{ref.name}` is not defined by any dashboard file",
                              suggestion=suggestion, reference=f"dashboard/{ref.name}", strength=ref.strength)
