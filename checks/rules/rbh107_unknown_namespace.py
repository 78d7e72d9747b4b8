"""Unknown namespace: a command targets a namespace in which no manifest puts anything.

## What it does
For `kubectl` commands whose target is not a single named object (`get pods -n NS`, `top pod -n NS`,
`logs -l app=x -n NS`), checks that some manifest defines the namespace or an object in it. Named
objects in a wrong namespace are reported by RBH102 instead. The namespaces every cluster has
(`default`, `kube-system`, `kube-public`, `kube-node-lease`) are never reported, nor a namespace the
runbook made on an earlier line (`kubectl create namespace`, an applied file declaring it) or installed
something into from outside the repository (`helm install REL CHART -n NS`, `kubectl apply -n NS -f URL`),
nor a namespace the repository's alert rules give as a fixed `namespace` label: the rules say their
subject runs there (an operator's operands, in the namespace its users pick, which no manifest declares).

## Why it matters
A command against a namespace that no longer exists returns "No resources found", which reads like
"nothing is running" during an incident.

## Example
```bash
kubectl get pods -n shop-payments
```
`runbooks/payments.md:15:18  warning  RBH107  namespace `shop-payments` is not defined by any manifest  (did you mean `payments`)`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.references import Reference
from rbh.checks.rules import _k8s
from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity

ID = "RBH107"
NAME = "unknown-namespace"
SEVERITY = Severity.warning
Options = NoOptions


def check(ctx: RuleContext) -> Iterator[Finding]:
    inv = ctx.inventory
    seen: set[tuple[str, int, str]] = set()
    # the namespace an alert rule labels its alerts with: the rule's subject runs there
    alerted = {ns for a in inv.alerts if isinstance(ns := a.labels.get("namespace"), str) and "{{" not in ns}
    for rb, ref in _k8s.cluster_refs(ctx, "k8s"):
        ns = ref.namespace
        if not ns or ns in inv.namespaces or ns in alerted or ns in _k8s.BUILTIN_NAMESPACES or ref.all_namespaces or (rb.path, ref.line, ns) in seen:
            continue
        if _k8s.checkable(inv, ref) and ref.resource != "Namespace":
            continue  # a named object: RBH101/RBH102 say more
        if _k8s.made_here(ctx, rb, ref) or _k8s.made_here(ctx, rb, Reference("k8s", ns, rb.path, ref.line, ref.column, resource="Namespace")):
            continue  # the runbook made the namespace, or installed something into it from elsewhere
        seen.add((rb.path, ref.line, ns))
        suggestion, source = ctx.suggest(ns, inv.namespaces)
        yield ctx.finding(rb.path, ref.line, ref.column, f"namespace `{ns}` is not defined by any manifest",
                          suggestion=suggestion, suggestion_source=source, reference=f"namespace/{ns}",
                          strength=ref.strength)
