"""Service without runbook: a catalog component or a workload that no runbook covers.

## What it does
Lists catalog `Component` entities and workloads (Deployments, StatefulSets, DaemonSets, CronJobs by
default; option `kinds`) that no runbook is about. A runbook is about a service when its front matter
`service` names it, its commands or URLs name the object, or its file name is the service's name; a
workload also counts as covered through its `app`/`app.kubernetes.io/*` labels or its namespace, and
through any of the names and namespaces kustomizations build it into.
Findings point at the manifest and are informational.

## Why it matters
The first page for a new service should not be the moment someone discovers it has no runbook.

## Example
`manifests/recommendations/deployment.yaml:1:1  info  RBH403  deployment `recommendations` (namespace `shop`) has no runbook`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.rule import Finding, RuleContext, RuleOptions, Severity
from rbh.checks.rules._coverage import covered_names, service_names

ID = "RBH403"
NAME = "service-without-runbook"
SEVERITY = Severity.info


class Options(RuleOptions):
    kinds: list[str] = ["Component", "Deployment", "StatefulSet", "DaemonSet", "CronJob"]


def check(ctx: RuleContext) -> Iterator[Finding]:
    inv = ctx.inventory
    kinds = set(ctx.options.kinds)
    covered: set[str] = set()
    for rb in ctx.runbooks:
        covered |= covered_names(rb, ctx.refs(rb))
    if not ctx.runbooks:
        return
    for entity in inv.catalog:
        if entity.kind in kinds and entity.kind == "Component" and not ({entity.name, entity.system} & covered):
            yield ctx.finding(entity.loc.path, entity.loc.line, 1, f"catalog component `{entity.name}` has no runbook",
                              reference=f"component/{entity.name}", strength="manifest")
    # one declaration built into several namespaces or names (kustomize overlays, namePrefix) is one
    # workload: a runbook about any of its builds covers it
    built_covered = {(w.loc.path, w.loc.line) for w in inv.workloads
                     if w.kind in kinds and (service_names(w) & covered or w.namespace in covered)}
    for w in inv.workloads:
        if w.kind not in kinds or (w.loc.path, w.loc.line) in built_covered:
            continue
        yield ctx.finding(w.loc.path, w.loc.line, 1, f"{w.kind.lower()} `{w.name}` (namespace `{w.namespace}`) has no runbook",
                          reference=f"{w.kind.lower()}/{w.namespace}/{w.name}", strength="manifest")
