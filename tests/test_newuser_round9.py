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
