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


NETPOL = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: cnpg-system\nspec:\n  podSelector: {{}}\n"


def test_a_name_shown_in_a_listing_of_the_readers_cluster_is_that_examples(tmp_path):
    """cloudnative-pg's troubleshooting page lists the reader's network policies (`$ kubectl get
    networkpolicies` and its `NAME  POD-SELECTOR  AGE` table), says `default-deny-ingress` looks like
    the culprit and drills into it with `kubectl get networkpolicies default-deny-ingress -o yaml`. The
    name comes from the shown output, an example cluster, not from the manifests. From the listing's row
    on, a name it shows is that example's, of the listed kind; before the listing, of another kind, or
    when the manifests' history renamed or removed the name (an old listing) it is still judged."""
    root = tmp_path / "cnpg"
    _, shas = commit_history(root, [{
        "rbh.yaml": 'runbooks:\n  include: ["docs/*.md"]\nmanifests:\n  include: ["config/**/*.yaml"]\n',
        "config/manager.yaml": MANAGER_DEPLOYMENT,
        "config/netpol.yaml": NETPOL.format(name="allow-operator"),
    }, {
        "config/netpol.yaml": NETPOL.format(name="allow-operator-ingress"),
        "docs/troubleshooting.md":
            "# Troubleshooting\n\n```sh\n$ kubectl get networkpolicies default-deny-ingress\n```\n\n"
            "List the network policies:\n\n```sh\n$ kubectl get networkpolicies\n"
            "NAME                   POD-SELECTOR                      AGE\n"
            "allow-operator         app=operator                      47m\n"
            "default-deny-ingress   <none>                            57m\n```\n\n"
            "```sh\n$ kubectl get networkpolicies default-deny-ingress -o yaml\n<...snipped...>\nspec:\n  podSelector: {}\n"
            "$ kubectl describe networkpolicy allow-operator\n$ kubectl get secret default-deny-ingress\n```\n",
    }])
    report = check(root)
    assert [f for f in found(report) if f[0] == "RBH101"] == [
        ("RBH101", "docs/troubleshooting.md", 4, "networkpolicy `default-deny-ingress` not found in the manifests"),
        ("RBH101", "docs/troubleshooting.md", 21, "networkpolicy `allow-operator` not found in the manifests"),
        ("RBH101", "docs/troubleshooting.md", 22, "secret `default-deny-ingress` not found in the manifests"),
    ]
    renamed = [f for f in report["findings"] if f["line"] == 21]
    assert [(f["suggestion"], f["suggestion_source"]) for f in renamed] == [("allow-operator-ingress", f"renamed in {shas[1][:8]}")]


def test_a_port_a_patch_of_the_same_deployment_declares_is_exposed(tmp_path):
    """cloudnative-pg: `kubectl port-forward -n cnpg-system deploy/cnpg-controller-manager 6060` reaches
    the pprof server; `config/manager/manager.yaml` declares only 8080, `env_override.yaml` declares
    the same Deployment again (a patch its Makefile adds) with `containerPort: 6060`. Every manifest
    declaring the same object (kind, name, namespace) adds its ports, also to the copy a kustomization
    builds from it. A port none of them declares is still reported."""
    root = tmp_path / "cnpg"
    patch = MANAGER_DEPLOYMENT.replace("namespace: cnpg-system", "namespace: system").replace(
        "        image: op:1\n", "        ports:\n        - containerPort: 6060\n          name: pprof\n")
    commit_history(root, [{
        "rbh.yaml": 'runbooks:\n  include: ["docs/*.md"]\nmanifests:\n  include: ["config/**/*.yaml"]\n',
        "config/manager/manager.yaml": MANAGER_DEPLOYMENT.replace("namespace: cnpg-system", "namespace: system").replace(
            "        image: op:1\n", "        image: op:1\n        ports:\n        - containerPort: 8080\n"),
        "config/manager/env_override.yaml": patch,
        "config/manager/kustomization.yaml": "resources:\n- manager.yaml\n",
        "config/default/kustomization.yaml": "namespace: cnpg-system\nnamePrefix: cnpg-\nresources:\n- ../manager\n",
        "docs/profiling.md": "# Profiling\n\n```shell\nkubectl port-forward -n cnpg-system deploy/cnpg-controller-manager 6060\n"
                            "kubectl port-forward -n cnpg-system deploy/cnpg-controller-manager 7070\n```\n",
    }])
    assert [f for f in found(check(root)) if f[0] == "RBH105"] == [
        ("RBH105", "docs/profiling.md", 5, "deployment `cnpg-controller-manager` does not expose port 7070 (ports: 6060, 8080)"),
    ]


def test_a_json_patch_list_is_no_broken_manifest(tmp_path):
    """cloudnative-pg's `config/olm-scorecard/patches/basic.config.yaml` (operator-sdk's scaffold) is a
    JSON patch written as YAML, `- op: add` / `path: /stages/0/tests/-` / `value: ...`: RBH002 warned
    "document is a list, not a manifest object". A list of RFC 6902 operations changes a manifest; it
    is not one. Another list still gets the warning."""
    root = tmp_path / "cnpg"
    commit_history(root, [{
        "rbh.yaml": 'runbooks:\n  include: ["docs/*.md"]\nmanifests:\n  include: ["config/**/*.yaml"]\n',
        "config/manager.yaml": MANAGER_DEPLOYMENT,
        "config/olm-scorecard/patches/basic.config.yaml":
            "- op: add\n  path: /stages/0/tests/-\n  value:\n    entrypoint:\n    - scorecard-test\n    - basic-check-spec\n"
            "- op: remove\n  path: /stages/1\n",
        "config/other.yaml": "- name: not-a-patch\n  path: /x\n",
        "docs/ops.md": "# Operations\n\n```sh\nkubectl logs -n cnpg-system deployment/controller-manager\n```\n",
    }])
    assert found(check(root)) == [
        ("RBH002", "config/other.yaml", 1, "document is a list, not a manifest object: skipped"),
    ]


def test_paths_after_a_cd_into_another_projects_checkout_are_that_projects(tmp_path):
    """openfoodfacts-infrastructure's reinstall report runs `cd srv/obf` (another project's checkout)
    and `mv html/data/data-field.txt html/data-field.txt`, then says "add the `html/data-field.txt`
    file to git"; this repository has an `html/` folder of its own, so RBH303 reported the path. After
    a relative `cd` into a folder the repository does not have, relative paths up to the next heading
    or `cd` are not this repository's. Before the `cd`, after the next heading, and after a `cd` into
    a folder of the repository they are checked."""
    root = tmp_path / "off"
    commit_history(root, [{
        "rbh.yaml": 'runbooks:\n  include: ["docs/**/*.md"]\n',
        "html/502.html": "<p>down</p>\n",
        "confs/off/nginx.conf": "server {}\n",
        "docs/reports/reinstall.md":
            "# Reinstall\n\nSee `html/missing.html` first.\n\n```bash\ncd srv/obf\nmv html/data/data-field.txt html/data-field.txt\n```\n"
            "And add the `html/data-field.txt` file to git.\n\n## Logs\n\nThen `html/gone.html`.\n\n"
            "```bash\ncd srv/obf\n```\n\nThen `html/x.txt`.\n\n```bash\ncd confs\n```\n\nAnd `html/y.txt`.\n",
    }])
    assert [f for f in found(check(root)) if f[0] == "RBH303"] == [
        ("RBH303", "docs/reports/reinstall.md", 3, "repository path `html/missing.html` does not exist"),
        ("RBH303", "docs/reports/reinstall.md", 13, "repository path `html/gone.html` does not exist"),
        ("RBH303", "docs/reports/reinstall.md", 25, "repository path `html/y.txt` does not exist"),
    ]
