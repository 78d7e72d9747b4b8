"""Unknown container: `-c/--container` names a container the target's pod template does not have.

## What it does
For `kubectl logs/exec/attach/debug ... -c NAME`, resolves the target (a workload, a Service's
selected pods, a StatefulSet pod such as `postgres-0`, or pods chosen with `-l`) and checks that its
pod template has a container or init container of that name.

Names in prose and inline code are reported as warnings, names in commands as errors (unless
the config sets a severity for the rule).

## Why it matters
Sidecars get added, main containers renamed (`app` -> `checkout`). `container not found` during an
incident sends the responder to `kubectl describe` instead of the logs they needed.

## Example
```bash
kubectl -n checkout logs deploy/checkout -c app
```
when the container is now called `checkout`:
`runbooks/checkout.md:30:42  error  RBH103  container `app` not found in deployment `checkout` (containers: checkout, istio-proxy)  (did you mean `checkout`)`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.rules import _k8s
from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity

ID = "RBH103"
NAME = "unknown-container"
SEVERITY = Severity.error
PROSE_SEVERITY = Severity.warning  # when the name is in a sentence or inline code rather than a command
Options = NoOptions


def check(ctx: RuleContext) -> Iterator[Finding]:
    for rb, ref in _k8s.cluster_refs(ctx, "k8s"):
        targets = _k8s.workloads_behind(ctx.inventory, ref) if ref.container else None
        if not targets:
            continue
        names = sorted({c.name for w in targets for c in w.containers})
        if not names or ref.container in names:
            continue
        target = f"{_k8s.label(ref.resource)} `{ref.name}`" if ref.name else f"pods selected by `{','.join(f'{k}={v}' for k, v in ref.selector.items())}`"
        suggestion, source = ctx.suggest(ref.container, names)
        if suggestion is None and len(names) == 1:
            suggestion = names[0]
        yield ctx.finding(rb.path, ref.line, ref.container_column or ref.column,
                          f"container `{ref.container}` not found in {target} (containers: {', '.join(names)})",
                          suggestion=suggestion, suggestion_source=source,
                          reference=f"{ref.resource}/{ref.name} -c {ref.container}", strength=ref.strength)
