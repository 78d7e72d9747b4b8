"""The inventory each manifest source builds, with exact names, lines and fields."""

from __future__ import annotations

import json

from rbh.checks.inventory import Location
from rbh.checks.sources import SOURCES, load_all

K8S = b"""\
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop, labels: {app: web}}
    spec:
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web, tier: front}}
        spec:
          initContainers: [{name: migrate, image: shop/migrate}]
          containers:
            - name: web
              image: shop/web:2
              ports: [{containerPort: 8080, name: http}]
              env:
                - {name: DB_HOST, value: db}
                - name: DB_PASSWORD
                  valueFrom: {secretKeyRef: {name: db-credentials, key: password}}
              envFrom: [{configMapRef: {name: web-config}}]
          volumes: [{name: cfg, configMap: {name: web-files}}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: data}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: pg-dump, image: postgres:16}]
---
apiVersion: v1
kind: Secret
metadata: {name: db-credentials, namespace: shop}
data: {password: c2VjcmV0}
stringData: {username: app}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  rules:
    - host: shop.example
      http:
        paths:
          - path: /
            backend: {service: {name: web, port: {number: 80}}}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, namespace: shop}
"""

RULES = b"""\
groups:
  - name: web
    rules:
      - record: job:errors:rate5m
        expr: sum by (job) (rate(http_errors_total[5m]))
      - alert: WebDown
        expr: up{job="web"} == 0
        for: 5m
        labels: {severity: critical}
        annotations:
          summary: web is down
          runbook_url: https://runbooks.example/web/#down
"""

COMPOSE = b"""\
services:
  api:
    image: shop/api
    ports: ["127.0.0.1:8080:80/tcp", "9000-9001:9000-9001", {target: 7000, published: "7001"}]
    environment: [LOG_LEVEL=info, DEBUG]
  db:
    image: postgres
    expose: [5432]
"""

CATALOG = b"""\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: web
  title: Web shop
  links: [{url: https://grafana.example/d/web-main/web, title: Dashboard}]
spec: {type: service, owner: group:team-web, system: shop}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-web}
spec: {type: team}
"""

DASHBOARD_CM = b"""\
apiVersion: v1
kind: ConfigMap
metadata: {name: dashboards, namespace: monitoring}
data:
  web.json: '{"uid": "web-main", "title": "Web", "panels": []}'
"""


def test_sources_are_registered():
    assert set(SOURCES) == {"k8s", "prometheus", "compose", "catalog", "grafana"}


def test_kubernetes_objects():
    inv = load_all({"m/k8s.yaml": K8S})
    assert inv.problems == []
    web, backup = inv.workloads
    assert (web.kind, web.name, web.namespace, web.loc) == ("Deployment", "web", "shop", Location("m/k8s.yaml", 4))
    assert web.selector == {"app": "web"} and web.pod_labels == {"app": "web", "tier": "front"}
    assert [(c.name, c.image, c.ports, c.env, c.init) for c in web.containers] == [
        ("web", "shop/web:2", [8080], ["DB_HOST", "DB_PASSWORD"], False), ("migrate", "shop/migrate", [], [], True)]
    assert web.configmaps == ["web-config", "web-files"] and web.secrets == ["db-credentials"]
    assert (backup.kind, backup.name, [c.name for c in backup.containers]) == ("CronJob", "backup", ["pg-dump"])
    assert [(s.name, s.keys) for s in inv.secrets] == [("db-credentials", ["password", "username"])]
    ingress = next(o for o in inv.objects if o.kind == "Ingress")
    assert ingress.refs == {"backends": "web:80", "hosts": "shop.example"}
    assert {(o.kind, o.name) for o in inv.objects} == {("Ingress", "web"), ("ServiceMonitor", "web")}
    assert [o.name for o in inv.ingresses] == ["web"] and inv.hpas == [] and inv.pvcs == []
    assert inv.namespaces == {"shop", "data"}


def test_prometheus_rules():
    inv = load_all({"m/rules.yaml": RULES})
    [alert] = inv.alerts
    assert (alert.name, alert.loc, alert.severity, alert.runbook_url) == ("WebDown", Location("m/rules.yaml", 6), "critical", "https://runbooks.example/web/#down")
    assert alert.annotation_lines["runbook_url"] == 12
    assert [(r.name, r.loc.line) for r in inv.recording_rules] == [("job:errors:rate5m", 4)]
    assert {m: [loc.line for loc in locs] for m, locs in inv.metrics_used.items()} == {"http_errors_total": [5], "up": [7]}


def test_compose_services():
    inv = load_all({"m/compose.yaml": COMPOSE})
    assert [(s.name, s.ports, s.environment, s.loc.line) for s in inv.compose_services] == [
        ("api", [80, 7000, 7001, 8080, 9000], ["LOG_LEVEL", "DEBUG"], 2), ("db", [5432], [], 6)]


def test_catalog_entities():
    inv = load_all({"m/catalog-info.yaml": CATALOG})
    component, group = inv.catalog
    assert (component.kind, component.name, component.owner, component.system, component.links) == (
        "Component", "web", "group:team-web", "shop", ["https://grafana.example/d/web-main/web"])
    assert (group.kind, group.name, group.loc.line) == ("Group", "team-web", 9)
    assert {"team-web", "group:team-web"} <= inv.catalog_owners


def test_grafana_dashboards_plain_wrapped_and_in_configmaps():
    plain = json.dumps({"uid": "a", "title": "A", "panels": []}).encode()
    wrapped = json.dumps({"dashboard": {"uid": "b", "title": "B", "schemaVersion": 39}}).encode()
    inv = load_all({"d/a.json": plain, "d/b.json": wrapped, "d/cm.yaml": DASHBOARD_CM})
    assert sorted((d.uid, d.title, d.loc.path) for d in inv.dashboards) == [
        ("a", "A", "d/a.json"), ("b", "B", "d/b.json"), ("web-main", "Web", "d/cm.yaml")]
    assert inv.problems == []
