"""Wrong namespace: the object exists, but not in the namespace the runbook gives.

## What it does
For every `kubectl` command with `-n/--namespace` and every in-cluster DNS name
(`<service>.<namespace>.svc`), checks that the named object exists in that namespace. When it exists
only in other namespaces, reports the namespace it is in now. Commands without a namespace (or with
`-A`) are not checked here.

Names in prose and inline code are reported as warnings, names in commands as errors (unless
the config sets a severity for the rule). When every manifest that defines the object leaves
`metadata.namespace` unset (and no kustomization places it), "it is in `default`" is only where a bare
`kubectl apply` would put it: `kubectl apply -n X -f` or an install script puts it in X, so the
finding is a warning that says so.

## Why it matters
Namespaces move when teams split services; a command against the old namespace fails with NotFound,
or worse, acts on a different object with the same name.

## Example
```bash
kubectl -n shop logs deploy/payments
```
when `payments` moved to namespace `payments`:
`runbooks/payments.md:20:27  error  RBH102  deployment `payments` is not in namespace `shop` (it is in `payments`)  (did you mean `payments`)`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.rules import _k8s
from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity

ID = "RBH102"
NAME = "wrong-namespace"
SEVERITY = Severity.error
PROSE_SEVERITY = Severity.warning  # when the name is in a sentence or inline code rather than a command
Options = NoOptions


def check(ctx: RuleContext) -> Iterator[Finding]:
    for rb, ref in _k8s.checkable_refs(ctx):
        if not ref.namespace or ref.all_namespaces or ref.resource == "Namespace":
            continue
        here, anywhere = _k8s.find(ctx.inventory, ref.resource, ref.name, ref.namespace)
        if here or not anywhere or _k8s.defined_elsewhere(ctx.inventory, ref):
            continue
        namespaces = sorted({getattr(o, "namespace", "") for o in anywhere})
        kind = _k8s.label(ref.resource)
        listed = ", ".join(f"`{n}`" for n in namespaces)
        unset = all(getattr(o, "namespace", "") == "default" and (ref.resource, o.name, o.loc.path) in ctx.inventory.namespace_unset
                    for o in anywhere)
        note = " (its manifest sets no namespace: the one `kubectl apply -n` gives wins)" if unset else ""
        yield ctx.finding(rb.path, ref.line, ref.column,
                          f"{kind} `{ref.name}` is not in namespace `{ref.namespace}` (it is in {listed}){note}",
                          suggestion=namespaces[0] if len(namespaces) == 1 and not unset else None,
                          reference=f"{kind}/{ref.name} -n {ref.namespace}", strength=ref.strength,
                          severity=Severity.warning if unset else None)
