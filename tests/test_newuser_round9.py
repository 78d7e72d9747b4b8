"""Round 9 of the new-user trial (bench/README.md): the Argo CD operator manual with its install
manifests (argoproj/argo-cd) and the Postgres Operator's docs with its example manifests
(zalando/postgres-operator), each false error reduced to a minimal reproduction in a real temporary
git repository.
"""

from __future__ import annotations

from checks_support import commit_history
from newuser_support import check

ZALANDO_MANIFESTS = """\
apiVersion: "acid.zalan.do/v1"
kind: postgresql
metadata:
  name: acid-minimal-cluster
spec:
  teamId: "acid"
  numberOfInstances: 2
---
apiVersion: v1
kind: Secret
metadata:
  name: postgresql-infrastructure-roles
data: {}
"""


def test_an_object_named_after_a_custom_resource_between_dots_is_the_operators(tmp_path):
    """zalando/postgres-operator: `manifests/minimal-postgres-manifest.yaml` is the postgresql
    `acid-minimal-cluster`; the operator makes the Secret
    `postgres.acid-minimal-cluster.credentials.postgresql.acid.zalan.do` for it (`<user>.<cluster>.credentials...`:
    the resource's name a whole dot-separated part). The quickstart's `kubectl get secret` of it is a
    warning naming the resource, as for a dash-separated part; a name no resource is part of stays an error."""
    root = tmp_path / "zpo"
    commit_history(root, [{
        "manifests/minimal-postgres-manifest.yaml": ZALANDO_MANIFESTS,
        "docs/quickstart.md":
            "# Quickstart\n\n```bash\n"
            "kubectl get secret postgres.acid-minimal-cluster.credentials.postgresql.acid.zalan.do -o 'jsonpath={.data.password}'\n"
            "kubectl get secret postgres.other-cluster.credentials.postgresql.acid.zalan.do\n```\n",
    }])
    report = check(root)
    assert [(f["severity"], f["line"], f["message"]) for f in report["findings"] if f["rule"] == "RBH101"] == [
        ("warning", 4, "secret `postgres.acid-minimal-cluster.credentials.postgresql.acid.zalan.do` not found in the"
                       " manifests (probably made by the operator of postgresql `acid-minimal-cluster`)"),
        ("error", 5, "secret `postgres.other-cluster.credentials.postgresql.acid.zalan.do` not found in the manifests"),
    ]


ARGOCD_MANIFESTS = """\
apiVersion: v1
kind: Secret
metadata:
  name: argocd-secret
  namespace: argocd
type: Opaque
"""


def test_a_run_of_xs_in_a_name_is_a_placeholder(tmp_path):
    """argoproj/argo-cd `docs/operator-manual/security.md`: "kubectl delete secret
    argocd-manager-token-XXXXXX -n kube-system" stands for the token Secret Kubernetes generated, its
    random suffix written as X's (`pod-xxxxx` in lower case is the same habit). A run of three or more
    X's as a whole part of the name is a placeholder, like `<suffix>`; a real-looking suffix is
    still checked."""
    root = tmp_path / "argocd"
    commit_history(root, [{
        "manifests/install.yaml": ARGOCD_MANIFESTS,
        "docs/security.md":
            "# Security\n\n```bash\n"
            "kubectl delete secret argocd-manager-token-XXXXXX -n kube-system\n"
            "kubectl -n argocd get secret argocd-token-xxxxx\n"
            "kubectl delete secret argocd-manager-token-8xk2p -n kube-system\n```\n",
    }])
    report = check(root)
    assert [(f["severity"], f["line"], f["message"]) for f in report["findings"] if f["rule"] == "RBH101"] == [
        ("error", 6, "secret `argocd-manager-token-8xk2p` not found in namespace `kube-system` or any other"),
    ]


def test_the_namespaces_every_cluster_has_are_known(tmp_path):
    """argoproj/argo-cd `security.md` runs `kubectl delete sa argocd-manager -n kube-system` against a
    managed cluster whose manifests are not in the repository; with the placeholder Secret above no
    longer checked, `kubectl ... -n kube-system` was reported as a namespace no manifest defines.
    `default`, `kube-system`, `kube-public` and `kube-node-lease` exist in every cluster; an unknown
    namespace is still reported."""
    root = tmp_path / "argocd"
    commit_history(root, [{
        "manifests/install.yaml": ARGOCD_MANIFESTS,
        "docs/security.md":
            "# Security\n\n```bash\n"
            "kubectl get pods -n kube-system\n"
            "kubectl get events -n kube-node-lease\n"
            "kubectl get pods -n argo-cd\n```\n",
    }])
    report = check(root)
    assert [(f["severity"], f["line"], f["message"]) for f in report["findings"] if f["rule"] == "RBH107"] == [
        ("warning", 6, "namespace `argo-cd` is not defined by any manifest"),
    ]
