"""Manifest unreadable: a manifest file or document the inventory could not use.

## What it does
Reports manifest files that are not valid YAML or JSON, YAML alias bombs (documents whose aliases
expand beyond a bound), unrendered Helm templates, documents without `kind` or `apiVersion`, objects
without a name, rules that are neither alerts nor recordings, and files over the size limit. The
unrendered templates of one Helm chart are reported once, at the chart's `Chart.yaml` (below). Files that
a broad glob takes but that are no manifests are left alone: Grafana provisioning files (`apiVersion: 1`
without `kind`), an Alertmanager config's own `{{ template ... }}` (top-level `route:` and
`receivers:`), Kustomize's `kustomization.yaml`, a JSON patch (RFC 6902) written as YAML (a list of
`- op: add|remove|replace|move|copy|test` with a `path`, as kustomize patches and operator-sdk's
scorecard `patches/*.config.yaml` are): it changes a manifest, it is none.

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

## Unrendered Helm charts: one finding per chart
rbh does not render templates. A template file (`{{ ... }}`) is skipped with a warning; when two or
more skipped templates belong to one Helm chart (the nearest folder above them holding `Chart.yaml`
or `Chart.yml`; a subchart under `charts/` is a chart of its own), that chart gets one warning at its
`Chart.yaml`, line 1, instead of one per file, in every output format:

`resources/eventing/Chart.yaml:1:1  warning  RBH002  Helm chart resources/eventing: 23 unrendered
template files skipped (e.g. templates/deployment.yaml:12); render it with 'helm template' and point
manifests.include at the output, or add 'resources/eventing/**' to manifests.exclude`

A template outside any chart, or alone in its chart, keeps its own warning at its file and line.
The finding's identity (baseline key, SARIF and GitLab fingerprints) is the chart folder, not the
count: a template added to a baselined chart stays known debt. Upgrading from per-file warnings, a
baseline that lists every skipped template of a chart still covers that chart's one warning (the old
entries are used up, not reported as fixed debt); `rbh check --write-baseline` rewrites them as one
entry. With `--changed-since` the chart's warning is reported when `Chart.yaml` or any of its skipped
templates is in scope. To hide it inline, put `# rbh: disable RBH002` in the chart's `Chart.yaml`.
"""

from __future__ import annotations

import posixpath
from typing import Iterator

from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity
from rbh.inventory import FileProblem

ID = "RBH002"
NAME = "manifest-unreadable"
SEVERITY = Severity.error
Options = NoOptions


CHART_FILES = ("Chart.yaml", "Chart.yml")


def check(ctx: RuleContext) -> Iterator[Finding]:
    by_chart: dict[str, list[FileProblem]] = {}
    for p in ctx.inventory.problems:
        chart = _chart_file(p.path, ctx.files) if p.code == "template" else None
        if chart is not None:
            by_chart.setdefault(chart, []).append(p)
    grouped = {id(p) for skipped in by_chart.values() if len(skipped) > 1 for p in skipped}
    for p in ctx.inventory.problems:
        if id(p) not in grouped:
            yield _one(ctx, p)
    for chart, skipped in sorted(by_chart.items()):
        if len(skipped) > 1:
            yield _chart_finding(ctx, chart, skipped)


def _one(ctx: RuleContext, p: FileProblem) -> Finding:
    return ctx.finding(p.path, p.line, 1, p.message, severity=Severity.parse(p.severity),
                       reference=f"{p.code}:{p.message}", strength="manifest")


def _chart_file(path: str, files: set[str]) -> str | None:
    """The ``Chart.yaml`` of the nearest folder above *path* that holds one (Helm's own rule: a
    subchart in ``charts/`` is a chart of its own), or None outside any chart."""
    folder = posixpath.dirname(path)
    while folder:
        for name in CHART_FILES:
            if f"{folder}/{name}" in files:
                return f"{folder}/{name}"
        folder = posixpath.dirname(folder)
    for name in CHART_FILES:  # a chart at the repository root
        if name in files:
            return name
    return None


def _chart_finding(ctx: RuleContext, chart: str, skipped: list[FileProblem]) -> Finding:
    """One warning for the skipped templates of one chart. Its reference names the chart folder and
    not the count, so its fingerprint holds while templates come and go; ``extra["replaces"]`` keeps
    the per-file fingerprints it stands for, so a baseline written before (one entry per template)
    still covers it (``checks.baseline.Baseline.apply``)."""
    folder = posixpath.dirname(chart)
    skipped = sorted(skipped, key=lambda p: (p.path, p.line))
    first = skipped[0]
    where = posixpath.relpath(first.path, folder) if folder else first.path
    name = folder or "at the repository root"
    exclude = f"{folder}/**" if folder else "templates/**"
    message = (f"Helm chart {name}: {len(skipped)} unrendered template files skipped (e.g. {where}:{first.line}); "
               f"render it with 'helm template' and point manifests.include at the output, "
               f"or add '{exclude}' to manifests.exclude")
    sev = max(Severity.parse(p.severity) for p in skipped)
    finding = ctx.finding(chart, 1, 1, message, severity=sev, reference=f"template-chart:{folder or '.'}",
                          strength="manifest")
    finding.extra["replaces"] = sorted({_one(ctx, p).fingerprint for p in skipped})
    finding.extra["files"] = [p.path for p in skipped]
    return finding
