"""Manifest unreadable: a manifest file or document the inventory could not use.

## What it does
Reports manifest files that are not valid YAML or JSON, YAML alias bombs (documents whose aliases
expand beyond a bound), unrendered Helm templates, documents without `kind` or `apiVersion`, objects
without a name, rules that are neither alerts nor recordings, and files over the size limit. Files that
a broad glob takes but that are no manifests are left alone: Grafana provisioning files (`apiVersion: 1`
without `kind`), an Alertmanager config's own `{{ template ... }}` (top-level `route:` and
`receivers:`), Kustomize's `kustomization.yaml`.

## Why it matters
Every staleness check compares runbooks with the inventory. A manifest that silently drops out makes
its objects look deleted (false alarms) or hides real drift. Naming the file and line keeps the
inventory honest.

## Example
```yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
    labels: {app: checkout}
```
`manifests/checkout.yaml:5:1  error  RBH002  not valid YAML: mapping values are not allowed in this context`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity

ID = "RBH002"
NAME = "manifest-unreadable"
SEVERITY = Severity.error
Options = NoOptions


def check(ctx: RuleContext) -> Iterator[Finding]:
    for p in ctx.inventory.problems:
        yield ctx.finding(p.path, p.line, 1, p.message, severity=Severity.parse(p.severity),
                          reference=f"{p.code}:{p.message}", strength="manifest")
