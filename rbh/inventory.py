"""The platform model: everything the manifests say exists, with the file and line that says so.

Core, because both features read it: the checks compare runbooks against it, and ``rbh ask`` finds
alerts and their runbooks through it. It is only a model; reading manifests into it is the checks'
job (``checks.sources.load_inventory``, one module per manifest kind in ``checks/sources/``).
Secrets appear by name and key only: their values are never kept.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable

# Kubernetes kinds that run pods, and the ones the inventory models in detail.
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet")


@dataclass(frozen=True)
class FileProblem:
    """Something wrong with a manifest file, at a line; the rest of the run continues."""

    path: str
    line: int
    message: str
    severity: str = "error"  # error | warning | info
    code: str = "parse"


@dataclass(frozen=True)
class Location:
    path: str
    line: int


@dataclass
class Container:
    name: str
    image: str = ""
    ports: list[int] = field(default_factory=list)
    port_names: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    init: bool = False


@dataclass
class Workload:
    kind: str
    name: str
    namespace: str
    loc: Location
    labels: dict[str, str] = field(default_factory=dict)
    pod_labels: dict[str, str] = field(default_factory=dict)
    selector: dict[str, str] = field(default_factory=dict)
    containers: list[Container] = field(default_factory=list)
    configmaps: list[str] = field(default_factory=list)  # referenced through envFrom, env valueFrom, volumes
    secrets: list[str] = field(default_factory=list)
    volume_claim_templates: list[str] = field(default_factory=list)  # StatefulSet: PVCs <template>-<name>-<ordinal>

    @property
    def ports(self) -> set[int]:
        return {p for c in self.containers for p in c.ports}

    @property
    def env_names(self) -> set[str]:
        return {e for c in self.containers for e in c.env}


@dataclass
class ServicePort:
    port: int
    target: int | str | None = None
    name: str | None = None
    node_port: int | None = None


@dataclass
class Service:
    name: str
    namespace: str
    loc: Location
    selector: dict[str, str] = field(default_factory=dict)
    ports: list[ServicePort] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class KeyedObject:
    """A ConfigMap or Secret: its keys, never a Secret's values."""

    kind: str
    name: str
    namespace: str
    loc: Location
    keys: list[str] = field(default_factory=list)


@dataclass
class K8sObject:
    """Any Kubernetes object by kind, name and namespace (Ingress, HPA, PVC, Namespace, CRDs ...)."""

    kind: str
    name: str
    namespace: str
    loc: Location
    labels: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # e.g. HPA target, Ingress backends ("service:port")


@dataclass
class Alert:
    name: str
    loc: Location
    expr: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    group: str = ""
    annotation_lines: dict[str, int] = field(default_factory=dict)
    # where the same rule is written again (a rule file copied into a ConfigMap's data, a rendered
    # copy of the plain file): one rule, read once, its findings at this copy's line
    copies: list[Location] = field(default_factory=list)

    @property
    def runbook_url(self) -> str | None:
        # a `runbook_url` label reaches the notification as an annotation does (coder/observability
        # puts it among the labels); the annotation wins when both are set
        url = self.annotations.get("runbook_url") or self.annotations.get("runbook") or self.labels.get("runbook_url")
        return str(url).strip() if url else None

    @property
    def severity(self) -> str | None:
        return self.labels.get("severity")


@dataclass
class RecordingRule:
    name: str
    loc: Location
    expr: str = ""


@dataclass
class ComposeService:
    name: str
    loc: Location
    ports: list[int] = field(default_factory=list)  # container-side and published ports
    image: str = ""
    environment: list[str] = field(default_factory=list)


@dataclass
class CatalogEntity:
    kind: str  # Component, System, Group, User, API, Resource, Domain ...
    name: str
    loc: Location
    namespace: str = "default"
    owner: str | None = None
    system: str | None = None
    links: list[str] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    title: str | None = None


@dataclass
class Dashboard:
    uid: str
    title: str
    loc: Location


# What ``Inventory.get`` finds by kind and name.
InventoryObject = Workload | Service | KeyedObject | K8sObject


#: custom resource kind -> the Service its operator makes in the resource's namespace
OPERATOR_SERVICES = {"Prometheus": "prometheus-operated", "Alertmanager": "alertmanager-operated",
                     "ThanosRuler": "thanos-ruler-operated"}
#: custom resources that select or configure existing objects (a scrape target, a rule group) and make
#: none of their own: an object named after one of them is not its operator's
SELECTING_KINDS = {"ServiceMonitor", "PodMonitor", "Probe", "ScrapeConfig", "PrometheusRule", "AlertmanagerConfig"}


@dataclass
class Inventory:
    workloads: list[Workload] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    configmaps: list[KeyedObject] = field(default_factory=list)
    secrets: list[KeyedObject] = field(default_factory=list)
    objects: list[K8sObject] = field(default_factory=list)  # Ingress, HPA, PVC, Namespace and any other kind
    alerts: list[Alert] = field(default_factory=list)
    recording_rules: list[RecordingRule] = field(default_factory=list)
    metrics_used: dict[str, list[Location]] = field(default_factory=dict)  # metric -> rule expressions using it
    compose_services: list[ComposeService] = field(default_factory=list)
    catalog: list[CatalogEntity] = field(default_factory=list)
    dashboards: list[Dashboard] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # manifest files read
    claimed: set[tuple[str, int]] = field(default_factory=set)  # (path, document index) some source understood
    sources_seen: set[str] = field(default_factory=set)  # which kinds of source contributed (k8s, prometheus ...)
    # kinds that skipped files (unrendered Helm templates) declare -> how many such files: objects of
    # these kinds may exist though no manifest rbh could read defines them
    template_kinds: dict[str, int] = field(default_factory=dict)
    # (kind, name, path) of objects whose manifest sets no metadata.namespace: "default" is only where
    # a bare `kubectl apply` puts them; `kubectl apply -n X -f` or an installer script puts them in X
    namespace_unset: set[tuple[str, str, str]] = field(default_factory=set)

    # ------------------------------------------------------------ building
    def merge(self, other: "Inventory") -> "Inventory":
        for name in ("workloads", "services", "configmaps", "secrets", "objects", "alerts", "recording_rules",
                     "compose_services", "catalog", "dashboards", "problems", "files"):
            getattr(self, name).extend(getattr(other, name))
        for metric, locs in other.metrics_used.items():
            self.metrics_used.setdefault(metric, []).extend(locs)
        self.claimed |= other.claimed
        self.namespace_unset |= other.namespace_unset
        self.sources_seen |= other.sources_seen
        for kind, count in other.template_kinds.items():
            self.template_kinds[kind] = self.template_kinds.get(kind, 0) + count
        self.__dict__.pop("_index", None)
        return self

    # ------------------------------------------------------------ lookups
    @cached_property
    def _index(self) -> dict[str, dict]:
        by_kind: dict[str, dict[tuple[str, str], InventoryObject]] = defaultdict(dict)
        names: dict[str, dict[str, list[InventoryObject]]] = defaultdict(lambda: defaultdict(list))
        for w in self.workloads:
            by_kind[w.kind][(w.namespace, w.name)] = w
            names[w.kind][w.name].append(w)
        for s in self.services:
            by_kind["Service"][(s.namespace, s.name)] = s
            names["Service"][s.name].append(s)
        for c in self.configmaps:
            by_kind["ConfigMap"][(c.namespace, c.name)] = c
            names["ConfigMap"][c.name].append(c)
        for c in self.secrets:
            by_kind["Secret"][(c.namespace, c.name)] = c
            names["Secret"][c.name].append(c)
        for o in self.objects:
            by_kind[o.kind][(o.namespace, o.name)] = o
            names[o.kind][o.name].append(o)
        alerts: dict[str, list[Alert]] = defaultdict(list)
        for a in self.alerts:
            alerts[a.name].append(a)
        return {"by_kind": by_kind, "names": names, "alerts": alerts, "names_of": {}}

    def get(self, kind: str, name: str, namespace: str | None = None) -> list[InventoryObject]:
        """Objects of *kind* named *name* (in *namespace* when given)."""
        found = self._index["names"].get(kind, {}).get(name, [])
        if namespace is None:
            return list(found)
        return [o for o in found if o.namespace == namespace]

    def names_of(self, kind: str, namespace: str | None = None) -> list[str]:
        cache = self._index["names_of"]
        key = (kind, namespace)
        if key not in cache:
            keys = self._index["by_kind"].get(kind, {})
            cache[key] = sorted({n for (ns, n) in keys if namespace is None or ns == namespace})
        return cache[key]

    def has_kind(self, kind: str) -> bool:
        return bool(self._index["by_kind"].get(kind))

    @cached_property
    def namespaces(self) -> set[str]:
        found = {o.name for o in self.objects if o.kind == "Namespace"}
        for group in (self.workloads, self.services, self.configmaps, self.secrets):
            found |= {o.namespace for o in group}
        found |= {o.namespace for o in self.objects if o.kind != "Namespace" and o.namespace}
        return found

    def of_kind(self, kind: str) -> list[K8sObject]:
        """Generic objects of one kind (``Ingress``, ``HorizontalPodAutoscaler``, ``Namespace`` ...)."""
        return [o for o in self.objects if o.kind == kind]

    @cached_property
    def routed_services(self) -> set[tuple[str, str]]:
        """(namespace, name) of every Service an Ingress or a Gateway API route sends traffic to. Such a
        Service exists in the cluster even when no manifest defines it (a Helm chart or an operator
        does); the manifests themselves depend on it."""
        found: set[tuple[str, str]] = set()
        for o in self.objects:
            if o.kind == "Ingress":
                found |= {(o.namespace, b.split(":", 1)[0]) for b in o.refs.get("backends", "").split(",") if b}
            for ref in o.refs.get("services", "").split(",") if o.refs.get("services") else ():
                ns, _, name = ref.rpartition("/")
                found.add((ns, name))
        return found

    @cached_property
    def operator_services(self) -> set[tuple[str, str]]:
        """(namespace, name) of the Services an operator makes for a custom resource of the manifests:
        the Prometheus Operator's governing Service beside every Prometheus, Alertmanager and ThanosRuler."""
        return {(o.namespace, service) for kind, service in OPERATOR_SERVICES.items() for o in self.of_kind(kind)}

    @cached_property
    def custom_resources(self) -> list[K8sObject]:
        """Objects of an operator's API group (``ceph.rook.io``, ``monitoring.coreos.com`` ...), whose
        operator makes further objects named after them."""
        return [o for o in self.objects if o.refs.get("custom")]

    def made_for(self, name: str) -> K8sObject | None:
        """The custom resource an object named *name* is probably made for: operators name what they make
        after the resource, its name a whole dash-separated part of theirs (``rook-ceph-rgw-my-store`` for
        the CephObjectStore ``my-store``, ``rook-ceph-mon-a`` for the CephCluster ``rook-ceph``) or a
        whole dot-separated part (``postgres.acid-minimal-cluster.credentials.postgresql.acid.zalan.do``,
        the Secret the Postgres Operator makes for the postgresql ``acid-minimal-cluster``); a
        resource of the very same name describes the object (an Argo CD Application, a ServiceMonitor
        named after its Service) rather than names what it makes, and resources that only select
        existing objects (``SELECTING_KINDS``) make none. A name
        that ends *name* wins over one inside it (a shared prefix is the less specific), then the longest;
        None when no custom resource's name is part of *name*."""
        # a dot bounds a part as a dash does (DNS-1123 names: lowercase, digits, dashes and dots)
        padded = f"-{name.replace('.', '-')}-"
        found = [o for o in self.custom_resources
                 if o.name and o.name != name and f"-{o.name.replace('.', '-')}-" in padded
                 and o.kind not in SELECTING_KINDS]
        return max(found, key=lambda o: (padded.endswith(f"-{o.name.replace('.', '-')}-"), len(o.name)), default=None)

    @property
    def ingresses(self) -> list[K8sObject]:
        return self.of_kind("Ingress")

    @property
    def hpas(self) -> list[K8sObject]:
        return self.of_kind("HorizontalPodAutoscaler")

    @property
    def pvcs(self) -> list[K8sObject]:
        return self.of_kind("PersistentVolumeClaim")

    def alerts_named(self, name: str) -> list[Alert]:
        return self._index["alerts"].get(name, [])

    @cached_property
    def alert_names(self) -> set[str]:
        return {a.name for a in self.alerts}

    @cached_property
    def recorded_names(self) -> set[str]:
        return {r.name for r in self.recording_rules}

    def compose_names(self) -> list[str]:
        return sorted({s.name for s in self.compose_services})

    @cached_property
    def catalog_owners(self) -> set[str]:
        """Every name the catalog knows as an owner: Group and User entities and owner fields, with and without kind prefix."""
        found: set[str] = set()
        for e in self.catalog:
            if e.kind in ("Group", "User"):
                found |= {e.name, f"{e.kind.lower()}:{e.name}", f"{e.kind.lower()}:{e.namespace}/{e.name}"}
            if e.owner:
                found.add(e.owner)
                found.add(e.owner.split(":", 1)[-1].split("/")[-1])
        return found

    def pod_templates(self, namespace: str | None = None) -> Iterable[Workload]:
        for w in self.workloads:
            if namespace is None or w.namespace == namespace:
                yield w

    def counts(self) -> dict[str, int]:
        return {
            "workloads": len(self.workloads), "services": len(self.services), "configmaps": len(self.configmaps),
            "secrets": len(self.secrets), "objects": len(self.objects), "alerts": len(self.alerts),
            "recording_rules": len(self.recording_rules), "metrics": len(self.metrics_used),
            "compose_services": len(self.compose_services), "catalog": len(self.catalog),
            "dashboards": len(self.dashboards), "problems": len(self.problems),
        }
