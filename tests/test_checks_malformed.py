"""Bad input never stops a check run: each problem is a finding naming the file and line, and the
rest of the repository is still checked (issue 7, bad runbooks and bad manifests)."""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rbh.checks.engine import run_checks
from rbh.checks.sources import load_all
from rbh.checks.sources._yaml import MAX_MANIFEST_BYTES
from checks_support import commit_history
from rbh.project import load_project

GOOD_MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: checkout, image: shop/checkout}]
"""
GOOD_RUNBOOK = """\
# Checkout

```bash
kubectl -n shop logs deploy/chekout
```
"""
BOMB = "a: &a [" + ",".join(['"lol"'] * 10) + "]\n" + "".join(
    f"{c}: &{c} [" + ",".join([f"*{p}"] * 10) + "]\n" for p, c in zip("abcdefgh", "bcdefghi")
)


@pytest.fixture
def messy_repo(tmp_path):
    files = {
        "manifests/good.yaml": GOOD_MANIFEST,
        "manifests/invalid.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: [\n",
        "manifests/nokind.yaml": "apiVersion: v1\nmetadata: {name: orphan}\n",
        "manifests/bomb.yaml": BOMB,
        "manifests/deep.yaml": "a: " + "[" * 5000 + "]" * 5000 + "\n",
        "manifests/empty.yaml": "---\n---\n",
        "manifests/huge.yaml": "# filler\n" * (MAX_MANIFEST_BYTES // 9 + 10),
        "manifests/chart.yaml": "kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
        "runbooks/good.md": GOOD_RUNBOOK,
        "runbooks/broken-front-matter.md": "---\ntitle: [unclosed\n---\n# Broken\n",
        "runbooks/binary.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "runbooks/latin1.md": "# Caf\xe9\n".encode("latin-1"),
        "runbooks/fence.md": "# Fence\n\n```bash\nkubectl get pods\n",
        "runbooks/nested.md": "# Nested\n\n" + "".join("  " * i + "- item\n" for i in range(400)),
        "runbooks/long-line.md": "# Long\n\n" + "x" * 1_000_000 + "\n",
        "runbooks/huge.md": "# Huge\n\n" + ("filler text\n" * 500_000),  # 6 MB, over the 5 MB default
    }
    root = tmp_path / "repo"
    commit_history(root, [files])
    os.symlink("/etc/passwd", root / "runbooks" / "outside.md")
    os.symlink("/etc/hosts", root / "manifests" / "outside.yaml")
    return root


def test_every_bad_file_is_a_finding_and_the_run_continues(messy_repo):
    result = run_checks(load_project(messy_repo))
    by_path = {}
    for f in result.findings:
        by_path.setdefault(f.path, []).append((f.rule, f.line, str(f.severity)))
    assert ("RBH101", 4, "error") in by_path["runbooks/good.md"]  # the good runbook is still checked
    assert by_path["manifests/invalid.yaml"] == [("RBH002", 5, "error")]
    assert by_path["manifests/nokind.yaml"] == [("RBH002", 1, "error")]
    assert by_path["manifests/bomb.yaml"] == [("RBH002", 1, "error")]
    assert by_path["manifests/deep.yaml"] == [("RBH002", 1, "error")]
    assert by_path["manifests/huge.yaml"] == [("RBH002", 1, "warning")]
    assert by_path["manifests/chart.yaml"] == [("RBH002", 3, "warning")]
    assert "manifests/empty.yaml" not in by_path
    assert by_path["runbooks/broken-front-matter.md"] == [("RBH001", 2, "error")]
    assert by_path["runbooks/binary.md"] == [("RBH001", 1, "warning")]
    assert by_path["runbooks/latin1.md"] == [("RBH001", 1, "warning")]
    assert by_path["runbooks/fence.md"] == [("RBH001", 3, "warning")]
    assert "runbooks/nested.md" not in by_path
    assert "runbooks/long-line.md" not in by_path
    assert by_path["runbooks/huge.md"] == [("RBH001", 1, "warning")]
    # symlinks are never followed, so nothing outside the repository is read
    assert "runbooks/outside.md" not in by_path and "manifests/outside.yaml" not in by_path
    assert "runbooks/outside.md" not in {rb.path for rb in result.runbooks}
    assert result.notices == []


def test_alias_bomb_is_bounded_in_time():
    start = time.perf_counter()
    inv = load_all({"bomb.yaml": BOMB.encode()})
    assert time.perf_counter() - start < 5
    assert [p.line for p in inv.problems] == [1]
    assert "alias" in inv.problems[0].message


def test_secret_values_never_enter_the_inventory():
    secret = b"apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\ndata:\n  password: c3VwZXJzZWNyZXQ=\nstringData:\n  token: plain-secret-token\n"
    inv = load_all({"s.yaml": secret})
    assert [(s.name, s.keys) for s in inv.secrets] == [("db", ["password", "token"])]
    assert "c3VwZXJzZWNyZXQ" not in repr(inv) and "plain-secret-token" not in repr(inv)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_any_manifest_bytes_give_problems_not_exceptions(data):
    inv = load_all({"m.yaml": data, "d.json": data})
    lines = len(data.decode("utf-8", "replace").splitlines()) + 1  # YAML also breaks lines at \r, NEL, LS, PS
    for p in inv.problems:
        assert p.path in ("m.yaml", "d.json")
        assert 1 <= p.line <= lines


_KEYS = ["apiVersion", "kind", "metadata", "name", "namespace", "labels", "spec", "template", "containers", "ports",
         "containerPort", "env", "envFrom", "configMapRef", "selector", "matchLabels", "data", "groups", "rules", "alert",
         "record", "expr", "annotations", "runbook_url", "services", "image", "environment", "uid", "title", "panels",
         "dashboard", "owner", "system", "links", "url", "jobTemplate", "volumeClaimTemplates", "scaleTargetRef", "items",
         "valueFrom", "configMapKeyRef", "volumes", "configMap", "secret", "secretName", "http", "paths", "backend", "service",
         "port", "number", "targetPort", "initContainers", "stringData", "binaryData"]
_VALUES = ["Deployment", "StatefulSet", "CronJob", "Pod", "Service", "ConfigMap", "Secret", "Ingress", "PrometheusRule",
           "List", "Component", "Group", "apps/v1", "v1", "backstage.io/v1alpha1", "monitoring.coreos.com/v1", "x", "8080"]
_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.sampled_from(_VALUES), st.text(max_size=8))
_TREE = st.recursive(_LEAF, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.sampled_from(_KEYS), kids, max_size=6), max_leaves=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TREE, min_size=1, max_size=3))
def test_any_manifest_shape_is_read_without_exceptions(documents):
    import json

    import yaml

    text = yaml.safe_dump_all(documents).encode()
    inv = load_all({"m.yaml": text, "d.json": json.dumps(documents[0]).encode()})
    assert all(p.line >= 1 for p in inv.problems)


@pytest.fixture(scope="module")
def rich_runbook_project(tmp_path_factory):
    from checks_support import write_files

    root = tmp_path_factory.mktemp("rich")
    write_files(root, {"runbooks/x.md": (
        "---\nservice: x\nowner: x\nalerts: [X]\ndashboards: [x]\nlast_reviewed: 2020-01-01\n---\n# X\n\n"
        "```bash\nkubectl -n x logs deploy/x -c x\nkubectl -n x port-forward svc/x 80:8080\nkubectl -n x get pods -l app=x\n"
        "kubectl -n x set env deploy/x A_B=1\nkubectl -n x get cm x -o jsonpath='{.data.K}'\ncurl http://x.x.svc:8080/\n"
        "docker compose logs x\nkubectl -n x get pvc data-x-0\nkubectl -n x exec x-0 -c y -- sh\n```\n\n"
        "```promql\nrate(x_total[5m])\nALERTS{alertname=\"X\"}\n```\n`X_Y` `manifests/x.yaml` [a](y.md#z) [b](#x)\n")})
    return root


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(_TREE, min_size=1, max_size=3))
def test_rules_never_fail_on_any_inventory(rich_runbook_project, documents):
    import yaml

    inv = load_all({"manifests/m.yaml": yaml.safe_dump_all(documents).encode()})
    result = run_checks(load_project(rich_runbook_project, require_git=False), inventory=inv)
    assert result.notices == []  # a rule that raised would leave a notice
