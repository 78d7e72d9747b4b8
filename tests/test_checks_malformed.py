"""Bad input never stops a check run: each problem is a finding naming the file and line, and the
rest of the repository is still checked (issue 7, bad runbooks and bad manifests)."""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks.engine import run_checks
from checks.sources import load_all
from checks.sources._yaml import MAX_MANIFEST_BYTES
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
