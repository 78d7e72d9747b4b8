"""Round 13: known false findings that new-user rounds 10-12 noticed and left (bench/README.md "Round
13 fixes of known false findings"), each reduced to a minimal reproduction in a real temporary git
repository and fixed by a general rule. Object names and commands follow the repositories where they
were seen (coder/observability, cloudnative-pg/cloudnative-pg, openfoodfacts-infrastructure); the
prose is our own."""

from __future__ import annotations

from checks_support import commit_history
from newuser_support import check, found

RULES = ("groups:\n- name: coderd\n  rules:\n  - alert: CoderdReplicas\n    expr: sum(up{job=\"coderd\"}) < 3\n"
         "    labels:\n      severity: critical\n      runbook_url: http://runbook-viewer/enterprise#coderdreplicas\n"
         "  - alert: CoderdCPUUsage\n    expr: rate(process_cpu_seconds_total[5m]) > 0.9\n    labels:\n      severity: warning\n")


MANAGER_DEPLOYMENT = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: controller-manager\n  namespace: cnpg-system\n"
                      "spec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        image: op:1\n")


def _indent(text: str, by: int) -> str:
    return "".join(" " * by + line + "\n" for line in text.splitlines())


def test_a_rule_file_also_shipped_in_a_configmap_is_one_rule(tmp_path):
    """coder/observability renders its alert rules into a ConfigMap's data (`coderd.yaml: |` with
    `groups:`); a repository that also keeps the plain rule file (or a PrometheusRule of the same
    rules, as cloudnative-pg's samples do) had every alert read twice, and each broken runbook_url or
    missing one reported twice. The same rule (name, group, expression, labels, annotations) written in
    two files is one rule: one finding, at the plain file, naming the copy. A rule of the same name
    that differs (another expression) is another rule and is still reported on its own."""
    root = tmp_path / "coder"
    configmap = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alerts\ndata:\n  coderd.yaml: |\n"
                 + _indent(RULES, 4))
    other = RULES.replace("sum(up{job=\"coderd\"}) < 3", "sum(up{job=\"coderd\"}) < 2").replace("  - alert: CoderdCPUUsage", "  - alert: Unused").split("  - alert: Unused")[0]
    commit_history(root, [{
        "rbh.yaml": ('runbooks:\n  include: ["runbooks/*.md"]\nmanifests:\n  include: ["rules/*.yaml", "compiled/*.yaml"]\n'
                     'check:\n  runbook_urls:\n    prefixes:\n      "http://runbook-viewer/": "runbooks/"\n'),
        "rules/coderd.yaml": RULES,
        "compiled/resources.yaml": configmap,
        "compiled/staging.yaml": other,
        "runbooks/coderd.md": "# Coderd\n\n## CoderdReplicas\n\n## CoderdCPUUsage\n",
    }])
    assert found(check(root)) == [
        ("RBH203", "compiled/staging.yaml", 4, "runbook_url of alert `CoderdReplicas` points to `runbooks/enterprise.md`, "
         "which does not exist; create it with `rbh new CoderdReplicas`"),
        ("RBH203", "rules/coderd.yaml", 4, "runbook_url of alert `CoderdReplicas` points to `runbooks/enterprise.md`, "
         "which does not exist; create it with `rbh new CoderdReplicas` (the same rule is also at compiled/resources.yaml:10)"),
        ("RBH202", "rules/coderd.yaml", 9, "alert `CoderdCPUUsage` (severity warning) has no runbook_url annotation "
         "(the same rule is also at compiled/resources.yaml:15)"),
    ]


PODMONITOR = ("apiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata:\n  name: cnpg-controller-manager\n"
              "  namespace: cnpg-system\nspec:\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: cloudnative-pg\n"
              "  podMetricsEndpoints:\n  - port: metrics\n")
SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: nats-secret\n  namespace: cnpg-system\n"
OLD_API = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: old-api\n  namespace: cnpg-system\n"


def test_removed_in_names_the_commit_that_took_the_name_away_for_good(tmp_path):
    """cloudnative-pg: `kubectl logs deployment/cnpg-controller-manager` was reported "(removed in
    967f8da9)", a commit that only renamed `cnpg-operator-podmonitor.yaml` to `podmonitor.yaml`; the
    PodMonitor of that name is still there. A file git sees as renamed keeps its names, and a name a
    later commit added back (here the Secret re-added in a chart template, which the checks skip) was
    not removed for good. A name really gone still says which commit took it away."""
    root = tmp_path / "cnpg"
    _, shas = commit_history(root, [{
        "rbh.yaml": 'runbooks:\n  include: ["docs/*.md"]\nmanifests:\n  include: ["config/**/*.yaml"]\n',
        "config/manager.yaml": MANAGER_DEPLOYMENT,
        "config/monitoring/cnpg-operator-podmonitor.yaml": PODMONITOR,
        "config/secret.yaml": SECRET,
        "config/old.yaml": OLD_API,
        "docs/ops.md": "# Operations\n\n```sh\nkubectl logs -n cnpg-system deployment/cnpg-controller-manager\n"
                       "kubectl get secret -n cnpg-system nats-secret\nkubectl logs -n cnpg-system deployment/old-api\n```\n",
    }, {
        "config/monitoring/cnpg-operator-podmonitor.yaml": None,
        "config/monitoring/podmonitor.yaml": PODMONITOR,
        "config/secret.yaml": None,
        "config/old.yaml": None,
    }, {
        "config/chart/templates/secret.yaml": SECRET.replace("  namespace: cnpg-system\n", "  namespace: {{ .Release.Namespace }}\n"),
    }])
    assert [f for f in found(check(root)) if f[0] == "RBH101"] == [
        ("RBH101", "docs/ops.md", 4, "deployment `cnpg-controller-manager` not found in namespace `cnpg-system` or any other"),
        ("RBH101", "docs/ops.md", 5, "secret `nats-secret` not found in namespace `cnpg-system` or any other; 1 unrendered "
         "Helm template that defines secrets was skipped: check the output of 'helm template'"),
        ("RBH101", "docs/ops.md", 6, f"deployment `old-api` not found in namespace `cnpg-system` or any other (removed in {shas[1][:8]})"),
    ]
