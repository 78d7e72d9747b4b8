"""Port not exposed: a port-forward or in-cluster URL uses a port the Service or pod does not expose.

## What it does
For `kubectl port-forward svc/NAME LOCAL:REMOTE` checks REMOTE against the Service's ports; for
`port-forward deploy/NAME` or a pod, against the containers' ports (those of every manifest that
declares the same object: a patch file adding a port to a Deployment counts, also for the copies a
kustomization builds from it; a workload that declares no port at all is not judged). For in-cluster URLs
(`http://payments.payments.svc.cluster.local:8080/...`) checks the port against the Service's ports.
Suggests the Service's port when it has exactly one, else the nearest.

## Why it matters
Ports change with re-platforming (8080 -> 80 behind a Service, metrics on 9090). A wrong port gives a
connection refused that looks like an outage of the service itself.

## Example
```bash
curl -s http://payments.payments.svc.cluster.local:8080/healthz
```
when the Service listens on 80:
`runbooks/payments.md:41:14  warning  RBH105  service `payments` in namespace `payments` does not expose port 8080 (ports: 80)  (did you mean `80`)`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.inventory import Service
from rbh.checks.rules import _k8s
from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity

ID = "RBH105"
NAME = "port-not-exposed"
SEVERITY = Severity.warning
Options = NoOptions


def _closest(port: int, ports: list[int]) -> str | None:
    if not ports:
        return None
    if len(ports) == 1:
        return str(ports[0])
    return str(min(ports, key=lambda p: (abs(p - port), p)))


def _exposed(inv, ref) -> tuple[list[int], str] | None:
    """(ports the target exposes, how to name the target), or None when the target is unknown."""
    if ref.resource == "Service":
        here, anywhere = _k8s.find(inv, "Service", ref.name, ref.namespace)
        services = [s for s in (here or ([] if ref.kind == "dns" else anywhere)) if isinstance(s, Service)]
        if not services:
            return None
        where = f" in namespace `{ref.namespace}`" if ref.namespace else ""
        return sorted({p.port for s in services for p in s.ports}), f"service `{ref.name}`{where}"
    workloads = _k8s.workloads_behind(inv, ref)
    if not workloads:
        return None
    return sorted(_declared_ports(inv, workloads)), f"{_k8s.label(ref.resource)} `{ref.name}`"


def _declared_ports(inv, workloads) -> set[int]:
    """The containers' ports of *workloads*, and those every other declaration of the same object
    adds: a patch file that declares the Deployment again (same kind, name and namespace) to add a
    port (kubebuilder's `env_override.yaml` opening the pprof port 6060) patches one object, and a copy
    a kustomization builds from one declaration (``namePrefix``, ``namespace``) is that object too."""
    ports = {p for w in workloads for p in w.ports}
    origins = {(o.kind, o.name, o.namespace) for w in workloads for o in inv.workloads if o.loc == w.loc}
    ports |= {p for o in inv.workloads if (o.kind, o.name, o.namespace) in origins for p in o.ports}
    return ports


def check(ctx: RuleContext) -> Iterator[Finding]:
    for rb, ref in _k8s.cluster_refs(ctx, "k8s", "dns"):
        got = _exposed(ctx.inventory, ref) if ref.ports and ref.name else None
        if not got or not got[0] or _k8s.made_here(ctx, rb, ref):
            continue  # an object the runbook itself made (or a namespace it filled) is not the manifests'
        exposed, target = got
        for port in ref.ports:
            if port in exposed:
                continue
            yield ctx.finding(rb.path, ref.line, ref.column,
                              f"{target} does not expose port {port} (ports: {', '.join(map(str, exposed))})",
                              suggestion=_closest(port, exposed), reference=f"{ref.resource}/{ref.name}:{port}",
                              strength=ref.strength)
