"""Unknown owner: the runbook's `owner` or `team` is not a group, user or owner in the service catalog.

## What it does
Checks the front matter `owner` and `team` against the Backstage catalog: Group and User entities
(`team-payments`, `group:team-payments`, `group:default/team-payments`) and the `spec.owner` of every
entity. Runs only when a catalog file is among the manifests (or in `check.catalog`).

## Why it matters
Escalation starts from the owner. After a re-org, a runbook that still names a dissolved team sends
the page to nobody.

## Example
```yaml
owner: team-checkout
```
when the catalog has `team-checkout-platform`:
`runbooks/checkout.md:4:1  warning  RBH402  owner `team-checkout` is not known to the service catalog  (did you mean `team-checkout-platform`)`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity

ID = "RBH402"
NAME = "unknown-owner"
SEVERITY = Severity.warning
Options = NoOptions


def check(ctx: RuleContext) -> Iterator[Finding]:
    inv = ctx.inventory
    if "catalog" not in inv.sources_seen:
        return
    owners = inv.catalog_owners
    plain = {o.split(":", 1)[-1].split("/")[-1] for o in owners}
    for rb in ctx.runbooks:
        for ref in ctx.refs(rb, "owner"):
            name = ref.name.strip()
            if name in owners or name.split(":", 1)[-1].split("/")[-1] in plain:
                continue
            suggestion, _ = ctx.suggest(name, plain, renames=False)
            yield ctx.finding(rb.path, ref.line, ref.column, f"owner `{name}` is not known to the service catalog",
                              suggestion=suggestion, reference=f"owner/{name}", strength=ref.strength)
