"""Unknown workload or service: a command or in-cluster URL names a Kubernetes object that no manifest defines.

## What it does
Resolves every object named by `kubectl`/`oc` commands (`deploy/checkout`, `deployment checkout`,
`svc/payments`, `cm/checkout-config` ...) and every in-cluster DNS name
(`payments.payments.svc.cluster.local`) against the manifests. When no object of that kind and name
exists in any namespace, it reports it, with the name it was renamed to in the manifests' git history,
or the nearest existing name. Generated names (pods of a Deployment, Jobs of a CronJob) and
placeholders (`<pod>`, `$POD`) are not checked, nor objects the runbook itself creates before it uses
them (`kubectl create deployment nginx`, `kubectl expose`, `kubectl run`, a name handed to a kubectl
plugin after its sub-command, which the plugin may make (`kubectl cnpg certificate cluster-cert`), a name
the page shows in the output of a listing it runs (`$ kubectl get networkpolicies` and its `NAME ...`
table: the reader's cluster as the page pictures it; not when the manifests' history renamed or removed
that name, which makes the listing an old one), a manifest applied from a
heredoc `kubectl apply -f - <<EOF`, `kubectl apply -f FILE` of a repository file that declares it: next
to the page, linked from it or by its GitHub URL), nor objects in a namespace the runbook filled from
outside the repository on an earlier line (`helm install REL CHART -n NS` of a chart from elsewhere;
without `-n`, the objects named `REL` or `REL-*` that later commands without `-n` name;
`kubectl apply -n NS -f URL` of another repository's manifest), nor Services a cluster always has (`kubernetes` in
`default`, `kube-dns` in `kube-system`) or that the manifests depend on: an Ingress or Gateway API
route sends traffic to it, or another object's spec names it by its in-cluster DNS name (a Probe's
prober URL, a HelmRelease's values); a Helm chart or an operator defines those. So does the
Prometheus Operator for its resources: `prometheus-operated` beside a `Prometheus`,
`alertmanager-operated` beside an `Alertmanager`, `thanos-ruler-operated` beside a `ThanosRuler`.
An object named after a custom resource of the manifests (the resource's name a whole dash-separated
part of the object's: `rook-ceph-rgw-my-store` beside the CephObjectStore `my-store`) is probably
made by that resource's operator: it is reported as a warning naming the resource, not an error.

Names in prose and inline code are reported as warnings, names in commands as errors (unless
the config sets a severity for the rule). When manifest files that declare objects of that kind were
skipped as unrendered Helm templates, the finding is a warning that says how many (the object may
well be in the chart; render it with `helm template` and check the output to know), unless the name
was renamed in history or is a near-identical spelling of an existing object's name.

"(removed in <sha>)" names the commit that took the name out of the manifests for good: a file moved
or renamed unchanged keeps its names (cloudnative-pg's `cnpg-operator-podmonitor.yaml` renamed to
`podmonitor.yaml` removed no `cnpg-controller-manager`), and a name a later commit added back (in a
chart template rbh skips, say) is not "removed".

## Why it matters
During an incident a responder pastes the runbook's commands. `Error from server (NotFound)` at 2 AM
costs minutes and trust; renames are the most common way runbooks rot.

## Example
```bash
kubectl -n checkout rollout restart deployment/checkout
```
after the Deployment was renamed to `checkout-api`:
`runbooks/checkout.md:12:45  error  RBH101  deployment `checkout` not found in namespace `checkout` or any other  (did you mean `checkout-api` (renamed in 1a2b3c4d))`
"""

from __future__ import annotations

from typing import Iterator

from rbh.checks.rules import _k8s
from rbh.checks.rule import Finding, NoOptions, RuleContext, Severity
from rbh.checks.suggest import best_match

ID = "RBH101"
NAME = "unknown-workload"
SEVERITY = Severity.error
PROSE_SEVERITY = Severity.warning  # when the name is in a sentence or inline code rather than a command
Options = NoOptions


def check(ctx: RuleContext) -> Iterator[Finding]:
    inv = ctx.inventory
    for rb, ref in _k8s.checkable_refs(ctx):
        _, anywhere = _k8s.find(inv, ref.resource, ref.name, ref.namespace)
        if anywhere or _k8s.defined_elsewhere(inv, ref):
            continue
        kind = _k8s.label(ref.resource)
        pool = inv.names_of(ref.resource, ref.namespace) or inv.names_of(ref.resource)
        if ref.resource == "Namespace":
            pool = sorted(inv.namespaces)
        suggestion, source, note = ctx.hint(ref.name, pool)
        owner = inv.made_for(ref.name) if ref.resource != "Namespace" else None
        if owner is not None:
            # an operator's object, named after its custom resource: the runbook may well be right, the
            # manifests cannot say; a warning, not a failing CI
            note = f" (probably made by the operator of {owner.kind} `{owner.name}`){note}"
        if ref.extra.get("misread"):
            flag = ref.extra["misread"]
            note = f" (kubectl reads `{flag}` as `{flag[:2]} {flag[2:]}`: `-{flag}` was meant){note}"
        what = f"{kind} `{ref.name}`" if ref.kind == "k8s" else f"service `{ref.name}` (in-cluster DNS name `{ref.text}`)"
        where = f" in namespace `{ref.namespace}` or any other" if ref.namespace and ref.resource != "Namespace" else " in the manifests"
        severity = None
        templates = inv.template_kinds.get(ref.resource or "", 0)
        if templates and source is None and best_match(ref.name, pool) is None:
            # the object may be in a chart rbh could not read: a lead, not a failed build (a rename
            # in history or a near-identical existing name still points to a stale or mistyped name)
            severity = Severity.warning
            many = templates > 1
            note += (f"; {templates} unrendered Helm template{'s that define' if many else ' that defines'} {kind}s"
                     f" {'were' if many else 'was'} skipped: check the output of 'helm template'")
        yield ctx.finding(rb.path, ref.line, ref.column, f"{what} not found{where}{note}", suggestion=suggestion,
                          suggestion_source=source, reference=f"{kind}/{ref.name}", strength=ref.strength,
                          severity=Severity.warning if owner is not None else severity)
