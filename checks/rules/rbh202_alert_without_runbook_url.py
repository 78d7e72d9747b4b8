"""Alert without runbook_url: an alerting rule whose annotations do not link a runbook.

## What it does
Reports alerts (in PrometheusRule resources and rule files) without a `runbook_url` annotation. The
`severities` option limits the check to alerts whose `severity` label is in the list (for example only
`critical` pages); by default every alert is checked. The same rule written in two files (a rule file also shipped in a ConfigMap's
data, or as a PrometheusRule of the same rules) is one rule: reported once, at the plain file, with
the copies named.

## Why it matters
The page is where a responder starts. An alert without a runbook link leaves them searching a wiki
while the incident runs; most teams require the link for paging alerts.

## Example
```yaml
- alert: CartRedisDown
  expr: redis_up{job="cart-redis"} == 0
  labels: {severity: critical}
```
`manifests/alerts/cart.yaml:12:1  warning  RBH202  alert `CartRedisDown` (severity critical) has no runbook_url annotation`

and, when the chart also ships that rule file in a ConfigMap:
`manifests/alerts/cart.yaml:12:1  warning  RBH202  alert `CartRedisDown` (severity critical) has no runbook_url annotation (the same rule is also at deploy/rendered.yaml:40)`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.rule import Finding, RuleContext, RuleOptions, Severity
from rbh.checks.rules._alerts import also_at

ID = "RBH202"
NAME = "alert-without-runbook-url"
SEVERITY = Severity.warning


class Options(RuleOptions):
    severities: list[str] | None = None  # only alerts with these severity labels; None = all


def check(ctx: RuleContext) -> Iterator[Finding]:
    wanted = {s.lower() for s in ctx.options.severities} if ctx.options.severities is not None else None
    for alert in ctx.inventory.alerts:
        if alert.runbook_url:
            continue
        sev = (alert.severity or "").lower()
        if wanted is not None and sev not in wanted:
            continue
        label = f" (severity {alert.severity})" if alert.severity else ""
        yield ctx.finding(alert.loc.path, alert.loc.line, 1, f"alert `{alert.name}`{label} has no runbook_url annotation{also_at(alert)}",
                          reference=f"alert/{alert.name}", strength="manifest")
