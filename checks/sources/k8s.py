"""Kubernetes YAML: workloads, Services, ConfigMaps and Secrets (keys only), and every other kind generically.

Multi-document files and ``List`` kinds are expanded. Rendered Helm (``helm template``) and Kustomize
(``kustomize build``) output is plain Kubernetes YAML and is read the same way. Unrendered Kustomize is
read for what it says about namespaces and names: a ``kustomization.yaml`` with ``namespace: X`` puts the
objects of the files it lists (and of the bases it names, recursively) in ``X`` too, so a base applied by
a staging and a prod overlay exists in both namespaces; with ``namePrefix: p-`` (``nameSuffix``) they
also exist as ``p-NAME``.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from typing import Any, Iterator, TypeVar

from rbh.inventory import (
    WORKLOAD_KINDS,
    Container,
    Inventory,
    K8sObject,
    KeyedObject,
    Location,
    Service,
    ServicePort,
    Workload,
)
from rbh.inventory import FileProblem
from rbh.checks.sources._yaml import Node, mapping, parse_file

NAME = "k8s"
SKIP_API_GROUPS = ("backstage.io/",  # catalog entities look like Kubernetes objects but are not
                   "kustomize.config.k8s.io/")  # build instructions (read by _kustomize_placements), not cluster objects
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Gateway API routes: their backendRefs name Services (kind Service unless said otherwise)
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute", "UDPRoute")
SKIP_KINDS = {"PrometheusRule"}
CORE_KINDS = {*WORKLOAD_KINDS, "Service", "ConfigMap", "Secret", "Namespace", "Ingress", "PersistentVolumeClaim",
              "HorizontalPodAutoscaler"}  # read by the prometheus source (still listed as generic objects there)


def _labels(v: Any) -> dict[str, str]:
    if not isinstance(v, dict):
        return {}
    return {str(k): "" if val is None else str(val) for k, val in v.items()}


def _int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.isdigit():
        return int(v)
    return None


def is_k8s_object(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("kind"), str) and isinstance(doc.get("apiVersion"), str)


def _pod_spec(kind: str, spec: dict) -> tuple[dict, dict]:
    """(pod template metadata, pod spec) of a workload."""
    if kind == "Pod":
        return {}, spec
    template = spec.get("template")
    if kind == "CronJob":
        job = mapping(spec.get("jobTemplate"))
        template = (job.get("spec") or {}).get("template") if isinstance(job.get("spec"), dict) else None
    if not isinstance(template, dict):
        return {}, {}
    meta = mapping(template.get("metadata"))
    pod = mapping(template.get("spec"))
    return meta, pod


def _containers(pod: dict, key: str, init: bool) -> list[Container]:
    out = []
    for c in pod.get(key) or []:
        if not isinstance(c, dict) or not c.get("name"):
            continue
        ports, port_names = [], []
        for p in c.get("ports") or []:
            if isinstance(p, dict):
                n = _int(p.get("containerPort"))
                if n is not None:
                    ports.append(n)
                if p.get("name"):
                    port_names.append(str(p["name"]))
        env = [str(e["name"]) for e in c.get("env") or [] if isinstance(e, dict) and e.get("name")]
        out.append(Container(str(c["name"]), str(c.get("image") or ""), ports, port_names, env, init))
    return out


def _referenced(pod: dict, containers_key: str = "containers") -> tuple[list[str], list[str]]:
    cms: list[str] = []
    secrets: list[str] = []
    for key in ("containers", "initContainers"):
        for c in pod.get(key) or []:
            if not isinstance(c, dict):
                continue
            for src in c.get("envFrom") or []:
                if isinstance(src, dict):
                    if isinstance(src.get("configMapRef"), dict) and src["configMapRef"].get("name"):
                        cms.append(str(src["configMapRef"]["name"]))
                    if isinstance(src.get("secretRef"), dict) and src["secretRef"].get("name"):
                        secrets.append(str(src["secretRef"]["name"]))
            for e in c.get("env") or []:
                vf = e.get("valueFrom") if isinstance(e, dict) else None
                if isinstance(vf, dict):
                    if isinstance(vf.get("configMapKeyRef"), dict) and vf["configMapKeyRef"].get("name"):
                        cms.append(str(vf["configMapKeyRef"]["name"]))
                    if isinstance(vf.get("secretKeyRef"), dict) and vf["secretKeyRef"].get("name"):
                        secrets.append(str(vf["secretKeyRef"]["name"]))
    for v in pod.get("volumes") or []:
        if isinstance(v, dict):
            if isinstance(v.get("configMap"), dict) and v["configMap"].get("name"):
                cms.append(str(v["configMap"]["name"]))
            if isinstance(v.get("secret"), dict) and v["secret"].get("secretName"):
                secrets.append(str(v["secret"]["secretName"]))
    return sorted(set(cms)), sorted(set(secrets))


_DNS_NAME = re.compile(r"(?<![\w.-])([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.svc(?![\w-])")


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string in a parsed YAML value (bounded depth: manifests are untrusted input)."""
    if depth > 30:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, depth + 1)


def _custom_group(api_version: Any) -> bool:
    """True for the API group of a custom resource: a dotted group that is not one of Kubernetes' own
    (``apps/v1``, ``batch/v1``, ``networking.k8s.io/v1`` ... are built in; ``ceph.rook.io/v1``,
    ``monitoring.coreos.com/v1`` are an operator's)."""
    if not isinstance(api_version, str) or "/" not in api_version:
        return False
    group = api_version.split("/", 1)[0]
    return "." in group and not group.endswith(".k8s.io") and group != "k8s.io"


def _expand(doc: Any) -> list[Any]:
    if isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
        return [item for item in doc["items"] if isinstance(item, dict)]
    return [doc]


def _add_object(inv: Inventory, obj: dict, path: str, default_line: int) -> None:
    kind = str(obj["kind"])
    meta = mapping(obj.get("metadata"))
    line = obj.line if isinstance(obj, Node) else default_line
    name = meta.get("name")
    if not name:
        inv.problems.append(FileProblem(path, line, f"{kind} without metadata.name: skipped", "warning", "no-name"))
        return
    name = str(name)
    namespace = str(meta.get("namespace") or "default") if kind != "Namespace" else ""
    if kind != "Namespace" and not meta.get("namespace"):
        inv.namespace_unset.add((kind, name, path))
    loc = Location(path, line)
    labels = _labels(meta.get("labels"))
    spec = mapping(obj.get("spec"))
    if kind in WORKLOAD_KINDS:
        tmeta, pod = _pod_spec(kind, spec)
        selector = mapping(spec.get("selector"))
        match = _labels(selector.get("matchLabels")) if "matchLabels" in selector or "matchExpressions" in selector else {}
        pod_labels = labels if kind == "Pod" else _labels(tmeta.get("labels"))
        cms, secrets = _referenced(pod)
        claims = [str(t["metadata"]["name"]) for t in spec.get("volumeClaimTemplates") or []
                  if isinstance(t, dict) and isinstance(t.get("metadata"), dict) and t["metadata"].get("name")]
        inv.workloads.append(Workload(kind, name, namespace, loc, labels, pod_labels, match,
                                      _containers(pod, "containers", False) + _containers(pod, "initContainers", True),
                                      cms, secrets, claims))
    elif kind == "Service":
        ports = []
        for p in spec.get("ports") or []:
            port = _int(p.get("port")) if isinstance(p, dict) else None
            if port is not None:
                target = p.get("targetPort")
                ports.append(ServicePort(port, _int(target) if _int(target) is not None else (str(target) if target else None), str(p["name"]) if p.get("name") else None, _int(p.get("nodePort"))))
        inv.services.append(Service(name, namespace, loc, _labels(spec.get("selector")), ports, labels))
    elif kind in ("ConfigMap", "Secret"):
        keys: list[str] = []
        for field in ("data", "binaryData", "stringData"):
            block = obj.get(field)
            if isinstance(block, dict):
                keys.extend(str(k) for k in block)  # values are never kept
        target = inv.configmaps if kind == "ConfigMap" else inv.secrets
        target.append(KeyedObject(kind, name, namespace, loc, sorted(set(keys))))
    else:
        refs: dict[str, str] = {}
        if kind == "HorizontalPodAutoscaler" and isinstance(spec.get("scaleTargetRef"), dict):
            ref = spec["scaleTargetRef"]
            refs["target"] = f"{ref.get('kind', '')}/{ref.get('name', '')}"
        if kind == "Ingress":
            backends = []
            for rule in spec.get("rules") or []:
                http = rule.get("http") if isinstance(rule, dict) else None
                for p in (http or {}).get("paths") or [] if isinstance(http, dict) else []:
                    svc = ((p.get("backend") or {}).get("service") or {}) if isinstance(p, dict) else {}
                    if isinstance(svc, dict) and svc.get("name"):
                        backend_port = svc.get("port") or {}
                        backends.append(f"{svc['name']}:{backend_port.get('number') or backend_port.get('name') or ''}"
                                        if isinstance(backend_port, dict) else str(svc["name"]))
            refs["backends"] = ",".join(backends)
            refs["hosts"] = ",".join(str(r.get("host")) for r in spec.get("rules") or [] if isinstance(r, dict) and r.get("host"))
        if kind in ROUTE_KINDS:
            routed = []
            for rule in spec.get("rules") or []:
                for b in (rule.get("backendRefs") or []) if isinstance(rule, dict) else []:
                    if isinstance(b, dict) and b.get("name") and str(b.get("kind") or "Service") == "Service" \
                            and str(b.get("group") or "") in ("", "core"):
                        routed.append(f"{b.get('namespace') or namespace}/{b['name']}")
            refs["services"] = ",".join(routed)
        else:
            if _custom_group(obj.get("apiVersion")):
                refs["custom"] = str(obj["apiVersion"]).split("/", 1)[0]
            # any other kind (a Probe's prober URL, a HelmRelease's values, a ScrapeConfig's targets):
            # the in-cluster DNS names its spec uses name Services the cluster has
            named = sorted({f"{m.group(2)}/{m.group(1)}" for text in _strings(spec) for m in _DNS_NAME.finditer(text)})
            if named:
                refs["services"] = ",".join(named)
        inv.objects.append(K8sObject(kind, name, namespace, loc, labels, refs))


def _kustomize_placements(files: dict[str, bytes]) -> dict[str, set[tuple[str | None, str, str]]]:
    """Manifest file -> the (namespace, name prefix, name suffix) kustomizations give its objects: a
    kustomization's ``namespace:``, ``namePrefix:`` and ``nameSuffix:`` apply to the files it lists in
    ``resources`` (and the older ``bases``), which are files or folders with a kustomization of their
    own. As in ``kustomize build``, the outermost namespace wins and prefixes and suffixes add up
    (outer prefix first, outer suffix last). Every kustomization counts as a build of its own, so a base
    applied by a staging and a prod overlay exists in both namespaces. Remote resources are ignored."""
    kustomizations: dict[str, dict] = {}
    for path, data in files.items():
        if posixpath.basename(path) in KUSTOMIZATION_FILES:
            for doc in parse_file(path, data).documents:
                if isinstance(doc.data, dict):
                    kustomizations[posixpath.dirname(path)] = doc.data
                    break

    def text(k: dict, key: str) -> str:
        value = k.get(key)
        return value if isinstance(value, str) else ""

    def reachable(folder: str, seen: set[str]) -> set[tuple[str, str | None, str, str]]:
        if folder in seen or folder not in kustomizations:
            return set()
        seen.add(folder)
        inner: set[tuple[str, str | None, str, str]] = set()
        k = kustomizations[folder]
        for key in ("resources", "bases"):
            for entry in k.get(key) or [] if isinstance(k.get(key), list) else []:
                if not isinstance(entry, str) or "://" in entry or entry.startswith(("github.com/", "git@")):
                    continue
                target = posixpath.normpath(posixpath.join(folder, entry))
                if target in files:
                    inner.add((target, None, "", ""))
                else:
                    inner |= reachable(target, seen)
        ns, prefix, suffix = text(k, "namespace") or None, text(k, "namePrefix"), text(k, "nameSuffix")
        return {(path, ns or inner_ns, prefix + inner_prefix, inner_suffix + suffix)
                for path, inner_ns, inner_prefix, inner_suffix in inner}

    placed: dict[str, set[tuple[str | None, str, str]]] = {}
    for folder in kustomizations:
        for path, ns, prefix, suffix in reachable(folder, set()):
            if ns or prefix or suffix:
                placed.setdefault(path, set()).add((ns, prefix, suffix))
    return placed


def _place_as_kustomized(inv: Inventory, placed: dict[str, set[tuple[str | None, str, str]]]) -> None:
    """A copy of each object of a file a kustomization places in a namespace or renames, as placed."""
    if not placed:
        return
    inv.workloads.extend(_copies(inv.workloads, placed))
    inv.services.extend(_copies(inv.services, placed))
    inv.configmaps.extend(_copies(inv.configmaps, placed))
    inv.secrets.extend(_copies(inv.secrets, placed))
    inv.objects.extend(_copies(inv.objects, placed))


_Placed = TypeVar("_Placed", Workload, Service, KeyedObject, K8sObject)
_NOT_RENAMED = {"Namespace", "CustomResourceDefinition"}  # kustomize keeps their names (a CRD's is plural.group)


def _copies(group: list[_Placed], placed: dict[str, set[tuple[str | None, str, str]]]) -> list[_Placed]:
    out: list[_Placed] = []
    for obj in group:
        kind = getattr(obj, "kind", "")
        if kind == "Namespace":
            continue
        seen = {(obj.namespace, obj.name)}
        for ns, prefix, suffix in sorted(placed.get(obj.loc.path, ()), key=lambda p: (p[0] or "", p[1], p[2])):
            name = obj.name if kind in _NOT_RENAMED else prefix + obj.name + suffix
            where = (ns or obj.namespace, name)
            if where not in seen:
                seen.add(where)
                out.append(dataclasses.replace(obj, namespace=where[0], name=name))
    return out


def load(files: dict[str, bytes]) -> Inventory:
    inv = Inventory(sources_seen=set())
    for path, data in files.items():
        parsed = parse_file(path, data)
        for doc in parsed.documents:
            if not is_k8s_object(doc.data) or str(doc.data["apiVersion"]).startswith(SKIP_API_GROUPS):
                continue
            inv.claimed.add((path, doc.index))
            for obj in _expand(doc.data):
                if not is_k8s_object(obj):
                    continue
                if obj["kind"] in SKIP_KINDS:
                    meta = mapping(obj.get("metadata"))
                    inv.objects.append(K8sObject(str(obj["kind"]), str(meta.get("name") or ""), str(meta.get("namespace") or "default"), Location(path, getattr(obj, "line", doc.line))))
                    continue
                if obj["kind"] in CORE_KINDS:  # monitoring objects alone do not make a cluster inventory
                    inv.sources_seen.add(NAME)
                _add_object(inv, obj, path, doc.line)
    _place_as_kustomized(inv, _kustomize_placements(files))
    return inv
