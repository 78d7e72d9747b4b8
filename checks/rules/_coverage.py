"""Which services and objects a runbook is about: its front matter `service`, the objects its
commands name, and the labels that tie manifests to a service name. Shared by RBH403 and RBH404."""

from __future__ import annotations

from rbh.checks.inventory import Inventory
from rbh.checks.references import Reference
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


def _object_index(inv: Inventory) -> tuple[dict, dict, dict]:
    """(service name -> objects, (kind, name) -> objects, object id -> position), built once per inventory:
    looking objects up per runbook keeps the check linear (scanning every object per runbook was
    runbooks x objects: minutes at 10,000 runbooks)."""
    cached = inv.__dict__.get("_coverage_index")
    if cached is not None:
        return cached
    by_service: dict[str, list] = {}
    by_kind_name: dict[tuple[str, str], list] = {}
    position: dict[int, int] = {}
    for group in (inv.workloads, inv.services, inv.configmaps, inv.objects):
        for obj in group:
            position[id(obj)] = len(position)
            by_kind_name.setdefault((getattr(obj, "kind", "Service"), obj.name), []).append(obj)
            for name in service_names(obj):
                by_service.setdefault(name, []).append(obj)
    inv.__dict__["_coverage_index"] = cached = (by_service, by_kind_name, position)
    return cached


def objects_of(inv: Inventory, services: set[str], refs: list[Reference]) -> list:
    """Manifest objects that belong to *services* or are named by *refs* (in inventory order)."""
    by_service, by_kind_name, position = _object_index(inv)
    named = {(r.resource, r.name) for r in refs if r.kind in ("k8s", "dns") and r.name and r.resource}
    found: dict[int, object] = {}
    for key in named:
        for obj in by_kind_name.get(key, ()):
            found[id(obj)] = obj
    for name in services:
        for obj in by_service.get(name, ()):
            found[id(obj)] = obj
    return sorted(found.values(), key=lambda obj: position[id(obj)])
