"""Resolving Kubernetes references against the inventory, shared by the Kubernetes rules."""

from __future__ import annotations

import posixpath
import re
from typing import Iterator

from rbh.checks.inventory import Inventory, InventoryObject, Service, Workload
from rbh.checks.references import Reference
from rbh.paths import safe_relpath

POD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet", "Pod")
# kinds the inventory models completely enough that "not found" means "does not exist"
CHECKED_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Service", "ConfigMap", "Secret", "Ingress",
                 "HorizontalPodAutoscaler", "PersistentVolumeClaim", "Namespace")
_STS_POD = re.compile(r"^(.+)-(\d+)$")
# Services every cluster has though no manifest defines them: the API server's, and the cluster DNS
# (kubeadm, EKS, GKE and AKS all name CoreDNS's Service kube-dns).
BUILTIN_SERVICES = {("default", "kubernetes"), ("kube-system", "kube-dns")}
# Namespaces every cluster has (the API server makes them), whatever the manifests say.
BUILTIN_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


def has_manifests(inv: Inventory) -> bool:
    return "k8s" in inv.sources_seen


def cluster_refs(ctx, *kinds: str) -> Iterator[tuple]:
    """(runbook, reference) for kubectl references and in-cluster DNS names, when the manifests
    describe a cluster at all (otherwise every name would look unknown)."""
    if has_manifests(ctx.inventory):
        yield from ctx.each_ref(*kinds)


def checkable_refs(ctx) -> Iterator[tuple]:
    """``cluster_refs`` whose object can be looked up (see ``checkable``), but for objects the runbook
    itself made on an earlier line (``made_here``): a walkthrough that makes an object and then uses it
    is not stale."""
    for rb, ref in cluster_refs(ctx, "k8s", "dns"):
        if checkable(ctx.inventory, ref) and not made_here(ctx, rb, ref):
            yield rb, ref


def made_here(ctx, rb, ref: Reference) -> bool:
    """True when the runbook itself made *ref*'s object on an earlier line, or filled its namespace
    from outside the repository: ``kubectl create deployment nginx``, ``kubectl expose``, ``kubectl
    run``, a name handed to a kubectl plugin (``kubectl cnpg certificate cluster-cert``), a name the page
    shows in a listing it runs (``$ kubectl get networkpolicies`` and its table; not when the manifests'
    history renamed or removed that name: an old listing), a heredoc manifest, ``kubectl apply -f FILE`` of a repository file that declares it (next to
    the page, linked from it, or by its GitHub URL); ``helm install REL CHART -n NS`` of a chart from
    elsewhere (without ``-n``: the objects named REL or REL-* that later commands without ``-n`` name) or ``kubectl apply -n NS -f URL`` of another repository's manifest (whatever it names in
    NS afterwards comes from there, which no manifest here can contradict)."""
    made, filled, released = _made_by(ctx, rb)
    line = made.get((ref.resource, ref.name), made.get((None, ref.name))) if ref.name else None  # None: a plugin's, any kind
    if line is not None and ref.line >= line:
        return True
    if ref.name and not ref.namespace and any(ref.line >= at and (ref.name == rel or ref.name.startswith(rel + "-"))
                                              for rel, at in released.items()):
        return True  # a chart from elsewhere installed without -n: its objects are named after the release
    line = filled.get(ref.namespace) if ref.namespace else None
    return line is not None and ref.line >= line


def _made_by(ctx, rb) -> tuple[dict[tuple[str | None, str], int], dict[str, int], dict[str, int]]:
    cached = ctx.made_cache.get(rb.path)
    if cached is not None:
        return cached
    made: dict[tuple[str | None, str], int] = {}
    filled: dict[str, int] = {}
    for c in ctx.refs(rb, "k8s-created"):
        made.setdefault((c.resource, c.name), c.line)
    listed = ctx.refs(rb, "k8s-listed")
    history = ctx.history if listed else None
    for c in listed:
        # a name the page shows in a listing of the reader's cluster (`$ kubectl get networkpolicies`
        # and its table) is that example's, from that row on; unless the manifests' history knows the
        # name (renamed or removed): then the listing is an old one, and the name stale
        if history is None or (c.name not in history.removed and history.renamed_to(c.name) is None):
            made.setdefault((c.resource, c.name), c.line)
    for a in ctx.refs(rb, "k8s-applied"):
        own = ctx.applied_file(rb, a.name)
        if own is not None:
            for kind, name in ctx.objects_in_file(own):
                made.setdefault((kind, name), a.line)
        elif a.name.startswith(("http://", "https://")) and a.namespace:
            filled.setdefault(a.namespace, a.line)
    released: dict[str, int] = {}
    for h in [*ctx.refs(rb, "k8s-filled"), *ctx.refs(rb, "k8s-released")]:
        chart = h.extra.get("chart", "")
        local = safe_relpath(ctx.root, posixpath.join(posixpath.dirname(rb.path), chart)) if not chart.startswith(("/", "~")) else None
        in_repo = local is not None and (local in ctx.directories or local in ctx.files) \
            or chart.strip("./") in ctx.directories
        if not in_repo:
            (filled if h.kind == "k8s-filled" else released).setdefault(h.name, h.line)
    ctx.made_cache[rb.path] = (made, filled, released)
    return made, filled, released


def checkable(inv: Inventory, ref: Reference) -> bool:
    """True when a missing *ref* really means the object is gone (not a generated pod name, not an unknown kind)."""
    if not ref.name or not ref.resource or not has_manifests(inv):
        return False
    if ref.resource in CHECKED_KINDS:
        return True
    if ref.resource in ("Pod", "Job"):
        return False  # generated names; see statefulset_pod
    return inv.has_kind(ref.resource)  # other kinds: only when the manifests define some of that kind


def find(inv: Inventory, kind: str, name: str, namespace: str | None) -> tuple[list, list]:
    """(objects in *namespace* (or anywhere when None), objects anywhere)."""
    if kind == "Namespace":
        found = [name] if name in inv.namespaces else []
        return found, found
    anywhere: list[InventoryObject] = inv.get(kind, name)
    if kind == "PersistentVolumeClaim" and not anywhere:
        anywhere = [*claim_owners(inv, name)]
    if namespace is None:
        return anywhere, anywhere
    return [o for o in anywhere if getattr(o, "namespace", None) == namespace], anywhere


def defined_elsewhere(inv: Inventory, ref: Reference) -> bool:
    """True for a Service no manifest defines but the cluster has: a built-in one, one the manifests
    route to (``Inventory.routed_services``) or one an operator makes for a custom resource they
    define (``Inventory.operator_services``), in *ref*'s namespace (any namespace when it names none)."""
    if ref.resource != "Service" or not ref.name:
        return False
    known = BUILTIN_SERVICES | inv.routed_services | inv.operator_services
    if ref.namespace:
        return (ref.namespace, ref.name) in known
    return any(name == ref.name for _, name in known)


def claim_owners(inv: Inventory, pvc: str) -> list[Workload]:
    """StatefulSets whose volumeClaimTemplates generate the PVC *pvc* (``<template>-<sts>-<ordinal>``)."""
    m = _STS_POD.match(pvc)
    if not m:
        return []
    return [w for w in inv.workloads if w.kind == "StatefulSet"
            and any(m.group(1) == f"{t}-{w.name}" for t in w.volume_claim_templates)]


def selector_matches(inv: Inventory, selector: dict[str, str], namespace: str | None) -> list[Workload]:
    out = []
    for w in inv.pod_templates(namespace):
        labels = w.pod_labels or w.labels
        if all(labels.get(k) == v for k, v in selector.items()):
            out.append(w)
    return out


def workloads_behind(inv: Inventory, ref: Reference) -> list[Workload] | None:
    """The pod templates a reference runs against (for container and port checks); None when unknown."""
    ns = ref.namespace
    if ref.name and ref.resource in POD_KINDS and ref.resource not in ("Pod", "Job", "ReplicaSet"):
        found, anywhere = find(inv, ref.resource, ref.name, ns)
        return [w for w in (found or anywhere) if isinstance(w, Workload)] or None
    if ref.name and ref.resource == "Service":
        found, anywhere = find(inv, "Service", ref.name, ns)
        out: list[Workload] = []
        for svc in found or anywhere:
            if isinstance(svc, Service) and svc.selector:
                out += selector_matches(inv, svc.selector, svc.namespace)
        return out or None
    if ref.name and ref.resource == "Pod":
        m = _STS_POD.match(ref.name)
        if m:
            found, anywhere = find(inv, "StatefulSet", m.group(1), ns)
            if found or anywhere:
                return list(found or anywhere)
        prefixed = [w for w in inv.pod_templates(ns) if ref.name.startswith(w.name + "-")]
        return prefixed or None
    if ref.selector:
        return selector_matches(inv, ref.selector, ns) or None
    return None


def label(kind: str | None) -> str:
    return (kind or "object").lower()
