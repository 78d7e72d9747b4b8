"""Selector matches nothing: a `-l/--selector` label query that selects no pod template.

## What it does
For `kubectl ... -l key=value[,key=value]`, checks that at least one workload's pod template (or, for
`get svc -l`, a Service) in the given namespace (any namespace when none is given) carries all those
labels. Suggests the closest existing value for the first label key that fails. A selector over
another kind (`kubectl get nodes -l`, `kubectl taint node ... -l`, `get pvc -l`) is not checked: no pod
template carries those labels (a node's come from its cloud provider).

## Why it matters
An empty selector result looks like "no pods running", which during an incident is a misleading
signal; the real cause is a relabelled deployment (`app=checkout` -> `app.kubernetes.io/name=checkout`).

## Example
```bash
kubectl -n checkout get pods -l app=checkout-web
```
`runbooks/checkout.md:8:1  warning  RBH104  selector `app=checkout-web` matches no pod template in namespace `checkout`  (did you mean `app=checkout`)`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.rules import _k8s
from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity
from rbh.checks.suggest import nearest

ID = "RBH104"
NAME = "selector-matches-nothing"
SEVERITY = Severity.warning
Options = NoOptions
_NODE_VERBS = frozenset({"taint", "cordon", "uncordon", "drain"})  # `kubectl taint node KEY:EFFECT -l ...` selects nodes
# kinds whose labels a pod template or a Service carries (Endpoints copy their Service's); `all` is pods,
# services and workloads; None: the command did not say (`kubectl logs -l`)
_JUDGED = frozenset({None, "all", "Service", "Endpoints", *_k8s.POD_KINDS})


def check(ctx: RuleContext) -> Iterator[Finding]:
    inv = ctx.inventory
    for rb, ref in _k8s.cluster_refs(ctx, "k8s"):
        if not ref.selector or any(not v for v in ref.selector.values()):
            continue
        if ref.resource not in _JUDGED or (ref.resource is None and ref.verb in _NODE_VERBS):
            continue  # nodes, claims, config ...: their labels are on no pod template (a node's come from its cloud)
        ns = None if ref.all_namespaces else ref.namespace
        if _k8s.selector_matches(inv, ref.selector, ns):
            continue
        labelled = [*(w.labels for w in inv.pod_templates(ns)), *(s.labels for s in inv.services if ns is None or s.namespace == ns)]
        if any(all(lbl.get(k) == v for k, v in ref.selector.items()) for lbl in labelled):
            continue
        text = ",".join(f"{k}={v}" for k, v in ref.selector.items())
        suggestion = None
        for key, value in ref.selector.items():
            near = nearest(value, {label for w in inv.pod_templates(ns) if (label := w.pod_labels.get(key)) is not None})
            if near:
                suggestion = text.replace(f"{key}={value}", f"{key}={near}")
                break
        where = f" in namespace `{ns}`" if ns else ""
        yield ctx.finding(rb.path, ref.line, ref.column, f"selector `{text}` matches no pod template{where}",
                          suggestion=suggestion, reference=f"-l {text} -n {ns or ''}", strength=ref.strength)
