"""Round 6 of the new-user trial (bench/README.md): a Kubernetes homelab with Kustomize overlays and
Helm-installed charts (rommelporras/homelab), docker compose stacks with Grafana provisioning files
(hugomolinfresneda/homelab-stacks), each false error reduced to a minimal reproduction in a real
temporary git repository:

- an overlay's ``kustomization.yaml`` puts its base's objects in the overlay's namespace;
- a Service the manifests route to (HTTPRoute, Ingress) exists, though a Helm chart defines it;
- every cluster has the ``kubernetes`` Service in ``default``;
- a Grafana provisioning file (``apiVersion: 1``) is no Kubernetes object without a kind;
- a name moved to another file in the same commit was not removed.
"""

from __future__ import annotations

from checks_support import commit_history
from newuser_support import check, found

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: portfolio
spec:
  selector: {matchLabels: {app: portfolio}}
  template:
    metadata: {labels: {app: portfolio}}
    spec:
      containers: [{name: portfolio, image: portfolio:1}]
---
apiVersion: v1
kind: Service
metadata:
  name: portfolio
spec:
  selector: {app: portfolio}
  ports: [{port: 80}]
"""


def test_kustomize_overlay_namespace_applies_to_its_base(tmp_path):
    """rommelporras/homelab: `manifests/portfolio/base/` has no namespace; the overlays' kustomization
    files set `namespace: portfolio-staging` / `portfolio-prod`. The runbook's `kubectl -n portfolio-prod
    get svc portfolio` is right; a namespace no overlay makes is still wrong."""
    root = tmp_path / "homelab"
    commit_history(root, [{
        "manifests/portfolio/base/deployment.yaml": DEPLOYMENT,
        "manifests/portfolio/base/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                                                        "resources:\n- deployment.yaml\n",
        "manifests/portfolio/overlays/prod/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\n"
                                                                 "kind: Kustomization\nresources:\n- ../../base\n- namespace.yaml\n"
                                                                 "namespace: portfolio-prod\n",
        "manifests/portfolio/overlays/prod/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: portfolio-prod\n",
        "manifests/portfolio/overlays/staging/kustomization.yaml": "resources: [../../base]\nnamespace: portfolio-staging\n",
        "runbooks/apps.md": "# Apps\n\n```bash\nkubectl -n portfolio-prod get svc portfolio\n"
                            "kubectl -n portfolio-staging rollout restart deployment/portfolio\n"
                            "kubectl -n portfolio-dev get svc portfolio\n```\n",
    }])
    assert found(check(root)) == [
        ("RBH102", "runbooks/apps.md", 6, "service `portfolio` is not in namespace `portfolio-dev` (it is in "
                                          "`default`, `portfolio-prod`, `portfolio-staging`)"),
    ]


ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: loki
  namespace: monitoring
spec:
  parentRefs: [{name: homelab-gateway, namespace: default}]
  rules:
    - backendRefs:
        - name: loki
          port: 3100
"""

INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: grafana
  namespace: monitoring
spec:
  rules:
    - host: grafana.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service: {name: prometheus-grafana, port: {number: 80}}
"""


PROBE = """\
apiVersion: monitoring.coreos.com/v1
kind: Probe
metadata:
  name: adguard-dns
  namespace: monitoring
spec:
  prober:
    url: blackbox-exporter-prometheus-blackbox-exporter.monitoring.svc:9115
  targets:
    staticConfig:
      static: [10.10.30.53]
"""


def test_services_the_manifests_route_to_exist(tmp_path):
    """rommelporras/homelab installs Loki and Grafana with Helm (`helm/loki/values.yaml`); the charts'
    Services are in no manifest, but the HTTPRoute and Ingress in `manifests/` route to them (and a
    Probe's prober URL names the blackbox exporter's), so
    `loki.monitoring.svc.cluster.local:3100` is right. The API server's `kubernetes.default.svc` is in
    every cluster. A Service nothing defines or routes to is still unknown."""
    root = tmp_path / "homelab"
    commit_history(root, [{
        "manifests/monitoring/loki-httproute.yaml": ROUTE,
        "manifests/monitoring/grafana-ingress.yaml": INGRESS,
        "manifests/monitoring/probes/adguard.yaml": PROBE,
        "runbooks/logging.md": "# Logging\n\n```bash\ncurl http://loki.monitoring.svc.cluster.local:3100/ready\n"
                               "curl -k https://kubernetes.default.svc.cluster.local/healthz\n"
                               "kubectl -n monitoring port-forward svc/prometheus-grafana 3000:80\n"
                               "curl http://tempo.monitoring.svc.cluster.local:3200/ready\n"
                               "curl 'http://blackbox-exporter-prometheus-blackbox-exporter.monitoring.svc:9115/probe?target=x'\n```\n",
    }])
    assert found(check(root)) == [
        ("RBH101", "runbooks/logging.md", 7, "service `tempo` (in-cluster DNS name "
                                             "`tempo.monitoring.svc.cluster.local:3200`) not found in namespace `monitoring` or any other"),
    ]


def test_grafana_provisioning_files_are_not_kubernetes_objects(tmp_path):
    """homelab-stacks: `manifests.include: [stacks/**/*.yaml]` takes Grafana's provisioning files
    (`apiVersion: 1`, no kind) with the compose files; they are not Kubernetes objects missing a kind.
    A document with a Kubernetes apiVersion and no kind still is."""
    root = tmp_path / "stacks"
    commit_history(root, [{
        "stacks/monitoring/compose.yaml": "services:\n  grafana:\n    image: grafana/grafana:11.0.0\n",
        "stacks/monitoring/grafana/provisioning/datasources/datasources.yaml":
            "apiVersion: 1\ndatasources:\n  - name: Prometheus\n    type: prometheus\n    url: http://prometheus:9090\n",
        "stacks/monitoring/broken.yaml": "apiVersion: v1\nmetadata:\n  name: x\n",
        "runbooks/grafana.md": "# Grafana\n\n```bash\ndocker compose restart grafana\n```\n",
        "rbh.yaml": "manifests:\n  include: ['stacks/**/*.yaml']\n",
    }])
    assert found(check(root)) == [("RBH002", "stacks/monitoring/broken.yaml", 1, "document has no 'kind': skipped")]


PLAYBOOKS = """\
# Playbooks

## Alerts

### CortexCompactorHasNotUploadedBlocks

This alert fires when a compactor is not uploading any compacted blocks to the storage.

How to **investigate**:
- If the alert `CortexCompactorHasNotSuccessfullyRunCompaction` has fired as well, then investigate that issue first
- Look for any error in the compactor logs

### CortexCompactorHasNotSuccessfullyRunCompaction

This alert fires if the compactor is not able to successfully compact all discovered compactable blocks.

How to **investigate**:
- Look for any error in the compactor logs
- A corrupted block index stops the compaction of one tenant
"""

CORTEX_RULES = """\
groups:
  - name: cortex_compactor
    rules:
      - alert: CortexCompactorHasNotUploadedBlocks
        expr: time() - cortex_compactor_last_successful_run_timestamp_seconds > 60 * 60 * 24
        annotations:
          message: Cortex Compactor {{ $labels.instance }} has not uploaded any block in the last 24 hours.
      - alert: CortexCompactorHasNotSuccessfullyRunCompaction
        expr: (time() - cortex_compactor_last_successful_run_timestamp_seconds > 60 * 60 * 24)
        annotations:
          message: Cortex Compactor {{ $labels.instance }} has not run compaction in the last 24 hours.
"""


def test_alert_without_runbook_url_answers_the_section_headed_by_its_name(tmp_path):
    """cortexproject/cortex-jsonnet: the alerts carry no runbook_url; `docs/playbooks.md` has one
    `### AlertName` section per alert (a lint script keeps them in step). The rendered alert
    `[FIRING:1] CortexCompactorHasNotSuccessfullyRunCompaction ...` was answered by retrieval with the
    section above it, which names the alert in passing; now the alert resolves to its own section."""
    from ask_support import ask_json, index

    root = tmp_path / "cortex"
    commit_history(root, [{
        "cortex-mixin/docs/playbooks.md": PLAYBOOKS,
        "rendered/alerts.yaml": CORTEX_RULES,
        "rbh.yaml": "runbooks: {include: ['cortex-mixin/docs/*.md']}\nmanifests: {include: ['rendered/*.yaml']}\n",
    }])
    index(root)
    first = ask_json(root, "[FIRING:1] CortexCompactorHasNotSuccessfullyRunCompaction Cortex Compactor compactor-0 "
                           "in prod/cortex has not run compaction in the last 24 hours.")["results"][0]
    assert (first["via"], first["heading"], first["line"], first["anchor"]) == (
        "alert", "CortexCompactorHasNotSuccessfullyRunCompaction", 13, "cortexcompactorhasnotsuccessfullyruncompaction")
    assert first["alert"]["via"] == "heading"


JEKYLL_CONFIG = """\
title: cloud.gov
baseurl: ""
collections:
  pages:
    output: true
    permalink: /:path/
  docs:
    output: true
    permalink: /:collection/:path/
  kbarticles:
    output: true
    permalink: /knowledge-base/:path/
permalink: pretty
"""


def test_jekyll_serves_collections_posts_permalinks_and_assets_at_their_urls(tmp_path):
    """cloud-gov/cg-site: `{{site.baseurl}}/docs/services/intro/` is `_docs/services/intro.md` (the
    `docs` collection's permalink), `/knowledge-base/2024-12-06-migrating-opensearch/` a `kbarticles`
    document, `/pages/documentation/adding-users/` the page whose front matter says so,
    `/2017/07/07/changes-to-credentials-broker` a post, `/assets/images/x.png` a file in `_assets/`.
    A post URL under a folder the site does not use, or an anchor the page lacks, is still broken."""
    root = tmp_path / "cgsite"
    commit_history(root, [{
        "_config.yml": JEKYLL_CONFIG,
        "_docs/services/intro.md": "---\ntitle: Services\n---\n\n## Support status\n\ntext\n",
        "_kbarticles/2024-12-06-migrating-opensearch.md": "---\ntitle: Migrating\n---\n\nSee [the services]({{site.baseurl}}/docs/services/intro/#support-status).\n",
        "_pages/pages/documentation/add-user.md": "---\ntitle: Add a user\npermalink: /pages/documentation/adding-users/\n---\n\ntext\n",
        "_posts/2017-07-07-changes-to-credentials-broker.md": "---\nlayout: post\n---\n\nNews.\n",
        "_posts/2025-01-02-v2api-deprecation.md": "---\nlayout: post\ndate: \"2025-01-07\"\n---\n\nNews.\n",
        "_assets/images/content/app-overview.png": b"\x89PNG\r\n",
        "_docs/services/logs.md": "---\ntitle: Logs\n---\n\n"
                                  "[Services]({{site.baseurl}}/docs/services/intro/), [migrating](/knowledge-base/2024-12-06-migrating-opensearch/),\n"
                                  "[users]({{ site.baseurl }}/pages/documentation/adding-users/), [news](/2017/07/07/changes-to-credentials-broker),\n"
                                  "[v2](/2025/01/07/v2api-deprecation/), [old v2](/news/2025/01/07/v2api-deprecation/),\n"
                                  "[status]({{site.baseurl}}/docs/services/intro/#support_status)\n\n"
                                  "![overview]({{site.baseurl}}/assets/images/content/app-overview.png)\n",
    }])
    assert found(check(root)) == [
        ("RBH301", "_docs/services/logs.md", 7, "link target `/news/2025/01/07/v2api-deprecation/` does not exist"),
        ("RBH302", "_docs/services/logs.md", 8, "anchor `#support_status` not found in `_docs/services/intro.md`"),
    ]


LOKI_MONITOR = """\
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: loki
  namespace: monitoring
spec:
  selector: {matchLabels: {app: loki}}
"""

TEMPO = """\
apiVersion: v1
kind: Service
metadata:
  name: tempo
  namespace: monitoring
spec:
  ports: [{port: 3200}]
"""


def test_a_name_moved_to_another_file_in_a_commit_was_not_removed_there(tmp_path):
    """rommelporras/homelab's d9d3219 moved `manifests/monitoring/*.yaml` into subfolders; the history
    read `name: loki` leaving one file as a removal, and RBH101 said "(removed in d9d32199)" about a
    Service named loki that no manifest ever defined. A name really deleted still says where, also
    when a file of another name gets an object of that name in the same commit (3a0366b deleted the
    Deployment `invoicetron-dev` and added an Argo CD Application `invoicetron-dev`)."""
    root = tmp_path / "homelab"
    _, shas = commit_history(root, [
        {"manifests/monitoring/loki-servicemonitor.yaml": LOKI_MONITOR, "manifests/monitoring/tempo.yaml": TEMPO},
        {"manifests/monitoring/loki-servicemonitor.yaml": None,
         "manifests/monitoring/servicemonitors/loki-servicemonitor.yaml": LOKI_MONITOR},
        {"manifests/monitoring/tempo.yaml": None, "manifests/monitoring/other.yaml": TEMPO.replace("tempo", "jaeger"),
         "manifests/argocd/apps/tracing.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: tempo\n"},
        {"runbooks/logging.md": "# Logging\n\n```bash\ncurl http://loki.monitoring.svc.cluster.local:3100/ready\n"
                                "curl http://tempo.monitoring.svc.cluster.local:3200/ready\n```\n"},
    ])
    assert found(check(root)) == [
        ("RBH101", "runbooks/logging.md", 4, "service `loki` (in-cluster DNS name `loki.monitoring.svc.cluster.local:3100`) "
                                             "not found in namespace `monitoring` or any other"),
        ("RBH101", "runbooks/logging.md", 5, "service `tempo` (in-cluster DNS name `tempo.monitoring.svc.cluster.local:3200`) "
                                             f"not found in namespace `monitoring` or any other (removed in {shas[2][:8]})"),
    ]


def test_objects_the_runbook_creates_are_not_looked_up_in_the_manifests(tmp_path):
    """rommelporras/homelab's CKA practice page creates `nginx` (`kubectl create deployment nginx`),
    exposes it and scales it; the later commands named a Deployment and Service "not found in the
    manifests". Objects the page makes exist from that line on; one used before it is made, or never
    made, is still unknown."""
    root = tmp_path / "homelab"
    commit_history(root, [{
        "manifests/apps/deployment.yaml": DEPLOYMENT,
        "runbooks/practice.md": "# Practice\n\n```bash\nkubectl scale deployment web --replicas=2\n"
                                "kubectl create deployment web --image=nginx --replicas=3\n"
                                "kubectl expose deployment web --port=80 --type=NodePort\n"
                                "kubectl scale deployment web --replicas=5\nkubectl set image deployment/web nginx=nginx:1.19\n"
                                "curl http://web.default.svc.cluster.local\n"
                                "kubectl create secret generic creds --from-literal=a=b\nkubectl get secret creds -o yaml\n"
                                "kubectl run debug --image=busybox\nkubectl logs debug\n"
                                "kubectl rollout restart deployment/portfolio deployment/api\n```\n",
    }])
    assert found(check(root)) == [
        ("RBH101", "runbooks/practice.md", 4, "deployment `web` not found in the manifests"),
        ("RBH101", "runbooks/practice.md", 14, "deployment `api` not found in the manifests"),
    ]


BLACKBOX_RUNBOOK = """\
# BlackboxExporterDown — Blackbox exporter not scraped

## Summary
Prometheus cannot scrape the blackbox exporter, so probe-based alerts become unreliable.

## Impact
- Synthetic availability monitoring is unavailable.

## Quick confirmation (30-60s)
Check `up{job="blackbox"}` in Prometheus and the exporter container's health.

## Mitigation
Restart the exporter: `docker compose restart blackbox`.
"""

BLACKBOX_RULES = """\
groups:
  - name: infra
    rules:
      - alert: BlackboxExporterDown
        expr: up{job="blackbox"} == 0
        annotations:
          summary: Blackbox exporter not scraped
          runbook_url: https://github.com/example/homelab-stacks/blob/main/stacks/monitoring/runbooks/BlackboxExporterDown.md
"""


def test_a_runbook_shown_whole_is_cited_as_the_page(tmp_path):
    """homelab-stacks: the alert's runbook_url names the whole runbook, and the answer shows it from
    `## Summary`; the citation named the section that matched the question best
    (`BlackboxExporterDown.md:32#quick-confirmation-3060s`), a line in the middle of what is shown."""
    from ask_support import ask_json, index

    root = tmp_path / "stacks"
    commit_history(root, [{
        "stacks/monitoring/runbooks/BlackboxExporterDown.md": BLACKBOX_RUNBOOK,
        "stacks/monitoring/prometheus/rules/infra.rules.yaml": BLACKBOX_RULES,
        "rbh.yaml": "runbooks: {include: ['stacks/**/runbooks/*.md']}\nmanifests: {include: ['stacks/**/rules/*.yaml']}\n",
    }])
    index(root)
    first = ask_json(root, "[FIRING:1] BlackboxExporterDown check up job blackbox in Prometheus, exporter container health")["results"][0]
    assert (first["via"], first["line"], first["anchor"], first["heading"]) == (
        "alert", 3, "", "BlackboxExporterDown — Blackbox exporter not scraped")  # line 3: `## Summary`, where the text shown starts
    assert first["citation"].startswith("stacks/monitoring/runbooks/BlackboxExporterDown.md:3 @ ")


def test_a_moved_repository_path_suggests_the_file_of_that_name(tmp_path):
    """rommelporras/homelab moved `manifests/monitoring/grafana-httproute.yaml` into
    `manifests/monitoring/grafana/`; pages naming the old path were told "did you mean
    `manifests/monitoring/grafana/loki-httproute.yaml`", a similar name in the same new folder."""
    root = tmp_path / "homelab"
    route = ROUTE.replace("name: loki\n  namespace", "name: grafana\n  namespace")
    commit_history(root, [{
        "manifests/monitoring/grafana/grafana-httproute.yaml": route,
        "manifests/monitoring/grafana/loki-httproute.yaml": ROUTE,
        "manifests/monitoring/grafana/prometheus-httproute.yaml": ROUTE.replace("loki", "prometheus"),
        "runbooks/grafana.md": "# Grafana\n\nThe route is in `manifests/monitoring/grafana-httproute.yaml`.\n",
    }])
    report = check(root)
    assert [(f["rule"], f["line"], f["message"], f["suggestion"]) for f in report["findings"]] == [
        ("RBH303", 3, "repository path `manifests/monitoring/grafana-httproute.yaml` does not exist",
         "manifests/monitoring/grafana/grafana-httproute.yaml"),
    ]


DISK_RUNBOOK = """\
# BackupDiskNotMounted — Backup disk not mounted

## Summary
Backup mountpoint metrics are absent, so the backup disk is likely not mounted.

## Placeholders / Endpoints
- `<BACKUPS_MOUNTPOINT>` from `/etc/fstab`

## What metric triggers this alert
`node_filesystem_avail_bytes{mountpoint="<BACKUPS_MOUNTPOINT>"}` is absent.

## Expected mountpoint
The disk is mounted by a systemd mount unit.

## Diagnosis
Run `findmnt <BACKUPS_MOUNTPOINT>` and `lsblk -f`.

## Mitigation
Mount it again: `sudo systemctl restart <MOUNT_UNIT>`.
"""


def test_a_page_named_after_an_alert_is_answered_whole(tmp_path):
    """homelab-stacks: `runbooks/BackupDiskNotMounted.md` is one alert's runbook (its rule sits in an
    `.example` file outside the globs); "the backup disk is not mounted" was answered with its
    two-line Summary, because sections like "Placeholders / Endpoints" and "Expected mountpoint" are
    not responder vocabulary. A page named after an alert is answered as its procedure."""
    from ask_support import ask_json, index

    root = tmp_path / "stacks"
    commit_history(root, [{
        "stacks/monitoring/runbooks/BackupDiskNotMounted.md": DISK_RUNBOOK,
        "stacks/monitoring/runbooks/BlackboxExporterDown.md": BLACKBOX_RUNBOOK,
        "rbh.yaml": "runbooks: {include: ['stacks/**/runbooks/*.md']}\n",
    }])
    index(root)
    first = ask_json(root, "the backup disk is not mounted")["results"][0]
    assert (first["path"], first["line"], first["anchor"]) == ("stacks/monitoring/runbooks/BackupDiskNotMounted.md", 3, "")
    assert [s["heading"] for s in first["procedure"]] == [
        "Summary", "Placeholders / Endpoints", "What metric triggers this alert", "Expected mountpoint", "Diagnosis", "Mitigation"]


def test_objects_a_heredoc_manifest_creates_exist_for_later_commands(tmp_path):
    """rommelporras/homelab's RBAC page creates the token Secret `claude-code-token` with
    `kubectl apply -f - <<EOF` and reads it two commands later; both reads were "secret not found".
    A Secret the page never creates is still unknown."""
    root = tmp_path / "homelab"
    commit_history(root, [{
        "manifests/apps/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-settings\ndata:\n  a: b\n",
        "runbooks/rbac.md": "# RBAC\n\n```bash\nkubectl apply -f - <<EOF\napiVersion: v1\nkind: Secret\nmetadata:\n"
                            "  name: claude-code-token\n  namespace: kube-system\n  annotations:\n"
                            "    kubernetes.io/service-account.name: claude-code\ntype: kubernetes.io/service-account-token\nEOF\n\n"
                            "kubectl get secret claude-code-token -n kube-system\n"
                            "cat <<'YAML' | kubectl-admin apply -f -\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\nYAML\n"
                            "kubectl get configmap settings\nkubectl get secret other-token -n kube-system\n```\n",
    }])
    assert found(check(root)) == [
        ("RBH101", "runbooks/rbac.md", 23, "secret `other-token` not found in namespace `kube-system` or any other"),
    ]


ALERTMANAGER = """\
global:
  resolve_timeout: 5m
route:
  receiver: notify
receivers:
  - name: notify
    telegram_configs:
      - send_resolved: true
        parse_mode: HTML
        message: '{{ template "telegram.default" . }}'
        bot_token_file: /run/secrets/telegram_bot_token
templates:
  - /etc/alertmanager/templates/*.tmpl
"""


def test_an_alertmanager_config_is_not_an_unrendered_helm_chart(tmp_path):
    """homelab-stacks: `stacks/**/*.yaml` takes `alertmanager/alertmanager.yaml`, whose receivers use
    Alertmanager's own `{{ template "telegram.default" . }}`; it was skipped as "unrendered Helm
    template". A Helm template in a manifest is still reported."""
    root = tmp_path / "stacks"
    commit_history(root, [{
        "stacks/monitoring/alertmanager/alertmanager.yaml": ALERTMANAGER,
        "stacks/monitoring/compose.yaml": "services:\n  alertmanager:\n    image: prom/alertmanager:v0.27.0\n",
        "stacks/chart/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ template \"app.fullname\" . }}\n",
        "runbooks/alerts.md": "# Alerts\n\n```bash\ndocker compose restart alertmanager\n```\n",
        "rbh.yaml": "manifests:\n  include: ['stacks/**/*.yaml']\n",
    }])
    assert found(check(root)) == [
        ("RBH002", "stacks/chart/deployment.yaml", 4, "unrendered Helm template ({{ ... }}): skipped; check the output of 'helm template' instead"),
    ]


def test_services_the_prometheus_operator_makes_for_its_resources_exist(tmp_path):
    """Runbooks port-forward `svc/prometheus-operated` (rommelporras/homelab does): no manifest defines
    it, the Prometheus Operator makes it beside every `Prometheus` resource (RBH101 was false when the
    resource is in the manifests). Without an `Alertmanager` resource, `alertmanager-operated` does not
    exist, and another namespace is wrong."""
    root = tmp_path / "operator"
    commit_history(root, [{
        "manifests/monitoring/prometheus.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata:\n"
                                                "  name: k8s\n  namespace: monitoring\nspec:\n  replicas: 2\n",
        "manifests/monitoring/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n",
        "runbooks/prometheus.md": "# Prometheus\n\n```bash\nkubectl -n monitoring port-forward svc/prometheus-operated 9090\n"
                                  "kubectl -n monitoring port-forward svc/alertmanager-operated 9093\n"
                                  "kubectl -n default get svc prometheus-operated\n```\n",
    }])
    assert [(f[0], f[2]) for f in found(check(root))] == [("RBH101", 5), ("RBH101", 6)]
