"""Manifests changed since the runbook: the service's manifests have commits newer than the runbook's last change.

## What it does
Finds the manifest files of the runbook's services (front matter `service`, matched by name and
`app`/`app.kubernetes.io/*` labels) and of the objects its commands name, and compares their last
commit with the runbook's last commit (one pass over git history). When a manifest changed later,
reports the newest such change, informationally. Changes within `grace_days` (default 1) of the
runbook's own last change count as the same piece of work. Needs git; on a shallow clone the dates may be
incomplete and a notice says so.

## Why it matters
Most drift starts as a manifest change nobody mirrored into the runbook. This is the prompt to
re-read the runbook after a deploy change, before the next incident does it for you.

## Example
`runbooks/checkout.md:1:1  info  RBH404  manifests of this runbook's services changed after it: `manifests/checkout/deployment.yaml` in 1a2b3c4d (2026-03-02); runbook last changed in 5e6f7a8b (2026-01-15)`
"""

from __future__ import annotations

from typing import Iterator

import datetime as dt

from pydantic import Field

from rbh.checks.references import front_matter_line
from rbh.checks.rule import Finding, RuleContext, RuleOptions, Severity
from rbh.checks.rules._coverage import objects_of

ID = "RBH404"
NAME = "manifests-changed-since-runbook"
SEVERITY = Severity.info


class Options(RuleOptions):
    # manifest changes this soon after the runbook's own last change count as the same piece of work
    grace_days: int = Field(1, ge=0)


def check(ctx: RuleContext) -> Iterator[Finding]:
    if ctx.repo is None:
        return
    changes = None
    grace = dt.timedelta(days=ctx.options.grace_days)
    for rb in ctx.runbooks:
        if rb.git is None:
            continue
        services = {str(s) for s in rb.front_matter.service}
        objs = objects_of(ctx.inventory, services, ctx.refs(rb, "k8s", "dns"))
        if not objs:
            continue
        if changes is None:
            changes = ctx.manifest_changes
        newer = []
        for path in sorted({o.loc.path for o in objs}):
            info = changes.get(path)
            if info is not None and info.date > rb.git.date + grace and info.sha != rb.git.sha:
                newer.append((info.date, path, info))
        if not newer:
            continue
        _, path, info = max(newer)
        more = f" and {len(newer) - 1} more file{'s' if len(newer) > 2 else ''}" if len(newer) > 1 else ""
        line = front_matter_line(rb, "service") if services else 1
        yield ctx.finding(rb.path, line, 1,
                          f"manifests of this runbook's services changed after it: `{path}` in {info.short} ({info.date.date().isoformat()}){more}; "
                          f"runbook last changed in {rb.git.short} ({rb.git.date.date().isoformat()})",
                          reference="manifests-changed", strength="git")
