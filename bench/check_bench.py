"""Check benchmark: ``rbh check`` on synthetic repositories of 1,000 / 5,000 / 10,000 runbooks.

Each size is a real git repository in a temp folder (two commits, so the history rules have
something to read) with N runbooks and manifests defining N/2 objects (at 10,000 runbooks: 5,000
objects: Deployments, Services, ConfigMaps and PrometheusRule alerts, in 200 namespaces). Every
runbook has front matter (service, owner, alerts, review dates), kubectl and curl commands, a PromQL
query, links to other runbooks and repository paths; about 2% of the references are stale, so the
rules do real work and produce findings.

For each size the real CLI runs in a fresh process (``rbh check --format json --fail-on never``),
as CI would run it, three times; the table shows the fastest wall and CPU time, the peak memory (max
RSS of that process) and the findings, so linear growth is visible. Target on the 2-core reference machine: < 10 s at 10,000.

    .venv/bin/python bench/check_bench.py                       # 1,000 / 5,000 / 10,000
    .venv/bin/python bench/check_bench.py --sizes 200,1000      # quick look
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SERVICES = ["checkout", "payments", "cart", "catalog", "search", "auth", "gateway", "orders", "inventory", "shipping",
            "notifications", "recommendations", "pricing", "reviews", "accounts", "billing", "ledger", "fraud",
            "media", "profile"]
NAMESPACES = 200
CHUNK = 50  # services per manifest file


def names(n_objects: int) -> list[tuple[str, str]]:
    """(namespace, service name) for every service; each has a Deployment, a Service and a ConfigMap (+ an alert)."""
    per_service = 4  # Deployment + Service + ConfigMap + alert
    out = []
    for i in range(max(1, n_objects // per_service)):
        ns = f"ns{i % NAMESPACES:03d}"
        out.append((ns, f"{SERVICES[i % len(SERVICES)]}-{i:05d}"))
    return out


def alert_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-")) + "Down"


def manifest(ns: str, name: str) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
  labels: {{app: {name}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: app
          image: registry.example/{name}:1.0.0
          ports: [{{containerPort: 8080, name: http}}]
          env: [{{name: LOG_LEVEL, value: info}}, {{name: POOL_SIZE, value: "10"}}]
          envFrom: [{{configMapRef: {{name: {name}-config}}}}]
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 80, targetPort: 8080, name: http}}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-config
  namespace: {ns}
data:
  TIMEOUT_MS: "2000"
  FEATURE_FLAGS: "none"
"""


def rules_file(services: list[tuple[str, str]], index: dict[str, int]) -> str:
    """One PrometheusRule per manifest chunk; each alert links the first runbook of its service."""
    rules = []
    for ns, name in services:
        rules.append(f"""\
          - alert: {alert_name(name)}
            expr: sum(up{{job="{name}"}}) == 0 or rate(http_requests_total{{service="{name}",code=~"5.."}}[5m]) > 1
            for: 5m
            labels: {{severity: critical}}
            annotations:
              summary: {name} is down
              runbook_url: https://runbooks.example.com/runbooks/rb-{index[name]:05d}/""")
    body = "\n".join(rules)
    return f"""\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: generated-alerts-{services[0][1]}
  namespace: monitoring
spec:
  groups:
    - name: generated
      rules:
{body}
"""


def runbook(i: int, services: list[tuple[str, str]], rng: random.Random, n_runbooks: int) -> str:
    k = i % len(services)
    ns, name = services[k]
    stale = rng.random() < 0.02
    target = f"{name}-old" if stale else name
    other = services[rng.randrange(len(services))][1]
    link = f"rb-{rng.randrange(n_runbooks):05d}.md"
    return f"""\
---
title: {name} runbook {i}
service: {name}
owner: group:team-{name.split('-')[0]}
alerts: [{alert_name(name)}]
last_reviewed: 2026-0{1 + i % 9}-1{i % 9}
review_every: 365d
---
# {name} is down

## Symptoms

The `{alert_name(name)}` alert fires; users see errors from {name}. Upstream `{other}` may also degrade.

## Diagnosis

```bash
kubectl -n {ns} get deploy/{target}
kubectl -n {ns} logs deploy/{name} -c app --since=15m
kubectl -n {ns} describe svc/{name}
curl -s http://{name}.{ns}.svc.cluster.local:80/healthz
```

```promql
sum(rate(http_requests_total{{service="{name}",code=~"5.."}}[5m]))
```

## Mitigation

```bash
kubectl -n {ns} rollout restart deployment/{name}
kubectl -n {ns} scale deploy/{name} --replicas=4
```

See [the related runbook]({link}) and the manifests in `manifests/svc-{k // CHUNK:04d}.yaml`.

## Escalation

Page the owning team.
"""


def generate(root: Path, n_runbooks: int, seed: int = 7) -> int:
    """Write and commit the synthetic repository; returns the number of manifest objects."""
    import git

    rng = random.Random(seed)
    services = names(n_runbooks // 2)
    (root / "runbooks").mkdir(parents=True)
    (root / "manifests" / "rules").mkdir(parents=True)
    index = {name: k for k, (_ns, name) in enumerate(services)}
    for start in range(0, len(services), CHUNK):
        part = services[start : start + CHUNK]
        (root / "manifests" / f"svc-{start // CHUNK:04d}.yaml").write_text("---\n".join(manifest(*s) for s in part), encoding="utf-8")
        (root / "manifests" / "rules" / f"alerts-{start // CHUNK:04d}.yaml").write_text(rules_file(part, index), encoding="utf-8")
    for i in range(n_runbooks):
        (root / "runbooks" / f"rb-{i:05d}.md").write_text(runbook(i, services, rng, n_runbooks), encoding="utf-8")
    (root / "rbh.yaml").write_text(
        "check:\n  runbook_urls:\n    prefixes: {'https://runbooks.example.com/runbooks/': 'runbooks/'}\n", encoding="utf-8")
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "Bench")
        cw.set_value("user", "email", "bench@example.com")
        cw.set_value("commit", "gpgsign", "false")
    repo.git.add("-A")
    repo.git.commit("-q", "-m", "synthetic platform")
    # A second commit touching some manifests gives the history rules something to compare.
    for p in sorted((root / "manifests").glob("svc-*.yaml"))[::10]:
        p.write_text(p.read_text(encoding="utf-8").replace("replicas: 2", "replicas: 3"), encoding="utf-8")
    repo.git.add("-A")
    repo.git.commit("-q", "-m", "scale up")
    return len(services) * 4


def run_check(root: Path) -> tuple[float, float, float, dict]:
    """(wall seconds, CPU seconds, peak RSS MiB, summary) of ``rbh check`` in a fresh process.

    CPU time (user + system, git subprocesses included) is what the wall time would be on an idle
    machine: the process is single-threaded, so it tells the real cost when others share the cores."""
    exe = Path(sys.executable).parent / "rbh"
    cmd = [str(exe), "check", "--repo", str(root), "--format", "json", "--fail-on", "never", "--today", "2026-11-26"]
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode != 0:
            raise SystemExit(f"rbh check failed ({proc.returncode}): {err[-2000:]}")
        out.seek(0)
        data = json.loads(out.read())
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, data["summary"] | {"findings": len(data["findings"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,5000,10000", help="comma-separated runbook counts")
    ap.add_argument("--keep", action="store_true", help="keep the generated repositories (printed)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per size; the fastest is reported (the machine is shared, the noise is large)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    rows = []
    for n in sizes:
        tmp = Path(tempfile.mkdtemp(prefix=f"rbh-check-bench-{n}-"))
        try:
            t0 = time.perf_counter()
            objects = generate(tmp / "repo", n)
            gen = time.perf_counter() - t0
            runs = [run_check(tmp / "repo") for _ in range(max(1, args.repeat))]
            wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
            rss, summary = max(r[2] for r in runs), runs[0][3]
            rows.append((n, objects, wall, cpu, rss, summary))
            print(f"  {n} runbooks, {objects} objects: generated in {gen:.1f} s, checked in {wall:.2f} s ({cpu:.2f} s CPU), "
                  f"peak {rss:.0f} MiB, {summary['findings']} findings", file=sys.stderr)
        finally:
            if args.keep:
                print(f"  kept {tmp / 'repo'}", file=sys.stderr)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()[0]
    print(f"rbh check, fastest of {max(1, args.repeat)} runs per size, load average {load:.1f} on "
          f"{os.cpu_count()} cores at the end")
    print()
    print("| runbooks | manifest objects | wall time | CPU time | CPU per 1,000 runbooks | peak memory (RSS) | findings (error / warning / info) |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    for n, objects, wall, cpu, rss, s in rows:
        print(f"| {n:,} | {objects:,} | {wall:.2f} s | {cpu:.2f} s | {cpu / n * 1000:.2f} s | {rss:.0f} MiB | "
              f"{s['findings']} ({s['error']} / {s['warning']} / {s['info']}) |")


if __name__ == "__main__":
    main()
