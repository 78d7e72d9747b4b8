"""A small shop platform for the ``rbh ask`` / ``rbh eval`` tests: runbooks, manifests with alert
rules, a real git repository and a real local Qdrant index built by ``rbh index``."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from checks_support import commit_history

RBH_YAML = """\
check:
  runbook_urls:
    prefixes:
      "https://runbooks.example.test/": "runbooks/"
site:
  url: https://runbooks.example.test/
"""

MKDOCS_YML = """\
site_name: Shop runbooks
docs_dir: runbooks
"""

CHECKOUT = """\
---
title: Checkout
service: checkout
owner: group:checkout-team
alerts: [CheckoutHighLatency]
tags: [latency, checkout]
last_reviewed: 2026-01-10
review_every: 90d
---

# Checkout

Checkout turns a cart into an order. It runs as the Deployment `checkout` in namespace `shop`.

## Symptoms

Customers see the place order button spinning; orders per minute drop on the checkout dashboard.

## Alert: CheckoutHighLatency

p99 latency of checkout above 1.5 seconds. Usually a slow dependency: payments or the database.

```bash
kubectl -n shop logs deploy/checkout -c checkout --since=15m | grep -c "db pool exhausted"
kubectl -n shop top pod -l app=checkout --containers
```

## Mitigation

Restart checkout only after you found the cause:

```bash
kubectl -n shop rollout restart deployment/checkout
```
"""

POSTGRES = """\
---
title: PostgreSQL
service: postgresql
team: data-team
tags: [database]
last_reviewed: 2026-06-01
review_every: 180d
---

# PostgreSQL

The primary database, StatefulSet `postgres` in namespace `data`.

## Too many connections

New connections fail with `FATAL: sorry, too many clients already`. Find who holds them:

```bash
kubectl -n data exec -it postgres-0 -c postgres -- psql -U postgres -c "select usename, count(*) from pg_stat_activity group by 1"
```

## Disk almost full

The data volume of the primary is filling up; WAL files pile up when replication slots are stuck.

```bash
kubectl -n data exec postgres-0 -c postgres -- df -h /var/lib/postgresql/data
```
"""

REDIS = """\
---
title: Redis
service: redis
team: data-team
alerts: [RedisEvictions]
tags: [cache]
---

# Redis

The cache for carts and sessions, StatefulSet `redis` in namespace `data`.

## Evictions and memory pressure

Redis evicts keys when maxmemory is reached; carts disappear for customers.

```bash
kubectl -n data exec redis-0 -c redis -- redis-cli info memory
```
"""

SEARCH = """\
---
title: Search indexer
service: search
team: search-team
tags: [search]
---

# Search indexer

The indexer keeps product search results fresh.

## Stale search results

Products changed an hour ago still show old prices in search. Restart the indexer:

```bash
kubectl -n shop rollout restart deployment/search-indexer
```
"""

K8S = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  namespace: shop
spec:
  selector:
    matchLabels: {app: checkout}
  template:
    metadata:
      labels: {app: checkout}
    spec:
      containers:
        - name: checkout
          image: shop/checkout:1.4.2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: search
  namespace: shop
spec:
  selector:
    matchLabels: {app: search}
  template:
    metadata:
      labels: {app: search}
    spec:
      containers:
        - name: search
          image: shop/search:2.0.0
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: postgres
  namespace: data
spec:
  selector:
    matchLabels: {app: postgres}
  template:
    metadata:
      labels: {app: postgres}
    spec:
      containers:
        - name: postgres
          image: postgres:16
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: redis
  namespace: data
spec:
  selector:
    matchLabels: {app: redis}
  template:
    metadata:
      labels: {app: redis}
    spec:
      containers:
        - name: redis
          image: redis:7
"""

RULES = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: shop-alerts
  namespace: monitoring
spec:
  groups:
    - name: shop
      rules:
        - alert: CheckoutHighLatency
          expr: histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="checkout"}[5m]))) > 1.5
          for: 10m
          labels:
            severity: critical
          annotations:
            summary: Checkout p99 latency is {{ $value | humanizeDuration }}
            description: p99 latency of checkout in namespace {{ $labels.namespace }} has been above 1.5s for 10 minutes.
            runbook_url: https://runbooks.example.test/checkout/#alert-checkouthighlatency
        - alert: PostgresTooManyConnections
          expr: sum(pg_stat_activity_count) by (instance) / sum(pg_settings_max_connections) by (instance) > 0.9
          labels:
            severity: warning
          annotations:
            summary: PostgreSQL {{ $labels.instance }} uses {{ $value | humanizePercentage }} of max_connections
            runbook_url: https://runbooks.example.test/postgres/#too-many-connections
        - alert: RedisEvictions
          expr: rate(redis_evicted_keys_total[5m]) > 0
          labels:
            severity: warning
          annotations:
            summary: Redis {{ $labels.pod }} is evicting keys
"""

FILES = {
    "rbh.yaml": RBH_YAML,
    "mkdocs.yml": MKDOCS_YML,
    "runbooks/checkout.md": CHECKOUT,
    "runbooks/postgres.md": POSTGRES,
    "runbooks/redis.md": REDIS,
    "runbooks/search.md": SEARCH,
    "manifests/k8s/shop.yaml": K8S,
    "manifests/prometheus/rules.yaml": RULES,
}


def make_shop(root: Path, extra: dict[str, str] | None = None) -> Path:
    """Commit the shop platform (plus *extra* files) into a new git repository at *root*."""
    files = {**FILES, **(extra or {})}
    commit_history(root, [files])
    return root


def indexed_shop(tmp_path_factory, name: str, extra: dict[str, str] | None = None) -> Path:
    """A committed shop repository with its index built, for a module-scoped fixture."""
    root = make_shop(tmp_path_factory.mktemp(name) / "shop", extra)
    index(root)
    return root


def cli(args: list[str], input: str | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run rbh in-process (as the ``rbh`` fixture does, usable from module-scoped fixtures too)."""
    from click.testing import CliRunner
    from conftest import _Runner
    from rbh.cli import run

    result = CliRunner().invoke(_Runner(run), args, input=input, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def index(root: Path) -> None:
    code, out, err = cli(["index", "--repo", str(root), "-q"])
    assert code == 0, err


def ask_json(root: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> dict:
    code, out, err = cli(["ask", "--repo", str(root), "--json", *args], input=input, env=env)
    assert code == 0, err
    return json.loads(out)


def payload(*alerts: dict) -> str:
    """An Alertmanager webhook payload (version 4) with the given alerts."""
    return json.dumps({
        "version": "4", "status": "firing", "receiver": "oncall",
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
        "alerts": [{"status": "firing", "startsAt": "2026-11-26T02:00:00Z", **a} for a in alerts],
    })


def dedent(text: str) -> str:
    return textwrap.dedent(text)
