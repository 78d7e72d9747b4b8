"""Alert not defined: the runbook's front matter lists an alert that no alerting rule defines.

## What it does
Checks every name under `alerts:` in the front matter (and every `ALERTS{alertname="..."}` selector
in the runbook's PromQL) against the alerts of all PrometheusRule resources and rule files. Reports
the commit that removed or renamed the alert when the manifests' history shows it. Runs only when at
least one rule file is configured.

## Why it matters
`rbh ask` and the alert lookup route a firing alert to its runbook by these names. A runbook for an
alert that no longer fires is dead weight; one whose alert was renamed is no longer found when paged.

## Example
```yaml
alerts: [PaymentsProviderErrors]
```
after the alert was deleted:
`runbooks/payments.md:4:1  error  RBH201  front matter lists alert `PaymentsProviderErrors`, which is not defined in any alerting rule (removed in 1a2b3c4d)`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity

ID = "RBH201"
NAME = "alert-not-defined"
SEVERITY = Severity.error
Options = NoOptions


def check(ctx: RuleContext) -> Iterator[Finding]:
    inv = ctx.inventory
    if "prometheus" not in inv.sources_seen:
        return
    names = inv.alert_names
    for rb in ctx.runbooks:
        seen: set[tuple[str, int]] = set()
        for ref in ctx.refs(rb, "alert"):
            if ref.name in names or (ref.name, ref.line) in seen:
                continue
            seen.add((ref.name, ref.line))
            suggestion, source, note = ctx.hint(ref.name, names, calibrated=True)
            where = "front matter lists" if ref.strength == "front-matter" else "query selects"
            yield ctx.finding(rb.path, ref.line, ref.column,
                              f"{where} alert `{ref.name}`, which is not defined in any alerting rule{note}",
                              suggestion=suggestion, suggestion_source=source, reference=f"alert/{ref.name}",
                              strength=ref.strength)
