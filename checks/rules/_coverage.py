"""Which services and objects a runbook is about: its front matter `service`, the objects its
commands name, and the labels that tie manifests to a service name. Shared by RBH403 and RBH404."""

from __future__ import annotations

from checks.inventory import Inventory
from checks.references import Reference
from rbh.runbook import Runbook

SERVICE_LABELS = ("app", "app.kubernetes.io/name", "app.kubernetes.io/part-of", "app.kubernetes.io/instance",
                  "app.kubernetes.io/component", "component", "service")


def service_names(obj) -> set[str]:
    """Names an object answers to: its own name and its service-identifying labels."""
    names = {getattr(obj, "name", "")}
    for labels in (getattr(obj, "labels", {}) or {}, getattr(obj, "pod_labels", {}) or {}):
        for key in SERVICE_LABELS:
            if labels.get(key):
                names.add(labels[key])
    names.discard("")
    return names


def covered_names(rb: Runbook, refs: list[Reference]) -> set[str]:
    names = {str(s) for s in rb.front_matter.service}
    for r in refs:
        if r.kind in ("k8s", "dns", "compose") and r.name:
            names.add(r.name)
    stem = rb.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    names.add(stem)
    return names


def objects_of(inv: Inventory, services: set[str], refs: list[Reference]) -> list:
    """Manifest objects that belong to *services* or are named by *refs*."""
    out = []
    named = {(r.resource, r.name) for r in refs if r.kind in ("k8s", "dns") and r.name and r.resource}
    for group in (inv.workloads, inv.services, inv.configmaps, inv.objects):
        for obj in group:
            kind = getattr(obj, "kind", "Service")
            if (kind, obj.name) in named or service_names(obj) & services:
                out.append(obj)
    return out
