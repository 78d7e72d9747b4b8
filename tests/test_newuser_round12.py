"""Round 12 of the new-user trial (bench/README.md): a PostgreSQL operator's user guide beside its
install manifests and samples (cloudnative-pg/cloudnative-pg, Apache-2.0), each false error reduced to
a minimal reproduction in a real temporary git repository (object names and single commands as on
those pages, shortened; the prose is our own).
"""

from __future__ import annotations

from checks_support import commit_history
from newuser_support import check, found

CONFIG = 'runbooks:\n  include: ["docs/**/*.md"]\nmanifests:\n  include: ["config/**/*.yaml"]\n'
MANAGER = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: controller-manager\n  namespace: system\n"
           "spec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        image: op:1\n")


def test_a_kustomization_name_prefix_names_the_objects_it_builds(tmp_path):
    """cloudnative-pg: `config/manager/manager.yaml` declares the Deployment `controller-manager`;
    `config/default/kustomization.yaml` builds it with `namespace: cnpg-system` and `namePrefix:
    cnpg-`, so the cluster has `cnpg-controller-manager` in `cnpg-system`, which the troubleshooting
    page restarts. Prefixes and suffixes add up through bases (outer prefix first); a name no build
    makes is still reported."""
    root = tmp_path / "cnpg"
    commit_history(root, [{
        "rbh.yaml": CONFIG,
        "config/manager/manager.yaml": MANAGER,
        "config/manager/kustomization.yaml": "resources:\n- manager.yaml\nnameSuffix: -v1\n",
        "config/default/kustomization.yaml": "namespace: cnpg-system\nnamePrefix: cnpg-\nresources:\n- ../manager\n",
        "docs/troubleshooting.md":
            "# Troubleshooting\n\n```shell\nkubectl logs -n cnpg-system deployment/cnpg-controller-manager-v1\n"
            "kubectl rollout restart deployment -n system controller-manager\n"
            "kubectl rollout restart deployment -n cnpg-system cnpg-controller-manager\n"
            "kubectl rollout restart deployment -n cnpg-system cnpg-manager-v1\n```\n",
    }])
    assert found(check(root)) == [
        ("RBH101", "docs/troubleshooting.md", 6, "deployment `cnpg-controller-manager` not found in namespace "
         "`cnpg-system` or any other"),
        ("RBH101", "docs/troubleshooting.md", 7, "deployment `cnpg-manager-v1` not found in namespace "
         "`cnpg-system` or any other"),
    ]


def test_a_name_handed_to_a_kubectl_plugin_is_made_by_the_page(tmp_path):
    """cloudnative-pg: the plugin pages run `kubectl cnpg certificate cluster-cert --cnpg-cluster
    CLUSTER --cnpg-user USER` and then `kubectl get secret cluster-cert`; the benchmarking page runs
    `kubectl cnpg fio fio-job -n fio` and then `kubectl get deployment/fio-job -n fio`. A plugin is a
    program rbh cannot read: the name it gets after its sub-command may be an object it makes, so a
    later command naming it is not judged. Before the plugin line, and a name the plugin never got,
    still are."""
    root = tmp_path / "cnpg"
    commit_history(root, [{
        "rbh.yaml": CONFIG,
        "config/manager/manager.yaml": MANAGER,
        "docs/plugin.md":
            "# Plugin\n\n```sh\nkubectl get secret cluster-cert\n"
            "kubectl cnpg certificate cluster-cert --cnpg-cluster CLUSTER --cnpg-user USER\n"
            "kubectl get secret cluster-cert -o json\n"
            "kubectl cnpg fio fio-job -n fio --storageClass standard\n"
            "kubectl get deployment/fio-job -n fio\n"
            "kubectl get secret other-cert\n```\n",
    }])
    assert [f for f in found(check(root)) if f[0] == "RBH101"] == [
        ("RBH101", "docs/plugin.md", 4, "secret `cluster-cert` not found in the manifests"),
        ("RBH101", "docs/plugin.md", 9, "secret `other-cert` not found in the manifests"),
    ]


def test_a_chart_installed_without_a_namespace_makes_objects_named_after_its_release(tmp_path):
    """cloudnative-pg: the quickstart installs the Prometheus community's chart with `helm upgrade
    --install -f URL prometheus-community prometheus-community/kube-prometheus-stack` (no `-n`) and
    then runs `kubectl port-forward svc/prometheus-community-kube-prometheus 9090`. The chart is from
    elsewhere and its objects are named after the release: from that line on, a name `REL` or `REL-*`
    without `-n` is the chart's. Other names, names before the install, and a chart of the repository
    are still judged."""
    root = tmp_path / "cnpg"
    commit_history(root, [{
        "rbh.yaml": CONFIG,
        "config/manager/manager.yaml": MANAGER,
        "charts/local/Chart.yaml": "apiVersion: v2\nname: local\nversion: 0.1.0\n",
        "docs/quickstart.md":
            "# Quickstart\n\n```sh\nkubectl port-forward svc/prometheus-community-grafana 3000:80\n"
            "helm upgrade --install \\\n  -f https://example.com/values.yaml \\\n  prometheus-community \\\n"
            "  prometheus-community/kube-prometheus-stack\n"
            "kubectl port-forward svc/prometheus-community-kube-prometheus 9090\n"
            "kubectl port-forward svc/prometheus-community-grafana 3000:80\n"
            "kubectl get svc prometheus-operated\n"
            "helm install mine ./charts/local\n"
            "kubectl get svc mine-web\n```\n",
    }])
    assert [f for f in found(check(root)) if f[0] == "RBH101"] == [
        ("RBH101", "docs/quickstart.md", 4, "service `prometheus-community-grafana` not found in the manifests"),
        ("RBH101", "docs/quickstart.md", 11, "service `prometheus-operated` not found in the manifests"),
        ("RBH101", "docs/quickstart.md", 13, "service `mine-web` not found in the manifests"),
    ]
