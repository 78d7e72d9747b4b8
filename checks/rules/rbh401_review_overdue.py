"""Review overdue: the runbook's `last_reviewed` date plus its review interval lies in the past.

## What it does
Reads `last_reviewed` and `review_every` (days or a duration such as `90d`, `12w`, `6 months`) from
the front matter. When `review_every` is missing, `default_review_days` applies (365 by default; set
it to null to check only runbooks that declare an interval). With `require_last_reviewed: true`,
runbooks without `last_reviewed` are reported too.

## Why it matters
Review dates are how a team says "someone walked through this recently". An overdue review is a
cheap, early signal that the page may no longer match reality, before a responder finds out.

## Example
```yaml
last_reviewed: 2025-01-10
review_every: 90d
```
`runbooks/cart.md:5:1  warning  RBH401  review overdue since 2025-04-10 (last reviewed 2025-01-10, every 90 days)`
"""

from __future__ import annotations

from typing import Iterator

from pydantic import Field

from rbh.checks.references import front_matter_line
from rbh.checks.rule import Finding, RuleContext, RuleOptions, Severity

ID = "RBH401"
NAME = "review-overdue"
SEVERITY = Severity.warning


class Options(RuleOptions):
    default_review_days: int | None = Field(365, ge=1)
    require_last_reviewed: bool = False


def check(ctx: RuleContext) -> Iterator[Finding]:
    for rb in ctx.runbooks:
        if not rb.text:
            continue
        fm = rb.front_matter
        if fm.last_reviewed is None:
            if ctx.options.require_last_reviewed:
                yield ctx.finding(rb.path, 1, 1, "runbook has no `last_reviewed` date in its front matter",
                                  reference="review/missing", strength="front-matter")
            continue
        every = fm.review_every or ctx.options.default_review_days
        due = fm.review_due(ctx.options.default_review_days)
        if due is None or due >= ctx.today:
            continue
        yield ctx.finding(rb.path, front_matter_line(rb, "last_reviewed"), 1,
                          f"review overdue since {due.isoformat()} (last reviewed {fm.last_reviewed.isoformat()}, every {every} days)",
                          reference="review/overdue", strength="front-matter")
